/**
 * What the Windows analyzers share: the channels and event ids they read,
 * reading fields out of the stored event JSON, the traits of a suspicious
 * command line, and the logon session behind an event. Not a module (the
 * name starts with `_`).
 *
 * @module
 */

import { timestampSeconds } from "../../../engine/analysis.ts";
import { formatTimestamp } from "../../../engine/time.ts";
import type { Connection, SqlValue } from "../../../engine/types.ts";

export { byColumn, compareRows, type SortKey } from "../auth/_auth.ts";
export { compareText } from "../../../engine/analysis.ts";

/**
 * Process creation, from Sysmon (1) or the Security log (4688, with
 * command lines when "Include command line in process creation events"
 * is on). Channels are compared lower-cased: exporters differ in case.
 */
export const PROCESS_CREATION =
  "((event_id = 1 AND LOWER(channel) LIKE '%sysmon%')" +
  " OR (event_id = 4688 AND LOWER(channel) = 'security'))";

/** Sysmon's channel, for its event ids that other channels reuse. */
export const SYSMON = "LOWER(channel) LIKE '%sysmon%'";

/** The Security log. */
export const SECURITY = "LOWER(channel) = 'security'";

/** The file name of a Windows or POSIX path, lower-cased. */
export function baseName(path: SqlValue): string {
  const text = String(path ?? "").toLowerCase();
  return text.slice(
    Math.max(text.lastIndexOf("\\"), text.lastIndexOf("/")) + 1,
  );
}

/** An access mask as Windows writes it (`0x1fffff`, or decimal). */
export function parseMask(text: SqlValue): number | undefined {
  const mask = String(text ?? "").trim().toLowerCase();
  if (/^0x[0-9a-f]{1,8}$/.test(mask)) return parseInt(mask.slice(2), 16);
  if (/^\d{1,10}$/.test(mask)) return Number(mask);
  return undefined;
}

/** The event JSON as stored in `event`, or undefined when it is not. */
export function parseEvent(json: SqlValue): unknown {
  try {
    return JSON.parse(String(json ?? ""));
  } catch {
    return undefined;
  }
}

/**
 * The first string value of a field of that name, searched depth first:
 * flat exports (NXLog, OTRF) keep event fields at the top, winlogbeat in
 * `winlog.event_data`, so the name alone finds it in every shape.
 */
export function eventField(event: unknown, name: string): string | undefined {
  if (event === null || typeof event !== "object") return undefined;
  const record = event as Record<string, unknown>;
  const value = record[name];
  if (typeof value === "string" || typeof value === "number") {
    return String(value);
  }
  for (const inner of Object.values(record)) {
    const found = eventField(inner, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every string in the event, in document order. */
export function eventStrings(event: unknown): string[] {
  if (typeof event === "string") return [event];
  if (event === null || typeof event !== "object") return [];
  return Object.values(event as Record<string, unknown>).flatMap(eventStrings);
}

/**
 * A query that `pagesByTime` reads a page at a time: `SELECT columns FROM
 * table WHERE where ORDER BY order`, with `params` for `where`.
 */
export interface TimeOrderedQuery {
  columns: string;
  table: string;
  where: string;
  params: readonly SqlValue[];
  /** Starts with `time`, then enough columns to order every row. */
  order: string;
  /** Rows a page holds, about: 2000 unless given. */
  pageRows?: number;
}

/**
 * The rows of a query one page at a time, so memory stays bounded, in
 * time linear in the rows. A first statement numbers the rows' times in
 * order and keeps every `pageRows`-th, which cuts the time line into spans of
 * about `pageRows` rows; each page is then the rows of one span, which an
 * index on time (or on event_id and time) reads alone. Paging with LIMIT
 * and OFFSET instead made each page read every page before it again:
 * 50,000 Run-key writes took 11 s that way, against 0.3 s in one query.
 * Spans split on times, so a page holds every row of its times, more
 * than `pageRows` when many rows share one. Rows without a time are not read
 * (the windows collector sets every row's time).
 */
export async function* pagesByTime(
  connection: Connection,
  query: TimeOrderedQuery,
): AsyncGenerator<SqlValue[]> {
  const size = query.pageRows ?? 2000;
  const where = `(${query.where}) AND time IS NOT NULL`;
  const { rows: marks } = await connection.query(
    `SELECT time FROM (
       SELECT time, ROW_NUMBER() OVER (ORDER BY time) AS place
       FROM ${query.table} WHERE ${where}
     ) numbered
     WHERE (place - 1) % ? = 0
     ORDER BY time`,
    [...query.params, size],
  );
  const starts = marks.map(([time]) => time)
    .filter((time, i, all) => i === 0 || time !== all[i - 1]);
  for (let i = 0; i < starts.length; i++) {
    const last = i === starts.length - 1;
    const { rows } = await connection.query(
      `SELECT ${query.columns} FROM ${query.table}
       WHERE ${where} AND time >= ?${last ? "" : " AND time < ?"}
       ORDER BY ${query.order}`,
      [...query.params, starts[i], ...last ? [] : [starts[i + 1]]],
    );
    yield* rows;
  }
}

/**
 * A command-line switch as PowerShell and most Windows tools read it:
 * `-`, `/` or a dash that word processors put in (en, em, horizontal
 * bar), the switch's name, and the word after it. The word is only looked
 * at, not consumed, since it may be the next switch.
 */
const SWITCH =
  /(?<=^|[\s"'])[-/\u2013\u2014\u2015]([a-z]+)(?=(?::|\s+)["']?([^\s"']*)|$)/gi;

/** The switches of a command line, names lower-cased, with their values. */
export function switches(text: string): [string, string][] {
  return [...text.matchAll(SWITCH)].map((m) => [
    m[1].toLowerCase(),
    m[2] ?? "",
  ]);
}

/**
 * Whether a switch name abbreviates a PowerShell parameter: PowerShell
 * takes any unambiguous prefix, as long as it is at least `shortest`
 * letters (`-e` for -EncodedCommand, `-nop` for -NoProfile).
 */
export function abbreviates(
  name: string,
  parameter: string,
  shortest: number,
): boolean {
  return name.length >= shortest && parameter.startsWith(name);
}

/** Download cradles: .NET and PowerShell web calls, BITS, certutil, URLs. */
const DOWNLOAD = new RegExp(
  "download(string|file|data)|net\\.webclient|invoke-webrequest|\\biwr\\b|" +
    "start-bitstransfer|urlcache|https?://",
  "i",
);

/** A trait of a command line, tested on its text and its switches. */
interface Trait {
  name: string;
  test(text: string, flags: [string, string][]): boolean;
}

/** What makes a command line or script look like an intrusion. */
const TRAITS: Trait[] = [
  {
    // -WindowStyle Hidden, down to -w h; 1 is Hidden's number.
    name: "hidden window",
    test: (_, flags) =>
      flags.some(([name, value]) =>
        abbreviates(name, "windowstyle", 1) && /^(h|hidden|1)/i.test(value)
      ),
  },
  {
    // -ExecutionPolicy, its alias -ep, or any prefix past -e (which is
    // -EncodedCommand).
    name: "execution policy bypass",
    test: (_, flags) =>
      flags.some(([name, value]) =>
        (name === "ep" || abbreviates(name, "executionpolicy", 2)) &&
        /^(bypass|unrestricted)/i.test(value)
      ),
  },
  { name: "download", test: (text) => DOWNLOAD.test(text) },
  {
    name: "invoke-expression",
    test: (text) => /\biex\b|invoke-expression/i.test(text),
  },
  {
    name: "in-memory code",
    test: (text) =>
      /frombase64string|reflection\.assembly|assembly\]::load|virtualalloc/i
        .test(text),
  },
  {
    name: "logging or AMSI tampering",
    test: (text) =>
      /amsi|scriptblocklogging|cachedgrouppolicysettings|etweventwrite/i
        .test(text),
  },
  {
    name: "compressed payload",
    test: (text) => /gzipstream|deflatestream|io\.compression/i.test(text),
  },
  {
    name: "user-writable path",
    test: (text) =>
      /\\(appdata|temp|users\\public|programdata|downloads)\\/i.test(text),
  },
];

/**
 * The traits of a command line (and of what it decodes to), by name, in
 * a fixed order. They rank findings; none decides on its own.
 */
export function commandTraits(...texts: (string | null)[]): string[] {
  const text = texts.filter((t) => t).join("\n");
  const flags = switches(text);
  return TRAITS.filter((trait) => trait.test(text, flags))
    .map((trait) => trait.name);
}

/** Script hosts and proxy binaries that a command may start. */
const SCRIPT_HOSTS =
  /\b(powershell|pwsh|cmd|wscript|cscript|mshta|rundll32|regsvr32)(\.exe)?\b/i;

/** Whether a command starts a shell, script host or proxy binary. */
export function startsScriptHost(command: string | null): boolean {
  return command !== null && SCRIPT_HOSTS.test(command);
}

/** Where a logon session came from, by the 4624 that opened it. */
export interface LogonSource {
  /** The client's address, null for a local logon. */
  sourceIp: SqlValue;
  /** 3 network, 10 remote interactive, 2 interactive... */
  logonType: SqlValue;
}

/**
 * Sessions behind an event are looked for in the day before it: the
 * sessions these analyzers follow (replication, task registration over
 * RPC) last seconds, and the bound keeps the search on an index range.
 */
const SESSION_LOOKBACK_MS = 86_400_000;

const LOGON_QUERY = `
SELECT source_ip, logon_type FROM windows_events
WHERE event_id = 4624 AND ${SECURITY} AND host = ? AND time <= ?
  AND time >= ? AND LOWER(event) LIKE ?
ORDER BY time DESC, source_ip
LIMIT 1`;

/**
 * The logon (4624) that opened the session an event ran in, found by its
 * logon id (`SubjectLogonId` of the event is the logon's `TargetLogonId`)
 * on the same host, or undefined when that logon is not in the data.
 */
export async function logonSource(
  connection: Connection,
  host: SqlValue,
  time: SqlValue,
  event: unknown,
): Promise<LogonSource | undefined> {
  const logonId = eventField(event, "SubjectLogonId")?.toLowerCase();
  if (!logonId || !/^0x[0-9a-f]+$/.test(logonId) || logonId === "0x0") {
    return undefined;
  }

  const stamp = String(time);
  const since = formatTimestamp(
    timestampSeconds(stamp) * 1000 - SESSION_LOOKBACK_MS,
  ) ?? stamp;
  const found = await connection.query(LOGON_QUERY, [
    host,
    stamp,
    since,
    `%"targetlogonid":"${logonId}"%`,
  ]);
  if (found.rows.length === 0) return undefined;
  const [sourceIp, logonType] = found.rows[0];
  return { sourceIp, logonType };
}
