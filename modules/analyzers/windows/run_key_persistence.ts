/**
 * Persistence through the registry's autostart keys: Run, RunOnce,
 * RunServices, Policies\Explorer\Run and Winlogon's Userinit and Shell,
 * from Sysmon (12, 13, 14) and the Security log (4657).
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
  baseName,
  byColumn,
  commandTraits,
  compareRows,
  compareText,
  eventField,
  pagesByTime,
  parseEvent,
  SECURITY,
  type SortKey,
  startsScriptHost,
  SYSMON,
} from "./_windows.ts";

export const aid = "run_key_persistence";
export const name = "Registry Run key persistence";
export const desc =
  "Lists the values written to, deleted from or renamed into the " +
  "registry's autostart keys (CurrentVersion\\Run, RunOnce, RunOnceEx, " +
  "RunServices, RunServicesOnce, Policies\\Explorer\\Run, and Winlogon's " +
  "Userinit and Shell, in HKLM, HKCU and under Wow6432Node), from Sysmon " +
  "12, 13 and 14 and Security 4657 (with auditing on those keys), one " +
  "row per host, key, value, data, action and process, with the process " +
  "that wrote it and how many hosts have the same value and data. The " +
  "score counts traits: written by a shell or script host, data that " +
  "starts a script host, and the command-line traits of the data " +
  "(hidden window, encoded or in-memory code, download, user-writable " +
  "path ...). Whatever is in these keys runs at every logon or boot, " +
  "which makes them the commonest persistence on Windows. False " +
  "positives: installers and updaters (OneDrive, Teams, drivers' tray " +
  "tools) that register themselves, usually from their own signed " +
  "executable into Program Files and on many hosts alike. No threshold: " +
  "every write is listed; the keys are those of ATT&CK T1547.001 and " +
  "T1547.004.";

export const hypothesis =
  "Malware that wants to survive a reboot writes a command into a Run " +
  "key or Winlogon value, often from a script host and often pointing at " +
  "a script interpreter or a user-writable folder.";

export const mitre = ["T1547.001", "T1547.004", "T1112"];

export const falsePositives =
  "Installers and updaters registering their tray or helper programs " +
  "(OneDrive, Teams, Zoom, vendors' driver tools), group policy setting " +
  "Userinit or Shell. They write from their own executable, point into " +
  "Program Files and repeat on many hosts: the hosts column shows it.";

export const tables = ["windows_events"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

const COLUMNS = [
  "host",
  "key",
  "value_name",
  "data",
  "action",
  "process_image",
  "users",
  "traits",
  "score",
  "hosts",
  "events",
  "first_seen",
  "last_seen",
];

/** More traits, rarer across hosts, earlier; then what identifies a row. */
const RANKING: SortKey[] = [
  byColumn(8, true),
  byColumn(9),
  byColumn(11),
  ...[0, 1, 2, 3, 4, 5].map((column) => byColumn(column)),
];

/**
 * Candidates: LIKE with `_` standing for the backslash (a backslash is
 * LIKE's escape character on PostgreSQL and MariaDB); the regexes below
 * decide. Sysmon 14 names the new path in the event's NewName.
 */
const QUERY = {
  columns: "host, event_id, target_object, details, object_name, " +
    "process_image, username, time, event",
  table: "windows_events",
  where: `%WINDOW% AND (
  (event_id IN (12, 13) AND ${SYSMON} AND (%TARGET%))
  OR (event_id = 14 AND ${SYSMON}
    AND ((%TARGET%) OR LOWER(event) LIKE '%currentversion%run%'
      OR LOWER(event) LIKE '%winlogon%'))
  OR (event_id = 4657 AND ${SECURITY} AND (%OBJECT%)))`,
  order: "time, host, record_id, event_id, event",
};

const KEY_PATTERNS = [
  "%currentversion_run%",
  "%policies_explorer_run%",
  "%winlogon%",
];

/** The autostart keys, with the value named when only one value counts. */
const AUTOSTART = [
  /\\currentversion\\(run|runonce|runservices)(ex|once)?(\\|$)/i,
  /\\policies\\explorer\\run(\\|$)/i,
  /\\winlogon\\(userinit|shell)$/i,
];

/** Programs that write registry values for an intruder, not an installer. */
const SCRIPT_WRITERS = [
  "powershell.exe",
  "pwsh.exe",
  "cmd.exe",
  "reg.exe",
  "wscript.exe",
  "cscript.exe",
  "mshta.exe",
  "rundll32.exe",
  "regsvr32.exe",
  "wmic.exe",
];

/** Sysmon's EventType names; other values (NXLog's INFO) are not these. */
const SYSMON_ACTIONS = new Set([
  "CreateKey",
  "DeleteKey",
  "SetValue",
  "DeleteValue",
  "RenameKey",
  "RenameValue",
]);

/** 4657's OperationType, as a code or as the text Windows renders. */
const OPERATIONS: Record<string, string> = {
  "%%1904": "CreateValue",
  "%%1905": "SetValue",
  "%%1906": "DeleteValue",
};

/** One write, as its events accumulate. */
interface Finding {
  host: SqlValue;
  key: string;
  valueName: string | null;
  data: string | null;
  action: string;
  image: SqlValue;
  users: Set<string>;
  events: number;
  firstSeen: string;
  lastSeen: string;
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const likes = (column: string) =>
    KEY_PATTERNS.map(() => `LOWER(${column}) LIKE ?`).join(" OR ");
  const where = QUERY.where.replace("%WINDOW%", window.sql)
    .replaceAll("%TARGET%", likes("target_object"))
    .replace("%OBJECT%", likes("object_name"));
  const patterns = [...KEY_PATTERNS, ...KEY_PATTERNS, ...KEY_PATTERNS];

  const findings = new Map<string, Finding>();
  const events = pagesByTime(connection, {
    ...QUERY,
    where,
    params: [...window.params, ...patterns],
  });
  for await (const row of events) {
    const write = readWrite(row);
    if (write === undefined) continue;
    const [host, , , , , image, user, time] = row;
    const key = JSON.stringify([host, ...Object.values(write), image]);
    let finding = findings.get(key);
    if (!finding) {
      const stamp = String(time);
      finding = {
        host,
        ...write,
        image,
        users: new Set(),
        events: 0,
        firstSeen: stamp,
        lastSeen: stamp,
      };
      findings.set(key, finding);
    }
    finding.events++;
    if (user !== null) finding.users.add(String(user));
    if (String(time) < finding.firstSeen) finding.firstSeen = String(time);
    if (String(time) > finding.lastSeen) finding.lastSeen = String(time);
  }

  // The same value with the same data on several hosts is, more often
  // than not, fleet software.
  const hosts = new Map<string, Set<SqlValue>>();
  for (const finding of findings.values()) {
    const same = JSON.stringify([finding.valueName, finding.data]);
    hosts.set(same, (hosts.get(same) ?? new Set()).add(finding.host));
  }
  const rows = [...findings.values()].map((finding) =>
    toRow(
      finding,
      hosts.get(JSON.stringify([finding.valueName, finding.data]))!.size,
    )
  );
  rows.sort((a, b) => compareRows(a, b, RANKING));
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}

/** What one event wrote, or undefined when it is not an autostart key. */
interface Write {
  key: string;
  valueName: string | null;
  data: string | null;
  action: string;
}

function readWrite(row: SqlValue[]): Write | undefined {
  const [, id, target, details, object, , , , json] = row;
  const eventId = Number(id);
  const event = parseEvent(json);

  let path: string;
  let data: string | null = null;
  let action: string;
  if (eventId === 4657) {
    const valueName = eventField(event, "ObjectValueName");
    path = [object, valueName].filter((part) => part).join("\\");
    data = eventField(event, "NewValue") ?? null;
    const operation = eventField(event, "OperationType") ?? "";
    action = OPERATIONS[operation] ?? operationFromText(operation);
  } else {
    const type = eventField(event, "EventType") ?? "";
    const fallback = eventId === 13
      ? "SetValue"
      : eventId === 14
      ? "Rename"
      : "CreateOrDelete";
    action = SYSMON_ACTIONS.has(type) ? type : fallback;
    path = String(
      eventId === 14 ? eventField(event, "NewName") ?? target : target,
    );
    if (eventId === 13) data = details === null ? null : String(details);
  }
  if (!AUTOSTART.some((pattern) => pattern.test(path))) return undefined;

  // Key events name a key; value events end in the value's name.
  const isKey = action === "CreateKey" || action === "DeleteKey" ||
    action === "RenameKey";
  const cut = path.lastIndexOf("\\");
  return isKey || cut < 0 ? { key: path, valueName: null, data, action } : {
    key: path.slice(0, cut),
    valueName: path.slice(cut + 1),
    data,
    action,
  };
}

function operationFromText(text: string): string {
  if (/created/i.test(text)) return "CreateValue";
  if (/deleted/i.test(text)) return "DeleteValue";
  return "SetValue";
}

function toRow(finding: Finding, hosts: number): SqlValue[] {
  const traits: string[] = [];
  if (SCRIPT_WRITERS.includes(baseName(finding.image))) {
    traits.push(`written by ${baseName(finding.image)}`);
  }
  if (startsScriptHost(finding.data)) {
    traits.push("starts a script host");
  }
  traits.push(...commandTraits(finding.data));

  return [
    finding.host,
    finding.key,
    finding.valueName,
    finding.data,
    finding.action,
    finding.image,
    [...finding.users].sort(compareText).join(", ") || null,
    traits.join(", "),
    traits.length,
    hosts,
    finding.events,
    finding.firstSeen,
    finding.lastSeen,
  ];
}
