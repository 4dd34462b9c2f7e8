/**
 * PowerShell started with an encoded command (-EncodedCommand and its
 * abbreviations), decoded, from process creation and PowerShell's own
 * logs.
 *
 * @module
 */

import { timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import {
  abbreviates,
  byColumn,
  commandTraits,
  compareRows,
  compareText,
  eventStrings,
  pagesByTime,
  parseEvent,
  PROCESS_CREATION,
  type SortKey,
  switches,
} from "./_windows.ts";

export const aid = "encoded_powershell";
export const name = "Encoded PowerShell commands";
export const desc =
  "Finds PowerShell started with -EncodedCommand (or -e, -enc, -ec or any " +
  "other abbreviation PowerShell accepts) in process creation (Sysmon 1, " +
  "Security 4688) and in PowerShell's own logs (the host application of " +
  "400, 403, 600, 800 and 4103; commands inside 4104 script blocks), " +
  "decodes the Base64 UTF-16LE text, and ranks each command per host by " +
  "its traits: hidden window, execution policy bypass, download, " +
  "Invoke-Expression, in-memory code, logging or AMSI tampering, " +
  "compressed payload, user-writable path. An encoded command hides the " +
  "script from anyone reading the command line, which is why loaders " +
  "and post-exploitation frameworks (Empire, Cobalt Strike, Metasploit) " +
  "launch their stagers that way. False positives: management tools " +
  "(SCCM, Intune, some installers and monitoring agents) that pass " +
  "scripts encoded to avoid quoting trouble; their decoded text is " +
  "usually plain and their traits few. The traits are PowerShell's " +
  "documented switches (about_PowerShell_exe) and the calls stagers need; " +
  "no threshold: every decodable command is listed.";

export const hypothesis =
  "Attackers launch PowerShell with an encoded command to keep their " +
  "script out of sight on the command line; decoding it shows stagers, " +
  "download cradles and logging or AMSI bypasses.";

export const mitre = ["T1059.001", "T1027", "T1027.010"];

export const falsePositives =
  "Configuration management (SCCM, Intune), installers and monitoring " +
  "agents that pass scripts encoded. Their decoded scripts are usually " +
  "readable administration with few traits; a hidden window, a download " +
  "and Invoke-Expression together are not.";

export const tables = ["windows_events"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

const COLUMNS = [
  "host",
  "command",
  "decoded",
  "traits",
  "score",
  "events",
  "event_ids",
  "users",
  "first_seen",
  "last_seen",
];

/** More traits first, then more events, the earliest, host, command. */
const RANKING: SortKey[] = [
  byColumn(4, true),
  byColumn(5, true),
  byColumn(8),
  byColumn(0),
  byColumn(1),
];

/** Switch signs the SQL pre-filter looks for: hyphen, slash and dashes. */
const SWITCH_SIGNS = ["-e", "/e", "\u2013e", "\u2014e", "\u2015e"];

const SIGNS_LIKE = SWITCH_SIGNS.map(() => "LOWER(%COLUMN%) LIKE ?")
  .join(" OR ");

/** Process creation: one group per host, command line, user and id. */
const PROCESS_QUERY = `
SELECT host, command_line, username, event_id, COUNT(*) AS events,
       MIN(time) AS first_seen, MAX(time) AS last_seen
FROM windows_events
WHERE ${PROCESS_CREATION} AND %WINDOW%
  AND (LOWER(command_line) LIKE '%powershell%'
    OR LOWER(command_line) LIKE '%pwsh%')
  AND (${SIGNS_LIKE.replaceAll("%COLUMN%", "command_line")})
GROUP BY host, command_line, username, event_id`;

/**
 * PowerShell's logs, whose command is inside the event's text: paged,
 * since it must be read in TypeScript.
 */
const POWERSHELL_QUERY = {
  columns: "host, username, event_id, time, event",
  table: "windows_events",
  where: `LOWER(channel) LIKE '%powershell%'
  AND event_id IN (400, 403, 600, 800, 4103, 4104) AND %WINDOW%
  AND (LOWER(event) LIKE '%powershell%' OR LOWER(event) LIKE '%pwsh%')
  AND (${SIGNS_LIKE.replaceAll("%COLUMN%", "event")})`,
  order: "time, host, record_id, event_id, event",
};

/** "HostApplication=" (400, 800) or "Host Application = " (4103). */
const HOST_APPLICATION = /^\s*host ?application ?= ?/i;

/** One command on one host, as it accumulates. */
interface Finding {
  host: SqlValue;
  command: string;
  decoded: string;
  events: number;
  eventIds: Set<number>;
  users: Set<string>;
  firstSeen: string;
  lastSeen: string;
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const findings = new Map<string, Finding>();
  const window = timeWindow("time", params);
  const signs = SWITCH_SIGNS.map((sign) => `% ${sign}%`);

  const processes = await connection.query(
    PROCESS_QUERY.replace("%WINDOW%", window.sql),
    [...window.params, ...signs],
  );
  for (const [host, line, user, id, events, first, last] of processes.rows) {
    const decoded = decodeCommand(String(line));
    if (decoded === undefined) continue;
    add(findings, { host, command: String(line), decoded }, {
      user,
      id,
      events: Number(events),
      first: String(first),
      last: String(last),
    });
  }

  const events = pagesByTime(connection, {
    ...POWERSHELL_QUERY,
    where: POWERSHELL_QUERY.where.replace("%WINDOW%", window.sql),
    params: [...window.params, ...signs],
    // Script blocks (4104) run to 32 KiB each: smaller pages.
    pageRows: 500,
  });
  for await (const [host, user, id, time, json] of events) {
    for (const command of commandsIn(parseEvent(json))) {
      const decoded = decodeCommand(command)!;
      const stamp = String(time);
      add(findings, { host, command, decoded }, {
        user,
        id,
        events: 1,
        first: stamp,
        last: stamp,
      });
    }
  }

  const rows = [...findings.values()].map((f): SqlValue[] => {
    const traits = commandTraits(f.command, f.decoded);
    return [
      f.host,
      f.command,
      f.decoded,
      traits.join(", "),
      traits.length,
      f.events,
      [...f.eventIds].sort((a, b) => a - b).join(", "),
      [...f.users].sort(compareText).join(", ") || null,
      f.firstSeen,
      f.lastSeen,
    ];
  });
  rows.sort((a, b) => compareRows(a, b, RANKING));
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}

function add(
  findings: Map<string, Finding>,
  what: { host: SqlValue; command: string; decoded: string },
  seen: {
    user: SqlValue;
    id: SqlValue;
    events: number;
    first: string;
    last: string;
  },
): void {
  const key = JSON.stringify([what.host, what.command]);
  let finding = findings.get(key);
  if (!finding) {
    finding = {
      ...what,
      events: 0,
      eventIds: new Set(),
      users: new Set(),
      firstSeen: seen.first,
      lastSeen: seen.last,
    };
    findings.set(key, finding);
  }
  finding.events += seen.events;
  finding.eventIds.add(Number(seen.id));
  if (seen.user !== null) finding.users.add(String(seen.user));
  if (seen.first < finding.firstSeen) finding.firstSeen = seen.first;
  if (seen.last > finding.lastSeen) finding.lastSeen = seen.last;
}

/**
 * The lines of an event's text that start PowerShell with an encoded
 * command, without a "HostApplication=" label, each once.
 */
function commandsIn(event: unknown): string[] {
  const found = new Set<string>();
  for (const text of eventStrings(event)) {
    for (const line of text.split(/\r?\n/)) {
      if (!/powershell|pwsh/i.test(line)) continue;
      const command = line.replace(HOST_APPLICATION, "").trim();
      if (decodeCommand(command) !== undefined) found.add(command);
    }
  }
  return [...found];
}

/**
 * The script of a PowerShell command line's -EncodedCommand, or undefined
 * when it has none that decodes. PowerShell reads the value as Base64 of
 * UTF-16LE text; anything else it would refuse too.
 */
function decodeCommand(line: string): string | undefined {
  if (!/powershell|pwsh/i.test(line)) return undefined;
  for (const [name, value] of switches(line)) {
    if (name !== "ec" && !abbreviates(name, "encodedcommand", 1)) continue;
    const decoded = decodeUtf16Base64(value);
    if (decoded !== undefined) return decoded;
  }
  return undefined;
}

// deno-lint-ignore no-control-regex -- control characters are the test
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;

function decodeUtf16Base64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 === 1) {
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  if (bytes.length === 0 || bytes.length % 2 !== 0) return undefined;
  const text = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: false });
  try {
    const script = text.decode(bytes);
    return CONTROL.test(script) ? undefined : script;
  } catch {
    return undefined;
  }
}
