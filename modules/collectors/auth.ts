/**
 * Authentication logs as syslog writes them (`auth.log`, `secure`,
 * `messages`), one row per line in the table auth, whatever the program:
 * a kernel or ftpd line is a row with its program and message, and OpenSSH
 * and pam_unix lines also get the fields a hunter groups by.
 *
 * Three line formats are read, told apart line by line:
 *
 * - BSD syslog (RFC 3164), as classic syslogd writes files:
 *   `Dec 10 06:55:46 LabSZ sshd[24200]: message`, with an optional `<PRI>`
 *   in front; the program may be `sshd(pam_unix)` and the pid may be
 *   absent (`kernel: ...`). These lines carry no year and no zone.
 * - the same with an RFC 3339 time stamp, rsyslog's high-precision file
 *   format and the default of recent Debian and Ubuntu:
 *   `2024-03-01T10:00:00.123456+01:00 host sshd[1]: message`.
 * - RFC 5424: `<34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg`.
 *
 * ## The year and zone of BSD lines
 *
 * Times are read as UTC, or as local time at the offset given by the
 * `tz_offset` parameter (`+0200`). The year is chosen in two steps:
 *
 * 1. The first line takes the `year` parameter when it is given. Otherwise
 *    it takes the latest year that does not put it more than a day after
 *    the file's modification time (syslog wrote the file's last line at
 *    about that time, so no line can be later), or after the current time
 *    for standard input. A file written until 5 January 2006 thus dates
 *    its December lines in 2005.
 * 2. Every later line takes, of the previous line's year, the year before
 *    and the year after, the earliest that does not put it more than 30
 *    days before the previous line. Logs move forward, so December
 *    followed by January is a new year; a line that steps back by less
 *    than 30 days (a host with a skewed clock, a late straggler, the
 *    hour that daylight saving time repeats) keeps its year.
 *
 * A file that spans more than a year without a line in it, or whose
 * modification time was reset by a copy, gets the wrong years: give the
 * year of its first line with `-p year=2005`. Lines with RFC 3339 time
 * stamps carry their own year and zone, and later BSD lines follow them.
 *
 * ## Events
 *
 * `event` takes one of these values; lines about anything else have none.
 *
 * | event | sshd or pam_unix says | outcome |
 * | --- | --- | --- |
 * | failed_password | Failed password for [invalid user] U from A port P | failure |
 * | failed_publickey | Failed publickey for U from A port P | failure |
 * | failed_other | Failed none (keyboard-interactive, ...) for U ... | failure |
 * | accepted_password | Accepted password for U from A port P | success |
 * | accepted_publickey | Accepted publickey for U from A port P | success |
 * | accepted_other | Accepted keyboard-interactive/pam (...) for U ... | success |
 * | invalid_user | Invalid user U from A | failure |
 * | invalid_user_request | input_userauth_request: invalid user U | failure |
 * | too_many_failures | Too many authentication failures (for U) | failure |
 * | too_many_failures | maximum authentication attempts exceeded for U | failure |
 * | auth_failure | pam_unix: authentication failure; ... rhost=A user=U | failure |
 * | more_auth_failures | PAM N more authentication failures; ... | failure |
 * | unknown_user | pam_unix: check pass; user unknown | failure |
 * | break_in_attempt | reverse mapping checking getaddrinfo for H [A] failed | |
 * | break_in_attempt | Address A maps to H, but this does not map back ... | |
 * | disconnect | Received disconnect from A; Disconnected from A | |
 * | disconnect | Disconnecting ...: (a reason other than too many failures) | |
 * | connection_closed | Connection closed (or reset) by A | |
 * | no_identification | Did not receive identification string from A | |
 * | session_opened | pam_unix: session opened for user U | success |
 * | session_closed | pam_unix: session closed for user U | |
 *
 * `invalid_user` and `invalid_user_request` are two lines about the same
 * attempt; count one of them. `source_ip` is the remote address as
 * logged: an IP address, or a host name where sshd resolved it (UseDNS)
 * or PAM's rhost gave one (`n219076184117.netvigator.com`), kept as is.
 *
 * `repeats` is how many occurrences a line stands for: N for rsyslog's
 * `message repeated N times: [ ... ]`, whose bracketed message gives the
 * fields, and for sysklogd's `last message repeated N times`, which takes
 * the fields of the host's previous line; 1 for every other line. Sum it
 * to count attempts.
 *
 * @module
 */

import { UsageError } from "../../engine/errors.ts";
import {
  collectLines,
  type LineParser,
  sniffed,
} from "../../engine/collect.ts";
import { formatTimestamp } from "../../engine/time.ts";
import type {
  CollectOptions,
  CollectReport,
  Connection,
  Input,
  Params,
  ParamSpecs,
  SqlValue,
  TableSpec,
} from "../../engine/types.ts";

export const aid = "auth";
export const name = "SSH and authentication syslog";
export const desc =
  "auth.log, secure and messages files (BSD syslog, RFC 3339 time stamps " +
  "or RFC 5424), plain or gzip. One row per line in the table auth, with " +
  "the event, user and source address of OpenSSH and pam_unix messages.";

export const params: ParamSpecs = {
  year: {
    type: "integer",
    default: 0,
    min: 0,
    max: 9999,
    desc: "year of the first line of each file with no year in its lines; " +
      "0 takes it from the file's modification time",
  },
  tz_offset: {
    type: "string",
    default: "+0000",
    desc: "offset from UTC of times with no zone in the lines, e.g. +0200",
  },
};

/** In a folder: syslog's authentication files and their rotations. */
export const files = [
  "auth.log*",
  "secure*",
  "messages*",
  "syslog*",
  "*.log",
  "*.log.[0-9]*",
];

export const tables: TableSpec[] = [{
  name: "auth",
  columns: [
    { name: "time", type: "timestamp", desc: "when the line was logged, UTC" },
    { name: "host", type: "text", desc: "the host that logged the line" },
    {
      name: "program",
      type: "text",
      desc: "as logged, such as sshd or sshd(pam_unix); null without a tag",
    },
    { name: "pid", type: "integer", desc: "process id, when logged" },
    { name: "event", type: "text", desc: "what happened (see the module)" },
    { name: "outcome", type: "text", desc: "success or failure" },
    // Not "user": a reserved word in PostgreSQL, which would need quotes.
    { name: "username", type: "text", desc: "the account tried or used" },
    {
      name: "invalid_user",
      type: "integer",
      desc: "1 when the account does not exist, 0 when sshd shows it does",
    },
    {
      name: "source_ip",
      type: "text",
      desc: "the remote address as logged, or a host name",
    },
    { name: "source_port", type: "integer", desc: "the remote port" },
    {
      name: "auth_method",
      type: "text",
      desc: "password, publickey, none, keyboard-interactive/pam, ...",
    },
    {
      name: "repeats",
      type: "integer",
      desc: "occurrences the line stands for: N for message repeated N times",
    },
    { name: "message", type: "text", desc: "the message after the tag" },
    { name: "priority", type: "integer", desc: "<PRI>, when logged" },
    { name: "msgid", type: "text", desc: "RFC 5424 MSGID" },
    { name: "structured_data", type: "text", desc: "RFC 5424 [SD-ELEMENT]s" },
  ],
  indexes: [
    ["time"],
    ["event", "source_ip"],
    ["source_ip", "time"],
    ["username", "time"],
  ],
}];

/**
 * rsyslog's default message size is 8 KiB and syslog-ng's 64 KiB; a line
 * longer than that is not something a syslog daemon wrote.
 */
const MAX_LINE_BYTES = 64 * 1024;

/** See "The year and zone of BSD lines" above. */
const BACKSTEP_MS = 30 * 86_400_000;
const FUTURE_SLACK_MS = 86_400_000;
const SHORT_YEAR_MS = 365 * 86_400_000;

/** RFC 3164 allows 32 characters; long names and a pid need a little more. */
const MAX_TAG = 96;
const MAX_PRIORITY = 191;
const MONTHS = new Map(
  ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"]
    .concat(["Nov", "Dec"]).map((month, i) => [month, i]),
);
const MONTH_NAMES = [...MONTHS.keys()];
const TZ_OFFSET = /^([+-])(\d\d):?(\d\d)$/;
// Tabs pass: some daemons write them unescaped. Any other control
// character means binary data, which no syslog daemon writes into a file.
// deno-lint-ignore no-control-regex -- binary garbage is what it looks for
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const PREAUTH = " [preauth]";

export async function launch(
  connection: Connection,
  inputs: Input[],
  options: CollectOptions,
): Promise<CollectReport> {
  // A bad parameter stops the run before anything is collected.
  settings(options.params ?? {});
  return await collectLines(connection, inputs, {
    ...options,
    spec: {
      collector: aid,
      table: sniffed(tables[0], parser, "syslog", options.params),
      maxLineBytes: MAX_LINE_BYTES,
      parser,
    },
  });
}

/** The year and zone settings, checked. */
interface Settings {
  year: number | undefined;
  offsetMs: number;
  offsetText: string;
}

function settings(params: Params): Settings {
  const year = Number(params.year ?? 0);
  if (!Number.isInteger(year) || (year !== 0 && (year < 1970 || year > 9999))) {
    throw new UsageError(
      `Cannot use ${params.year} as year of the collector auth: expected a ` +
        "year from 1970 to 9999, or 0 to take it from each file.",
    );
  }

  const offsetText = String(params.tz_offset ?? "+0000");
  const match = TZ_OFFSET.exec(offsetText);
  const minutes = match ? Number(match[2]) * 60 + Number(match[3]) : NaN;
  if (!match || Number(match[3]) > 59 || minutes > 14 * 60) {
    throw new UsageError(
      `Cannot use "${offsetText}" as tz_offset of the collector auth: ` +
        "expected the logs' offset from UTC as +HHMM or -HHMM, such as +0200.",
    );
  }
  const sign = match[1] === "-" ? -1 : 1;
  return {
    year: year === 0 ? undefined : year,
    offsetMs: sign * minutes * 60_000,
    offsetText,
  };
}

/**
 * A parser for one file. It keeps the time of the previous line, to date
 * the next BSD line, and the previous row, for `last message repeated`;
 * a resumed run rebuilds both from the lines it skips.
 */
export function parser(input: Input, params: Params): LineParser {
  const { year, offsetMs, offsetText } = settings(params);
  const anchor = year === undefined ? anchorOf(input) : undefined;
  const clock = new Clock(
    year,
    anchor?.ms ?? Date.now(),
    offsetMs,
  );
  const seen = { bsd: 0, rfc3339: 0, rfc5424: 0 };
  let first: number | undefined;
  let last: number | undefined;
  let previous: SqlValue[] | undefined;

  const read = (text: string, count: boolean): SqlValue[] | string => {
    const line = parseSyslog(text, clock);
    if (typeof line === "string") return line;
    const row = toRow(line, previous);
    if (typeof row === "string") return row;
    previous = row;
    if (count) {
      seen[line.format]++;
      if (line.format === "bsd") {
        first ??= line.ms!;
        last = line.ms!;
      }
    }
    return row;
  };

  return {
    parse: (text) => read(text, true),
    skipped: (text) => void read(text, false),
    detail() {
      const parts: string[] = [];
      if (seen.bsd > 0) {
        const source = year !== undefined
          ? "the year parameter"
          : anchor?.source ?? "the current date";
        parts.push(
          `BSD syslog: ${seen.bsd} lines from ${day(first)} to ${day(last)} ` +
            `(year from ${source}, times at UTC${offsetText})`,
        );
      }
      if (seen.rfc3339 > 0) {
        parts.push(`RFC 3339 stamps: ${seen.rfc3339} lines`);
      }
      if (seen.rfc5424 > 0) parts.push(`RFC 5424: ${seen.rfc5424} lines`);
      return parts.length > 0 ? parts.join(", ") : undefined;
    },
  };
}

function day(ms: number | undefined): string {
  return ms === undefined ? "?" : formatTimestamp(ms)?.slice(0, 10) ?? "?";
}

/**
 * The latest time a line of the input can have: its modification time
 * when it is a file on disk, else now.
 */
function anchorOf(input: Input): { ms: number; source: string } | undefined {
  if (input.name === "-") return undefined;
  try {
    const mtime = Deno.statSync(input.name).mtime;
    if (!mtime) return undefined;
    const date = formatTimestamp(mtime.getTime())?.slice(0, 10);
    return {
      ms: mtime.getTime(),
      source: `the file's modification time, ${date}`,
    };
  } catch {
    // Not a file (an input built in a notebook): the current date serves.
    return undefined;
  }
}

/** Dates BSD lines, which have no year; see the module's documentation. */
class Clock {
  #previous: number | undefined;
  /** The local year of the previous line. */
  #previousYear = 0;

  constructor(
    readonly year: number | undefined,
    readonly anchorMs: number,
    readonly offsetMs: number,
  ) {}

  /** Remembers the time of a line that carried its own year. */
  saw(ms: number): void {
    this.#previous = ms;
    this.#previousYear = new Date(ms + this.offsetMs).getUTCFullYear();
  }

  /**
   * The UTC time of a local month, day and time of day, or why there is
   * none (29 February in a year that has none).
   */
  place(month: number, date: number, msOfDay: number): number | string {
    const utc = (year: number) =>
      Date.UTC(year, month, date) + msOfDay - this.offsetMs;
    let year: number;
    let ms: number;
    if (this.#previous === undefined) {
      year = this.year ??
        new Date(this.anchorMs + this.offsetMs).getUTCFullYear();
      ms = utc(year);
      if (this.year === undefined && ms > this.anchorMs + FUTURE_SLACK_MS) {
        ms = utc(--year);
      }
    } else {
      // The previous line's year, unless that puts this line far before
      // it (a new year) or a year after it (a straggler from December).
      const floor = this.#previous - BACKSTEP_MS;
      year = this.#previousYear;
      ms = utc(year);
      if (ms < floor) ms = utc(++year);
      else if (ms - SHORT_YEAR_MS >= floor && utc(year - 1) >= floor) {
        ms = utc(--year);
      }
    }

    // Every month has 28 days; only later ones need the calendar.
    if (date > 28 && date > daysIn(year, month)) {
      return `${MONTH_NAMES[month]} ${date} does not exist in ${year}, the ` +
        "year this line was given; set the year parameter";
    }
    this.#previous = ms;
    this.#previousYear = year;
    return ms;
  }
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** A line split into its syslog parts, before the message is read. */
interface SyslogLine {
  format: "bsd" | "rfc3339" | "rfc5424";
  priority: number | null;
  /** UTC milliseconds; null for an RFC 5424 line without a time. */
  ms: number | null;
  host: string | null;
  program: string | null;
  pid: number | null;
  msgid: string | null;
  structuredData: string | null;
  message: string;
}

/** Splits a syslog line into its parts, or says why it is not one. */
function parseSyslog(
  text: string,
  clock: Clock,
): SyslogLine | string {
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, "0");
    return `binary data: control character 0x${code} at column ${
      control.index + 1
    }`;
  }

  let at = 0;
  let priority: number | null = null;
  if (text.charCodeAt(0) === 0x3c) { // <
    const close = text.indexOf(">");
    const digits = text.slice(1, close);
    if (close < 2 || close > 4 || !isDigits(digits)) {
      return `not syslog: "${cut(text)}" starts with < but no <PRI>`;
    }
    priority = Number(digits);
    if (priority > MAX_PRIORITY) {
      return `priority <${digits}> is out of range (0 to ${MAX_PRIORITY})`;
    }
    at = close + 1;
    if (text.startsWith("1 ", at)) {
      return parse5424(text, at + 2, priority, clock);
    }
  }

  // The time stamp: an RFC 3339 one or BSD's "Mmm dd hh:mm:ss", which
  // is dated once the line has proved to be syslog.
  let stamp: number | BsdStamp | string;
  if (isDigit(text.charCodeAt(at))) {
    const end = spaceOrEnd(text, at);
    stamp = parseRfc3339(text.slice(at, end));
    at = end;
  } else {
    stamp = parseBsdStamp(text, at);
    if (typeof stamp !== "string") at = stamp.end;
  }
  if (typeof stamp === "string") return stamp;

  // The host, then the tag up to its colon. Extra spaces occur in old
  // files ("combo  -- root[2421]: ..."), so runs of spaces count as one.
  if (text.charCodeAt(at) !== 0x20) return "not syslog: no host after the time";
  while (text.charCodeAt(at) === 0x20) at++;
  const hostEnd = spaceOrEnd(text, at);
  if (hostEnd === at) return "not syslog: no host after the time";
  const host = text.slice(at, hostEnd);
  at = hostEnd;
  while (text.charCodeAt(at) === 0x20) at++;

  let ms: number | string;
  if (typeof stamp === "number") {
    clock.saw(stamp);
    ms = stamp;
  } else {
    ms = clock.place(stamp.month, stamp.date, stamp.msOfDay);
    if (typeof ms === "string") return ms;
  }
  const { program, pid, message } = splitTag(text.slice(at));
  return {
    format: typeof stamp === "number" ? "rfc3339" : "bsd",
    priority,
    ms,
    host,
    program,
    pid,
    msgid: null,
    structuredData: null,
    message,
  };
}

/** A BSD time stamp: local time, without the year. */
interface BsdStamp {
  month: number;
  date: number;
  msOfDay: number;
  /** Where the stamp ends in the line. */
  end: number;
}

/**
 * Reads "Mmm dd hh:mm:ss", with an optional fraction after the seconds.
 * The day may be padded with a space or a zero.
 */
function parseBsdStamp(text: string, at: number): BsdStamp | string {
  const month = MONTHS.get(text.slice(at, at + 3));
  if (month === undefined || text.charCodeAt(at + 3) !== 0x20) {
    return `not syslog: expected a time stamp such as "Dec 10 06:55:46" or ` +
      `"2003-10-11T22:14:15Z" at the start, found "${cut(text.slice(at))}"`;
  }
  let i = at + 4;
  if (text.charCodeAt(i) === 0x20) i++;
  const dayEnd = text.indexOf(" ", i);
  const dayText = text.slice(i, dayEnd);
  const date = Number(dayText);
  if (
    dayEnd < 0 || dayText.length > 2 || !isDigits(dayText) || date < 1 ||
    date > 31
  ) {
    return `day "${cut(dayText)}" of "${cut(text.slice(at))}" is not 1 to 31`;
  }

  i = dayEnd + 1;
  const clockText = text.slice(i, i + 8);
  const hours = twoDigits(text, i);
  const minutes = twoDigits(text, i + 3);
  const seconds = twoDigits(text, i + 6);
  if (
    text.charCodeAt(i + 2) !== 0x3a || text.charCodeAt(i + 5) !== 0x3a ||
    !(hours <= 23 && minutes <= 59 && seconds <= 59)
  ) {
    return `time "${cut(clockText)}" is not hh:mm:ss`;
  }
  i += 8;
  let fraction = 0;
  if (text.charCodeAt(i) === 0x2e) { // .
    const end = spaceOrEnd(text, i + 1);
    const digits = text.slice(i + 1, end);
    if (!isDigits(digits)) {
      return `time "${clockText}.${cut(digits)}" is not hh:mm:ss.fraction`;
    }
    fraction = Number(digits.slice(0, 3).padEnd(3, "0"));
    i = end;
  }

  const msOfDay = ((hours * 60 + minutes) * 60 + seconds) * 1000 + fraction;
  return { month, date, msOfDay, end: i };
}

/**
 * Reads an RFC 3339 time stamp (`2003-10-11T22:14:15.003Z`,
 * `2024-03-01T10:00:00.123456+01:00`) as UTC milliseconds.
 */
function parseRfc3339(stamp: string): number | string {
  const bad = `time stamp "${cut(stamp)}" is not RFC 3339 ` +
    "(2003-10-11T22:14:15.003Z)";
  if (
    stamp.length < 20 || stamp[4] !== "-" || stamp[7] !== "-" ||
    (stamp[10] !== "T" && stamp[10] !== "t") || stamp[13] !== ":" ||
    stamp[16] !== ":"
  ) return bad;
  const year = Number(stamp.slice(0, 4));
  const month = twoDigits(stamp, 5);
  const date = twoDigits(stamp, 8);
  const hours = twoDigits(stamp, 11);
  const minutes = twoDigits(stamp, 14);
  const seconds = twoDigits(stamp, 17);
  const valid = isDigits(stamp.slice(0, 4)) && month >= 1 && month <= 12 &&
    date >= 1 && date <= daysIn(year, month - 1) && hours <= 23 &&
    minutes <= 59 && seconds <= 59;
  if (!valid) return bad;

  let i = 19;
  let fraction = 0;
  if (stamp[i] === ".") {
    let end = i + 1;
    while (end < stamp.length && isDigit(stamp.charCodeAt(end))) end++;
    if (end === i + 1) return bad;
    fraction = Number(stamp.slice(i + 1, i + 4).padEnd(3, "0"));
    i = end;
  }

  let offsetMs = 0;
  const zone = stamp.slice(i);
  if (zone !== "Z" && zone !== "z") {
    const match = TZ_OFFSET.exec(zone);
    if (!match || Number(match[2]) > 23 || Number(match[3]) > 59) return bad;
    const sign = match[1] === "-" ? -1 : 1;
    offsetMs = sign * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
  }

  const ms = Date.UTC(year, month - 1, date, hours, minutes, seconds) +
    fraction - offsetMs;
  return formatTimestamp(ms) === undefined
    ? `time stamp "${cut(stamp)}" is out of range`
    : ms;
}

/**
 * Reads an RFC 5424 line after `<PRI>1 `: TIMESTAMP HOSTNAME APP-NAME
 * PROCID MSGID STRUCTURED-DATA [MSG], where `-` is a missing value.
 */
function parse5424(
  text: string,
  start: number,
  priority: number,
  clock: Clock,
): SyslogLine | string {
  const fields: (string | null)[] = [];
  let at = start;
  for (let i = 0; i < 5; i++) {
    const end = text.indexOf(" ", at);
    if (end < 0) {
      const have = i + (at < text.length ? 1 : 0);
      return `RFC 5424 line ends after ${have} of its 6 header fields`;
    }
    const field = text.slice(at, end);
    fields.push(field === "-" ? null : field);
    at = end + 1;
  }
  const [stamp, host, program, procid, msgid] = fields;

  let ms: number | null = null;
  if (stamp !== null) {
    const parsed = parseRfc3339(stamp);
    if (typeof parsed === "string") return parsed;
    clock.saw(parsed);
    ms = parsed;
  }

  if (at >= text.length) {
    return "RFC 5424 line ends after 5 of its 6 header fields";
  }
  const sdEnd = structuredDataEnd(text, at);
  if (typeof sdEnd === "string") return sdEnd;
  const structuredData = text[at] === "-" ? null : text.slice(at, sdEnd);
  if (sdEnd < text.length && text.charCodeAt(sdEnd) !== 0x20) {
    return `RFC 5424 structured data is followed by "${
      cut(text.slice(sdEnd))
    }" rather than a space`;
  }
  let message = text.slice(sdEnd + 1);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);

  return {
    format: "rfc5424",
    priority,
    ms,
    host,
    program,
    // PROCID may be any name; only a number fits the pid column.
    pid: procid !== null && isDigits(procid) ? Number(procid) : null,
    msgid,
    structuredData,
    message,
  };
}

/**
 * Where RFC 5424 structured data ends: `-`, or `[...]` elements in a row,
 * in whose quoted values `\"`, `\\` and `\]` are escaped.
 */
function structuredDataEnd(text: string, at: number): number | string {
  if (text[at] === "-") return at + 1;
  if (text[at] !== "[") {
    return `RFC 5424 structured data must be - or [...], found "${
      cut(text.slice(at))
    }"`;
  }
  let quoted = false;
  for (let i = at; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === "\\") i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === "]" && text[i + 1] !== "[") return i + 1;
  }
  return "RFC 5424 structured data is not closed by ]";
}

/**
 * Splits `program[pid]: message`. A line with no colon soon enough has no
 * tag (sysklogd's `last message repeated 3 times`); some tags hold spaces
 * (`syslogd 1.4.1: restart.`).
 */
function splitTag(
  rest: string,
): { program: string | null; pid: number | null; message: string } {
  let colon = rest.indexOf(": ");
  if (colon < 0 && rest.endsWith(":")) colon = rest.length - 1;
  if (colon <= 0 || colon > MAX_TAG) {
    return { program: null, pid: null, message: rest };
  }

  const tag = rest.slice(0, colon);
  const message = rest.slice(colon + 2);
  const open = tag.lastIndexOf("[");
  if (open > 0 && tag.endsWith("]")) {
    const digits = tag.slice(open + 1, -1);
    if (isDigits(digits)) {
      return { program: tag.slice(0, open), pid: Number(digits), message };
    }
  }
  return { program: tag, pid: null, message };
}

/** The hunting fields of one message; null where it says nothing. */
interface Auth {
  event: string;
  outcome: "success" | "failure" | null;
  username: string | null;
  invalidUser: 0 | 1 | null;
  sourceIp: string | null;
  sourcePort: number | null;
  authMethod: string | null;
}

/** Column positions by name, for the copy a repeat makes of its line. */
const COLUMN = Object.fromEntries(
  tables[0].columns.map((column, i) => [column.name, i]),
);

/** A parsed line as the row of the auth table. */
function toRow(
  line: SyslogLine,
  previous: SqlValue[] | undefined,
): SqlValue[] | string {
  const time = line.ms === null ? null : formatTimestamp(line.ms);
  if (time === undefined) return "time is out of range (1970 to 9999)";

  let body = line.message;
  let repeats = 1;
  if (body.startsWith("message repeated ")) {
    const repeated = unwrapRepeat(body);
    if (repeated) ({ body, repeats } = repeated);
  } else if (line.program === null && body.startsWith("last message ")) {
    const count = lastRepeated(body);
    if (count !== undefined && previous?.[COLUMN.host] === line.host) {
      const row = previous.slice();
      row[COLUMN.time] = time;
      row[COLUMN.repeats] = count;
      row[COLUMN.message] = line.message;
      row[COLUMN.priority] = line.priority;
      row[COLUMN.msgid] = line.msgid;
      row[COLUMN.structured_data] = line.structuredData;
      return row;
    }
  }

  const auth = authOf(line.program, body);
  return [
    time,
    line.host,
    line.program,
    line.pid,
    auth?.event ?? null,
    auth?.outcome ?? null,
    auth?.username ?? null,
    auth?.invalidUser ?? null,
    auth?.sourceIp ?? null,
    auth?.sourcePort ?? null,
    auth?.authMethod ?? null,
    repeats,
    line.message,
    line.priority,
    line.msgid,
    line.structuredData,
  ];
}

/** `message repeated 5 times: [ Failed password ...]`, rsyslog's form. */
function unwrapRepeat(
  body: string,
): { body: string; repeats: number } | undefined {
  const start = "message repeated ".length;
  const times = body.indexOf(" times: [", start);
  const count = body.slice(start, times);
  if (times < 0 || !isDigits(count)) return undefined;
  let inner = body.slice(times + " times: [".length);
  if (inner.startsWith(" ")) inner = inner.slice(1);
  if (inner.endsWith("]")) inner = inner.slice(0, -1);
  return { body: inner, repeats: Number(count) };
}

/** `last message repeated 3 times`, sysklogd's form. */
function lastRepeated(body: string): number | undefined {
  const match = /^last message repeated (\d+) times?$/.exec(body);
  return match ? Number(match[1]) : undefined;
}

/** The hunting fields of an OpenSSH or pam_unix message. */
function authOf(program: string | null, body: string): Auth | undefined {
  if (program === null) return undefined;
  if (body.startsWith("pam_unix(")) {
    const close = body.indexOf("): ");
    return close < 0 ? undefined : pamOf(body.slice(close + 3));
  }
  if (program.endsWith("(pam_unix)")) return pamOf(body);
  if (program === "sshd" || program.startsWith("sshd-")) return sshdOf(body);
  return undefined;
}

/** What follows a prefix, or undefined when the text does not start so. */
function after(text: string, prefix: string): string | undefined {
  return text.startsWith(prefix) ? text.slice(prefix.length) : undefined;
}

const NOTHING: Auth = {
  event: "",
  outcome: null,
  username: null,
  invalidUser: null,
  sourceIp: null,
  sourcePort: null,
  authMethod: null,
};

/** pam_unix's messages, whichever program it ran in. */
function pamOf(body: string): Auth | undefined {
  if (body.startsWith("authentication failure;")) {
    return { ...pamFields(body), event: "auth_failure", outcome: "failure" };
  }
  if (body === "check pass; user unknown") {
    return {
      ...NOTHING,
      event: "unknown_user",
      outcome: "failure",
      invalidUser: 1,
    };
  }

  let rest = after(body, "session opened for user ");
  if (rest !== undefined) {
    const by = rest.indexOf(" by ");
    return {
      ...NOTHING,
      event: "session_opened",
      outcome: "success",
      username: withoutUid(by < 0 ? rest : rest.slice(0, by)),
    };
  }
  rest = after(body, "session closed for user ");
  if (rest !== undefined) {
    return { ...NOTHING, event: "session_closed", username: withoutUid(rest) };
  }
  return undefined;
}

/** Newer pam_unix writes `root(uid=0)`. */
function withoutUid(user: string): string {
  const open = user.indexOf("(uid=");
  return open < 0 ? user : user.slice(0, open);
}

/**
 * The rhost and user of `...; logname= uid=0 euid=0 tty=ssh ruser=
 * rhost=1.2.3.4  user=root`. user comes last and runs to the end.
 */
function pamFields(body: string): Auth {
  const fields = { ...NOTHING };
  const rhostAt = body.indexOf(" rhost=");
  if (rhostAt < 0) return fields;
  const start = rhostAt + " rhost=".length;
  const end = spaceOrEnd(body, start);
  if (end > start) fields.sourceIp = body.slice(start, end);
  const userAt = body.indexOf(" user=", end);
  if (userAt >= 0) fields.username = body.slice(userAt + " user=".length);
  return fields;
}

/**
 * OpenSSH's messages about logins and connections. The first letter picks
 * the few prefixes worth trying: this runs for every sshd line.
 */
function sshdOf(message: string): Auth | undefined {
  let body = message.endsWith(PREAUTH)
    ? message.slice(0, -PREAUTH.length)
    : message;
  body = after(body, "error: ") ?? body;

  let rest: string | undefined;
  switch (body[0]) {
    case "A":
      rest = after(body, "Accepted ");
      if (rest !== undefined) return attempt(rest, "success");
      rest = after(body, "Address ");
      return rest === undefined ? undefined : mapsBack(rest);
    case "C":
      rest = after(body, "Connection closed by ") ??
        after(body, "Connection reset by ");
      if (rest === undefined) return undefined;
      return { ...peer(rest), event: "connection_closed" };
    case "D":
      rest = after(body, "Did not receive identification string from ");
      if (rest === undefined) return disconnection(body);
      return { ...peer(rest), event: "no_identification" };
    case "F":
      rest = after(body, "Failed ");
      return rest === undefined ? undefined : attempt(rest, "failure");
    case "I":
      rest = after(body, "Invalid user ");
      if (rest === undefined) return undefined;
      return userFrom(rest, "invalid_user", 1);
    case "P":
      if (!MORE_FAILURES.test(body)) return undefined;
      return {
        ...pamFields(body),
        event: "more_auth_failures",
        outcome: "failure",
      };
    case "R":
      rest = after(body, "Received disconnect from ");
      if (rest === undefined) return undefined;
      return { ...addressAndPort(rest), event: "disconnect" };
    case "i":
      rest = after(body, "input_userauth_request: invalid user ");
      if (rest === undefined) return undefined;
      return {
        ...NOTHING,
        event: "invalid_user_request",
        outcome: "failure",
        username: rest,
        invalidUser: 1,
      };
    case "m":
      rest = after(body, "maximum authentication attempts exceeded for ");
      if (rest === undefined) return undefined;
      return userFrom(rest, "too_many_failures");
    case "r":
      rest = after(body, "reverse mapping checking getaddrinfo for ");
      return rest === undefined ? undefined : reverseMapping(rest);
  }
  return undefined;
}

const MORE_FAILURES = /^PAM \d+ more authentication failures?;/;

/**
 * After `Failed ` or `Accepted `: `<method> for [invalid user ]<user> from
 * <address> port <port> ssh2[: <key>]`. The user name is the client's to
 * choose, spaces and " from " included, so the address is found from the
 * right.
 */
function attempt(
  text: string,
  outcome: "success" | "failure",
): Auth | undefined {
  const forAt = text.indexOf(" for ");
  const method = text.slice(0, forAt);
  if (forAt < 0 || method.includes(" ")) return undefined;
  const auth = userFrom(text.slice(forAt + " for ".length), "", 0);
  if (!auth) return undefined;

  const kind = method === "password" || method === "publickey"
    ? method
    : "other";
  const verb = outcome === "success" ? "accepted" : "failed";
  return { ...auth, event: `${verb}_${kind}`, outcome, authMethod: method };
}

/**
 * `[invalid user ]<user> from <address>[ port <port>...]`. `invalidUser`
 * is what to say when the text does not say "invalid user".
 */
function userFrom(
  text: string,
  event: string,
  invalidUser: 0 | 1 | null = null,
): Auth | undefined {
  const invalid = after(text, "invalid user ");
  const user = invalid ?? text;
  const fromAt = user.lastIndexOf(" from ");
  if (fromAt < 0) return undefined;
  return {
    ...addressAndPort(user.slice(fromAt + " from ".length)),
    event,
    outcome: "failure",
    username: user.slice(0, fromAt),
    invalidUser: invalid === undefined ? invalidUser : 1,
  };
}

/** `<address>[ port <port>][...]`: the first word, then a port if any. */
function addressAndPort(text: string): Auth {
  const end = spaceOrEnd(text, 0);
  let address = text.slice(0, end);
  // Older sshd: "Received disconnect from 1.2.3.4: 11: Bye Bye".
  if (address.endsWith(":")) address = address.slice(0, -1);
  let sourcePort: number | null = null;
  if (text.startsWith(" port ", end)) {
    const start = end + " port ".length;
    sourcePort = portOf(text.slice(start, digitsEnd(text, start)));
  }
  return {
    ...NOTHING,
    sourceIp: address === "" ? null : address,
    sourcePort,
  };
}

/**
 * `[authenticating |invalid ]user <user> <address> port <port>`, or just
 * `<address>[ port <port>]`, as newer sshd writes after "by" and "from".
 */
function peer(text: string): Auth {
  let rest = after(text, "authenticating user ") ?? after(text, "user ");
  let invalidUser: 0 | 1 = 0;
  if (rest === undefined) {
    rest = after(text, "invalid user ");
    invalidUser = 1;
  }
  if (rest === undefined) return addressAndPort(text);

  // The user may hold spaces; the address and port never do.
  const portAt = rest.lastIndexOf(" port ");
  if (portAt < 0) return addressAndPort(rest);
  const addressAt = rest.lastIndexOf(" ", portAt - 1);
  return {
    ...addressAndPort(rest.slice(addressAt + 1)),
    username: rest.slice(0, Math.max(addressAt, 0)),
    invalidUser,
  };
}

/** `Disconnected from ...` and `Disconnecting ...: reason`. */
function disconnection(body: string): Auth | undefined {
  const from = after(body, "Disconnected from ");
  if (from !== undefined) return { ...peer(from), event: "disconnect" };
  if (!body.startsWith("Disconnecting")) return undefined;

  // "Disconnecting: Too many authentication failures for root" (older)
  // or "Disconnecting invalid user x 1.2.3.4 port 22: Too many ..." (newer).
  const reasonAt = body.indexOf(": ");
  const reason = reasonAt < 0 ? "" : body.slice(reasonAt + 2);
  const who = after(body, "Disconnecting ");
  const auth = who !== undefined && reasonAt > 0
    ? peer(who.slice(0, reasonAt - "Disconnecting ".length))
    : { ...NOTHING };
  if (!reason.startsWith("Too many authentication failures")) {
    return { ...auth, event: "disconnect" };
  }

  const forAt = reason.indexOf(" for ");
  if (forAt >= 0) {
    const user = reason.slice(forAt + " for ".length);
    const invalid = after(user, "invalid user ");
    auth.username = invalid ?? user;
    if (invalid !== undefined) auth.invalidUser = 1;
  }
  return { ...auth, event: "too_many_failures", outcome: "failure" };
}

/** After the prefix: `<name> [<address>] failed[ - POSSIBLE BREAK-IN...]`. */
function reverseMapping(text: string): Auth | undefined {
  const open = text.indexOf(" [");
  const close = text.indexOf("]", open);
  if (open < 0 || close < 0) return undefined;
  return {
    ...NOTHING,
    event: "break_in_attempt",
    sourceIp: text.slice(open + 2, close),
  };
}

/** After `Address `: `<address> maps to <name>, but this does not map back`. */
function mapsBack(text: string): Auth | undefined {
  const end = text.indexOf(" maps to ");
  if (end < 0 || !text.includes("does not map back")) return undefined;
  return {
    ...NOTHING,
    event: "break_in_attempt",
    sourceIp: text.slice(0, end),
  };
}

function portOf(text: string): number | null {
  if (!isDigits(text) || text.length > 5) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

function spaceOrEnd(text: string, from: number): number {
  const space = text.indexOf(" ", from);
  return space < 0 ? text.length : space;
}

function digitsEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    if (!isDigit(text.charCodeAt(i))) return false;
  }
  return true;
}

/** Two ASCII digits at a position as a number, or NaN. */
function twoDigits(text: string, at: number): number {
  const high = text.charCodeAt(at) - 0x30;
  const low = text.charCodeAt(at + 1) - 0x30;
  if (!(high >= 0 && high <= 9 && low >= 0 && low <= 9)) return NaN;
  return high * 10 + low;
}

/** Keeps error messages short when a field is garbage. */
function cut(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
