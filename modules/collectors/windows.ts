/**
 * Windows Security, Sysmon and other event log channels exported as JSON
 * lines, one event per line, in the three shapes exporters write:
 *
 * - winlogbeat (7 and later): nested. The event's own fields sit in
 *   `winlog.event_data` (and `winlog.user_data` for a few events), the
 *   record's system fields in `winlog.*`.
 * - NXLog (`im_msvistalog` with `to_json()`): flat. System fields are
 *   `EventTime`, `Hostname`, `Channel`, `SourceName`, `EventID`,
 *   `RecordNumber`, and the event's own fields sit beside them.
 * - flattened, as in the OTRF Security-Datasets: flat like NXLog, with
 *   `TimeCreated` (and often `@timestamp`) for the time.
 *
 * Every shape maps to the same columns. The event's own fields have the
 * same names in every shape (they are Windows' names), so one list of
 * names per column serves all three; the first name present wins:
 *
 * | column | winlogbeat | NXLog and flattened |
 * | --- | --- | --- |
 * | host | `winlog.computer_name`, else `host.name` | `Hostname`, `Computer` |
 * | channel | `winlog.channel` | `Channel` |
 * | provider | `winlog.provider_name`, `event.provider` | `SourceName`, `ProviderName` |
 * | event_id | `winlog.event_id`, `event.code` | `EventID` |
 * | record_id | `winlog.record_id` | `RecordNumber`, `EventRecordID` |
 *
 * | column | event fields, first present |
 * | --- | --- |
 * | username, user_domain | `SubjectUserName` + `SubjectDomainName`, `User`, `SourceUser` (`DOMAIN\name`), else the record's user (not for Sysmon) |
 * | target_username, target_user_domain | `TargetUserName` + `TargetDomainName`, `TargetUser` |
 * | logon_type | `LogonType` |
 * | source_ip, source_port | `IpAddress`, `SourceIp`, `SourceAddress`, `ClientAddress`; `IpPort`, `SourcePort`, `ClientPort` |
 * | destination_ip, destination_port | `DestinationIp`, `DestAddress`; `DestinationPort`, `DestPort` |
 * | process_id | `NewProcessId`, `ProcessId`, `SourceProcessId`, `ProcessID` |
 * | process_image | `NewProcessName`, `Image`, `SourceImage`, `ProcessName`, `Application` |
 * | command_line, parent_command_line | `CommandLine`; `ParentCommandLine` |
 * | parent_image | `ParentImage`, `ParentProcessName` |
 * | target_image, granted_access, call_trace | `TargetImage`; `GrantedAccess`, `AccessMask`; `CallTrace` |
 * | target_object, details | `TargetObject`; `Details` |
 * | object_name, properties | `ObjectName`; `Properties` |
 * | task_name, service_name, hashes | `TaskName`; `ServiceName`; `Hashes` |
 * | workstation, status | `WorkstationName`, `Workstation` (without a leading `\\`); `Status` (lower case) |
 *
 * The host is never the flat `host` field nor, when `winlog.computer_name`
 * is there, winlogbeat's `host.name`: both name the machine that shipped
 * the event, which under Windows Event Forwarding is the collector, not
 * the computer the event happened on.
 *
 * ## Time
 *
 * `time` is when the event was written on its host, in UTC:
 *
 * - winlogbeat: `@timestamp`, which winlogbeat copies from the record's
 *   own time, in UTC.
 * - NXLog and flattened: the event's own time, `TimeCreated`, else
 *   `EventTime`, when it names its zone (`Z`, `-04:00`). NXLog writes
 *   `EventTime` in the local time of the machine running NXLog, without a
 *   zone, and some exports do the same with `TimeCreated`: such a time is
 *   read in the zone given by the `time_zone` parameter. Without that
 *   parameter, a flat `@timestamp` is used instead when there is one: it
 *   is in UTC, but it is when the shipper (Logstash) received the event,
 *   a few seconds late. Failing that, the zone-less time is read as UTC,
 *   and the file's report says so.
 *
 * Sysmon's `UtcTime` is not used: only Sysmon events have it, and where a
 * file's other clock is wrong, mixing the two would put Sysmon and
 * Security events hours apart. It stays in `event`.
 *
 * What the OTRF Security-Datasets files hold, checked against `UtcTime`:
 * NXLog exports have `EventTime` four hours behind UTC (EDT) and a
 * Logstash `@timestamp` 1 to 4 seconds after the event, so rows carry
 * `@timestamp` unless `time_zone=-04:00` is given. Flattened exports from
 * December 2020 label local time (EST) as UTC (`TimeCreated` and
 * `@timestamp` both end in `Z` and are five hours behind `UtcTime`), and
 * those from October 2020 write `TimeCreated` on a 12-hour clock without
 * AM or PM. Neither can be corrected from the event: the rows keep the
 * time as labelled.
 *
 * ## Values
 *
 * Windows writes `-` for "none" (an `IpAddress` of a local logon): such
 * values, and empty ones, are null. Process ids in hexadecimal (Security
 * events write `0x12d8`) become integers, so they join with Sysmon's. An
 * IPv4 address mapped into IPv6 (`::ffff:10.0.0.5`, in Kerberos events)
 * is stored as the IPv4 address. Access masks are lower-cased, so
 * `0x1FFFFF` and `0x1fffff` compare equal. `event` holds the whole event
 * as read, with only white space between tokens taken out, so no field
 * is lost: key order, escapes and numbers beyond a double's precision
 * (NXLog's 64-bit `Keywords`) stay as written.
 *
 * @module
 */

import { collectLines, type LineParser } from "../../engine/collect.ts";
import { UsageError } from "../../engine/errors.ts";
import { formatTimestamp } from "../../engine/time.ts";
import type {
  CollectOptions,
  CollectReport,
  Connection,
  Input,
  ParamSpecs,
  SqlValue,
  TableSpec,
} from "../../engine/types.ts";

export const aid = "windows";
export const name = "Windows events (JSON lines)";
export const desc =
  "Windows Security, Sysmon and other channels exported one JSON event per " +
  "line by winlogbeat, NXLog or as in the OTRF Security-Datasets, plain or " +
  "gzip. One row per event in the table windows_events, with the whole " +
  "event kept as JSON.";

/** In a folder: JSON lines files, plain or gzip. */
export const files = [
  "*.json",
  "*.jsonl",
  "*.ndjson",
  "*.json.gz",
  "*.jsonl.gz",
  "*.ndjson.gz",
];

export const params: ParamSpecs = {
  time_zone: {
    type: "string",
    default: "",
    desc: "offset from UTC of times written without a zone (NXLog's " +
      "EventTime), such as -04:00; unset: prefer @timestamp, else read as UTC",
  },
};

export const tables: TableSpec[] = [{
  name: "windows_events",
  columns: [
    {
      name: "time",
      type: "timestamp",
      desc: "when the event was written, UTC",
    },
    { name: "host", type: "text", desc: "the computer the event happened on" },
    { name: "channel", type: "text", desc: "e.g. Security" },
    { name: "provider", type: "text", desc: "e.g. Microsoft-Windows-Sysmon" },
    { name: "event_id", type: "integer", desc: "e.g. 4624, or 1 in Sysmon" },
    { name: "record_id", type: "integer", desc: "the record's number" },
    { name: "username", type: "text", desc: "the acting account's name" },
    { name: "user_domain", type: "text", desc: "the acting account's domain" },
    {
      name: "target_username",
      type: "text",
      desc: "the account acted on, e.g. the one logged on",
    },
    { name: "target_user_domain", type: "text" },
    { name: "logon_type", type: "integer", desc: "2 interactive, 3 network…" },
    {
      name: "source_ip",
      type: "text",
      desc: "where a logon or flow came from",
    },
    { name: "source_port", type: "integer" },
    { name: "destination_ip", type: "text", desc: "where a flow went" },
    { name: "destination_port", type: "integer" },
    { name: "process_id", type: "integer", desc: "the acting process" },
    {
      name: "process_image",
      type: "text",
      desc: "the acting process's executable; the new one in process events",
    },
    { name: "command_line", type: "text" },
    { name: "parent_image", type: "text" },
    { name: "parent_command_line", type: "text" },
    {
      name: "target_image",
      type: "text",
      desc: "the process opened or injected into (Sysmon 8, 10)",
    },
    {
      name: "granted_access",
      type: "text",
      desc: "access mask, e.g. 0x1fffff (Sysmon 10, Security 4656/4663)",
    },
    { name: "call_trace", type: "text", desc: "Sysmon 10's call stack" },
    {
      name: "target_object",
      type: "text",
      desc: "registry key (Sysmon 12-14)",
    },
    { name: "details", type: "text", desc: "registry value set (Sysmon 13)" },
    { name: "object_name", type: "text", desc: "object accessed (4656-4663)" },
    {
      name: "properties",
      type: "text",
      desc: "properties accessed, e.g. replication GUIDs (4662)",
    },
    { name: "task_name", type: "text", desc: "scheduled task (4698-4702)" },
    { name: "service_name", type: "text", desc: "service (7045, 4697, 4769)" },
    { name: "hashes", type: "text", desc: "image hashes (Sysmon)" },
    {
      name: "workstation",
      type: "text",
      desc: "the client computer's name, as a logon or an NTLM check gives " +
        "it (4624, 4625, 4776)",
    },
    {
      name: "status",
      type: "text",
      desc: "result code in lower case, 0x0 for success, e.g. 0xc000006a " +
        "for a wrong password (4625, 4771, 4776)",
    },
    { name: "event", type: "text", desc: "the whole event, compact JSON" },
  ],
  indexes: [
    ["time"],
    ["host", "time"],
    ["event_id", "time"],
    ["username", "host"],
    ["process_image"],
    ["target_image", "granted_access"],
    ["source_ip"],
  ],
}];

/**
 * A Sysmon process event can carry a command line and a parent command
 * line of 32,767 characters each, its `Message` repeats both, and JSON
 * spells each backslash twice and each non-ASCII character as six bytes;
 * PowerShell script blocks (4104) come in parts of about 32 KB with the
 * same repetition. Real events stay well under a megabyte, so 4 MiB
 * leaves room and still sets aside runaway garbage unread.
 */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** The exporters whose shapes the collector reads. */
type Shape = "winlogbeat" | "NXLog" | "flattened";

/** What one file held, for `detail()`. */
export interface Tally {
  /** Events by the shape they came in. */
  shapes: Map<string, number>;
  /** Rows by where their time came from. */
  times: Map<string, number>;
}

/** How the parser reads times without a zone. */
export interface ParseOptions {
  /** Minutes east of UTC of zone-less times; unset: see the module doc. */
  zoneMinutes?: number;
  /** Counts shapes and time sources, for a file's report. */
  tally?: Tally;
}

export async function launch(
  connection: Connection,
  inputs: Input[],
  options: CollectOptions,
): Promise<CollectReport> {
  // Checked before anything is read: a typo must not load a whole file
  // with every time shifted.
  const zoneMinutes = zoneOffset(String(options.params?.time_zone ?? ""));
  return await collectLines(connection, inputs, {
    ...options,
    spec: {
      collector: aid,
      table: tables[0],
      maxLineBytes: MAX_LINE_BYTES,
      parser: () => parser(zoneMinutes),
    },
  });
}

/** A parser for one file, counting its shapes and where times came from. */
function parser(zoneMinutes: number | undefined): LineParser {
  const tally: Tally = { shapes: new Map(), times: new Map() };
  return {
    parse: (text) => parseEvent(text, { zoneMinutes, tally }),
    detail() {
      const shapes = [...tally.shapes]
        .map(([shape, count]) => `${shape}: ${count} events`);
      const times = [...tally.times]
        .map(([source, count]) => `time from ${source}: ${count}`);
      const parts = [...shapes, ...times];
      return parts.length > 0 ? parts.join(", ") : undefined;
    },
  };
}

/**
 * Reads a `time_zone` parameter: empty for none, `UTC`, `Z`, or an offset
 * such as `-04:00`, `+0530` or `+01`. Returns minutes east of UTC.
 */
export function zoneOffset(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const minutes = offsetMinutes(text.trim());
  if (Number.isNaN(minutes)) {
    throw new UsageError(
      `Cannot use "${text}" as time_zone of the windows collector: write ` +
        "an offset from UTC between -14:00 and +14:00, such as -04:00.",
    );
  }
  return minutes;
}

/** `Z`, `UTC`, `-04:00`, `+0530` or `+01` in minutes east, else NaN. */
function offsetMinutes(zone: string): number {
  if (/^(utc|z)$/i.test(zone)) return 0;
  const match = /^([+-])(\d\d)(?::?(\d\d))?$/.exec(zone);
  if (!match || Number(match[3] ?? 0) > 59) return NaN;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return minutes > 14 * 60 ? NaN : match[1] === "-" ? -minutes : minutes;
}

/**
 * Parses one line into the columns of windows_events, or says why it is
 * not an event.
 */
export function parseEvent(
  text: string,
  options: ParseOptions = {},
): SqlValue[] | string {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    return notJson(text, error);
  }
  if (!isObject(event)) return notAnObject(event);

  const json = compactJson(text);
  const winlog = event.winlog;
  return isObject(winlog)
    ? winlogbeatRow(event, winlog, json, options)
    : flatRow(event, json, options);
}

type Json = Record<string, unknown>;

/**
 * The event as read, without white space between tokens. Re-encoding the
 * parsed object would be compact too, but would round numbers a double
 * cannot hold (NXLog's 64-bit `Keywords` on every event) and cost more
 * than the parse; here key order, escapes and digits stay as written.
 * Exporters write compact lines, so the text itself is nearly always the
 * answer. The text must be valid JSON: then every `"` outside a string
 * opens one, and the string ends at the next `"` not escaped.
 */
export function compactJson(text: string): string {
  let parts: string[] | undefined;
  let kept = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = stringEnd(text, i + 1) + 1;
    } else if (
      code === SPACE || code === TAB || code === LF || code === CR
    ) {
      (parts ??= []).push(text.slice(kept, i));
      while (WHITE_SPACE.has(text.charCodeAt(i))) i++;
      kept = i;
    } else i++;
  }
  if (!parts) return text;
  parts.push(text.slice(kept));
  return parts.join("");
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const WHITE_SPACE = new Set([SPACE, TAB, LF, CR]);

/** The index of the `"` that closes a string whose text starts at `from`. */
function stringEnd(text: string, from: number): number {
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length; // not JSON after all: stop
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) {
      backslashes++;
    }
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function notAnObject(value: unknown): string {
  const kind = Array.isArray(value)
    ? "a JSON array"
    : value === null
    ? "JSON null"
    : `a JSON ${typeof value}`;
  return `the line is ${kind}, not an event object`;
}

// Tab and carriage return may sit between JSON tokens; the others may not
// appear anywhere in JSON text, so a line with one is not JSON gone wrong
// but something else.
// deno-lint-ignore no-control-regex -- binary garbage is what it looks for
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;

/**
 * Why a line is not JSON, from V8's message without the excerpt of the
 * line it quotes: a reason must not carry the line's bytes to a terminal.
 */
function notJson(text: string, error: unknown): string {
  if (text.trim() === "") return "white space only: no event";
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, "0");
    return `binary data: control character 0x${code} at column ${
      control.index + 1
    }`;
  }

  // V8 says where it stopped; stopping at the very end means the text was
  // fine so far and simply ran out.
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message);
  const atEnd = position !== null &&
    Number(position[1]) >= text.trimEnd().length;
  if (atEnd || /^Unexpected end of JSON|^Unterminated string/.test(message)) {
    const plural = text.length === 1 ? "" : "s";
    return "truncated JSON: the line ends inside the event, after " +
      `${text.length} character${plural}`;
  }
  const token = /^Unexpected token '(.*?)', /s.exec(message);
  if (token) return `not JSON: unexpected ${character(token[1])}`;
  const what = message
    .replace(/ at position \d+.*$/s, "")
    .replace(/ in JSON$/, "")
    .replace(/, ".*" is not valid JSON$/s, "");
  const where = position ? ` at column ${Number(position[1]) + 1}` : "";
  return `not JSON: ${what.charAt(0).toLowerCase()}${what.slice(1)}${where}`;
}

/** A character for a message: itself when printable ASCII, else U+XXXX. */
function character(char: string): string {
  if (/^[\x21-\x7e]$/.test(char)) return `'${char}'`;
  const code = char.codePointAt(0) ?? 0;
  return `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

const NO_EVENT_ID_WINLOGBEAT =
  "no event ID: winlog.event_id and event.code are both missing";
const NO_EVENT_ID_FLAT = "no event ID: EventID is missing";
const NO_TIME_WINLOGBEAT = "no time: @timestamp is missing";
const NO_TIME_FLAT =
  "no time: TimeCreated, EventTime and @timestamp are all missing";

function winlogbeatRow(
  record: Json,
  winlog: Json,
  json: string,
  options: ParseOptions,
): SqlValue[] | string {
  const ecsEvent = isObject(record.event) ? record.event : EMPTY;
  const idKey = winlog.event_id !== undefined
    ? "winlog.event_id"
    : ecsEvent.code !== undefined
    ? "event.code"
    : undefined;
  if (!idKey) return NO_EVENT_ID_WINLOGBEAT;
  const eventId = readEventId(
    idKey === "winlog.event_id" ? winlog.event_id : ecsEvent.code,
    idKey,
  );
  if (typeof eventId === "string") return eventId;

  const stamp = record["@timestamp"];
  if (stamp === undefined) return NO_TIME_WINLOGBEAT;
  const time = readTime(stamp, "@timestamp", options.zoneMinutes);
  if (typeof time === "string") return time;

  const host = isObject(record.host) ? record.host : EMPTY;
  const user = isObject(winlog.user) ? winlog.user : EMPTY;
  const data = isObject(winlog.event_data) ? winlog.event_data : EMPTY;
  const extra = isObject(winlog.user_data) ? winlog.user_data : EMPTY;
  count(options.tally, "winlogbeat", time.source);
  return eventRow({
    time: time.text,
    host: text(first(winlog, ["computer_name"]) ?? first(host, ["name"])),
    channel: text(first(winlog, ["channel"])),
    provider: text(
      first(winlog, ["provider_name"]) ?? first(ecsEvent, ["provider"]),
    ),
    eventId,
    recordId: integer(first(winlog, ["record_id"])),
    recordUser: [first(user, ["name"]), first(user, ["domain"])],
    field: fieldsOf(data, extra),
    json,
  });
}

function flatRow(
  record: Json,
  json: string,
  options: ParseOptions,
): SqlValue[] | string {
  if (record.EventID === undefined) return NO_EVENT_ID_FLAT;
  const eventId = readEventId(record.EventID, "EventID");
  if (typeof eventId === "string") return eventId;

  const time = flatTime(record, options.zoneMinutes);
  if (typeof time === "string") return time;

  const shape = record.EventTime !== undefined ? "NXLog" : "flattened";
  count(options.tally, shape, time.source);
  return eventRow({
    time: time.text,
    host: text(first(record, ["Hostname", "Computer"])),
    channel: text(first(record, ["Channel"])),
    provider: text(first(record, ["SourceName", "ProviderName"])),
    eventId,
    recordId: integer(first(record, ["RecordNumber", "EventRecordID"])),
    recordUser: [first(record, ["AccountName"]), first(record, ["Domain"])],
    field: fieldsOf(record),
    json,
  });
}

/**
 * The `field` of an event: the first of some names with a value, looked
 * for in `data`, then in `extra`.
 */
function fieldsOf(
  data: Json,
  extra?: Json,
): (keys: readonly string[]) => unknown {
  const main = knownFields(data);
  const more = extra && extra !== EMPTY ? knownFields(extra) : undefined;
  return more
    ? (keys) => firstOf(main, keys) ?? firstOf(more, keys)
    : (keys) => firstOf(main, keys);
}

/** A time read from an event, or why it could not be. */
interface EventTime {
  text: string;
  /** Whether the text named its zone. */
  zoned: boolean;
  /** Where it came from, for the file's report. */
  source: string;
}

/** Picks the time of a flat event by the rules in the module doc. */
function flatTime(
  record: Json,
  zoneMinutes: number | undefined,
): EventTime | string {
  const ownKey = record.TimeCreated !== undefined
    ? "TimeCreated"
    : record.EventTime !== undefined
    ? "EventTime"
    : undefined;
  const stamp = record["@timestamp"];
  if (!ownKey) {
    if (stamp === undefined) return NO_TIME_FLAT;
    return readTime(stamp, "@timestamp", zoneMinutes);
  }

  const own = readTime(record[ownKey], ownKey, zoneMinutes);
  if (typeof own === "string" || own.zoned || zoneMinutes !== undefined) {
    return own;
  }
  if (stamp !== undefined) {
    const received = readTime(stamp, "@timestamp", undefined);
    if (typeof received !== "string" && received.zoned) {
      return {
        ...received,
        source: `@timestamp as received (${ownKey} has no zone)`,
      };
    }
  }
  return own;
}

const TIME =
  /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/i;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Reads `2020-08-05T06:09:29.626Z`, `2020-08-05 02:09:26` and their kin:
 * a `T` or a space, any fraction (Windows keeps 100 ns; milliseconds are
 * kept), and a zone or none.
 */
function readTime(
  value: unknown,
  key: string,
  zoneMinutes: number | undefined,
): EventTime | string {
  const match = typeof value === "string" ? TIME.exec(value) : null;
  if (!match) return `time ${quote(value)} in ${key} is not a date and time`;

  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const m = Number(month);
  const d = Number(day);
  const leap = Number(year) % 4 === 0 &&
    (Number(year) % 100 !== 0 || Number(year) % 400 === 0);
  const monthDays = m === 2 && !leap ? 28 : DAYS_IN_MONTH[m - 1];
  if (
    m < 1 || m > 12 || d < 1 || d > monthDays || Number(hour) > 23 ||
    Number(minute) > 59 || Number(second) > 59
  ) {
    return `time ${quote(value)} in ${key} is not a date and time`;
  }

  const offset = zone === undefined ? zoneMinutes ?? 0 : offsetMinutes(zone);
  if (Number.isNaN(offset)) {
    return `time ${quote(value)} in ${key} has no such zone as ${zone}`;
  }
  const ms = Date.UTC(
    Number(year),
    m - 1,
    d,
    Number(hour),
    Number(minute),
    Number(second),
    Number(((fraction ?? "") + "00").slice(0, 3)),
  ) - offset * 60_000;
  const text = formatTimestamp(ms);
  if (!text) return `time ${quote(value)} in ${key} is out of range`;

  const source = zone !== undefined
    ? key
    : zoneMinutes !== undefined
    ? `${key} read in time_zone ${formatZone(zoneMinutes)}`
    : `${key} read as UTC (it has no zone)`;
  return { text, zoned: zone !== undefined, source };
}

function formatZone(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const whole = Math.abs(minutes);
  const hh = String(Math.floor(whole / 60)).padStart(2, "0");
  return `${sign}${hh}:${String(whole % 60).padStart(2, "0")}`;
}

/** Event ids are 16 bits: winlogbeat 8 writes them as text. */
function readEventId(value: unknown, key: string): number | string {
  const id = integer(value);
  if (id === null || id < 0 || id > 65535) {
    return `event ID ${quote(value)} in ${key} is not a number from 0 to 65535`;
  }
  return id;
}

/** What a shape contributes to a row; the rest comes from event fields. */
interface RowParts {
  time: string;
  host: string | null;
  channel: string | null;
  provider: string | null;
  eventId: number;
  recordId: number | null;
  /** The account the record was logged under: name, domain. */
  recordUser: [unknown, unknown];
  /** The first of the named event fields with a value. */
  field(keys: readonly string[]): unknown;
  json: string;
}

const F = {
  subjectUser: ["SubjectUserName"],
  subjectDomain: ["SubjectDomainName"],
  qualifiedUser: ["User", "SourceUser"],
  targetUser: ["TargetUserName"],
  targetDomain: ["TargetDomainName"],
  qualifiedTarget: ["TargetUser"],
  logonType: ["LogonType"],
  sourceIp: ["IpAddress", "SourceIp", "SourceAddress", "ClientAddress"],
  sourcePort: ["IpPort", "SourcePort", "ClientPort"],
  destinationIp: ["DestinationIp", "DestAddress"],
  destinationPort: ["DestinationPort", "DestPort"],
  // 4688's ProcessId is the creator's: the new process comes first.
  processId: ["NewProcessId", "ProcessId", "SourceProcessId", "ProcessID"],
  processImage: [
    "NewProcessName",
    "Image",
    "SourceImage",
    "ProcessName",
    "Application",
  ],
  commandLine: ["CommandLine"],
  parentImage: ["ParentImage", "ParentProcessName"],
  parentCommandLine: ["ParentCommandLine"],
  targetImage: ["TargetImage"],
  grantedAccess: ["GrantedAccess", "AccessMask"],
  callTrace: ["CallTrace"],
  targetObject: ["TargetObject"],
  details: ["Details"],
  objectName: ["ObjectName"],
  properties: ["Properties"],
  taskName: ["TaskName"],
  serviceName: ["ServiceName"],
  hashes: ["Hashes"],
  workstation: ["WorkstationName", "Workstation"],
  status: ["Status"],
} as const;

/** Every event field name a column reads. */
const KNOWN_FIELDS = new Set<string>(Object.values(F).flat());

function eventRow(parts: RowParts): SqlValue[] {
  const { field } = parts;
  const [username, userDomain] = actingUser(parts);
  const [targetUsername, targetDomain] = account(
    field(F.targetUser),
    field(F.targetDomain),
    field(F.qualifiedTarget),
  );
  const access = lowerCase(text(field(F.grantedAccess)));

  return [
    parts.time,
    parts.host,
    parts.channel,
    parts.provider,
    parts.eventId,
    parts.recordId,
    username,
    userDomain,
    targetUsername,
    targetDomain,
    integer(field(F.logonType)),
    address(text(field(F.sourceIp))),
    integer(field(F.sourcePort)),
    address(text(field(F.destinationIp))),
    integer(field(F.destinationPort)),
    integer(field(F.processId)),
    text(field(F.processImage)),
    text(field(F.commandLine)),
    text(field(F.parentImage)),
    text(field(F.parentCommandLine)),
    text(field(F.targetImage)),
    access,
    text(field(F.callTrace)),
    text(field(F.targetObject)),
    text(field(F.details)),
    text(field(F.objectName)),
    text(field(F.properties)),
    text(field(F.taskName)),
    text(field(F.serviceName)),
    text(field(F.hashes)),
    workstation(text(field(F.workstation))),
    lowerCase(text(field(F.status))),
    parts.json,
  ];
}

/** 4776 may name the workstation as a UNC host, `\\WKS01`. */
function workstation(name: string | null): string | null {
  const bare = name?.replace(/^\\+/, "") ?? null;
  return bare === "" ? null : bare;
}

function lowerCase(value: string | null): string | null {
  return value === null ? null : value.toLowerCase();
}

/**
 * The account that acted. Sysmon's records are all logged by its service
 * as SYSTEM, so for Sysmon the record's user says nothing about who acted
 * and is not used.
 */
function actingUser(parts: RowParts): [string | null, string | null] {
  const { field } = parts;
  const [name, domain] = account(
    field(F.subjectUser),
    field(F.subjectDomain),
    field(F.qualifiedUser),
  );
  if (name !== null || parts.provider === SYSMON) return [name, domain];
  return [text(parts.recordUser[0]), text(parts.recordUser[1])];
}

const SYSMON = "Microsoft-Windows-Sysmon";

/** A name and domain from separate fields, else from `DOMAIN\name`. */
function account(
  name: unknown,
  domain: unknown,
  qualified: unknown,
): [string | null, string | null] {
  const bare = text(name);
  if (bare !== null) return [bare, text(domain)];
  const full = text(qualified);
  if (full === null) return [null, null];
  const slash = full.indexOf("\\");
  if (slash < 0) return [full, null];
  return [full.slice(slash + 1) || null, full.slice(0, slash) || null];
}

const EMPTY: Json = {};

/** Windows and its shippers write `-`, "" or null for "none". */
function hasValue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "" &&
    value !== "-";
}

/**
 * The values of an event's fields that some column reads, by name, read
 * once: looking each column's names up in the event itself, some fifty
 * names at one lookup, made V8 take its slowest property path for each
 * (parsing a million Sysmon events took 5.4 s that way, 3.1 s this way).
 */
function knownFields(data: Json): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const key in data) {
    if (KNOWN_FIELDS.has(key) && hasValue(data[key])) {
      found.set(key, data[key]);
    }
  }
  return found;
}

/** The first of the keys that `fields` holds. */
function firstOf(
  fields: Map<string, unknown>,
  keys: readonly string[],
): unknown {
  for (const key of keys) {
    const value = fields.get(key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The first of the keys whose value is not empty, null or `-`. */
function first(data: Json, keys: readonly string[]): unknown {
  for (const key of keys) {
    if (hasValue(data[key])) return data[key];
  }
  return undefined;
}

/**
 * A field as text. PostgreSQL cannot store U+0000 in text, so a NUL that
 * an event spelled as `\u0000` becomes U+FFFD here; `event` keeps it.
 */
function text(value: unknown): string | null {
  if (value === undefined || value === null || value === "-") return null;
  if (typeof value === "string") {
    if (value === "") return null;
    return value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value;
  }
  if (typeof value === "object") return text(JSON.stringify(value));
  return String(value);
}

const DECIMAL = /^\s*-?\d+\s*$/;
const HEX = /^\s*0x[0-9a-f]+\s*$/i;

/** A decimal or `0x` hexadecimal integer, else null (`event` keeps it). */
function integer(value: unknown): number | null {
  let number = NaN;
  if (typeof value === "number") number = value;
  else if (typeof value === "string") {
    if (DECIMAL.test(value)) number = Number(value);
    else if (HEX.test(value)) number = parseInt(value, 16);
  }
  return Number.isSafeInteger(number) ? number : null;
}

/** An address as logged, with an IPv4 address mapped into IPv6 unwrapped. */
function address(value: string | null): string | null {
  if (value === null) return null;
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(value) ? value.slice(7) : value;
}

function count(tally: Tally | undefined, shape: Shape, source: string) {
  if (!tally) return;
  tally.shapes.set(shape, (tally.shapes.get(shape) ?? 0) + 1);
  tally.times.set(source, (tally.times.get(source) ?? 0) + 1);
}

/** A value for an error message: quoted, escaped, and kept short. */
function quote(value: unknown): string {
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > 60 ? `${shown.slice(0, 60)}…` : shown;
}
