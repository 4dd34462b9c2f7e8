/**
 * Scheduled tasks registered from another computer: lateral movement and
 * persistence through the Task Scheduler's remote interface, seen from
 * both ends.
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
  byColumn,
  commandTraits,
  compareRows,
  compareText,
  eventField,
  type LogonSource,
  logonSource,
  pagesByTime,
  parseEvent,
  PROCESS_CREATION,
  SECURITY,
  type SortKey,
  startsScriptHost,
} from "./_windows.ts";

export const aid = "remote_scheduled_task";
export const name = "Remotely registered scheduled tasks";
export const desc =
  "Lists the scheduled tasks created (Security 4698) or updated (4702) by " +
  "a user account, and the schtasks /create /s commands that register a " +
  "task on another computer (Sysmon 1, Security 4688), joined by target " +
  "host and task name, one row per host and task, with the command the " +
  "task runs (from the task's XML or /tr), whom it runs as, who " +
  "registered it and from where. A task counts as remote when the " +
  "session that registered it began with a network logon (4624 type 3, " +
  "same logon id) from another address, or when a schtasks /s names it; " +
  "the score counts those two kinds of evidence plus the command's " +
  "traits (starts a script host, hidden window, encoded code, " +
  "user-writable path ...). Registering a task over the network runs a " +
  "command on a remote host as SYSTEM if asked, which is why intruders " +
  "(and impacket's atexec) use it to move laterally. False positives: " +
  "administrators and deployment tools (SCCM, PDQ, GPO) managing tasks " +
  "remotely, and software whose installer is pushed over the network. " +
  "Tasks registered by machine accounts and the local service accounts " +
  "are left out: remote registration needs a user's credentials. No " +
  "threshold: every such task is listed.";

export const hypothesis =
  "An intruder with credentials registers a scheduled task on another " +
  "computer to run a command there, so tasks registered over a network " +
  "logon, or by schtasks /s, point at lateral movement.";

export const mitre = ["T1053.005", "T1021"];

export const falsePositives =
  "Administrators and deployment tools (SCCM, PDQ Deploy, group policy " +
  "preferences) managing tasks over the network, and installers pushed " +
  "remotely. They use known admin accounts from known management hosts " +
  "and run commands from Program Files.";

export const tables = ["windows_events"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

const COLUMNS = [
  "host",
  "task_name",
  "command",
  "run_as",
  "registered_by",
  "source_ip",
  "source_host",
  "evidence",
  "score",
  "events",
  "first_seen",
  "last_seen",
];

const RANKING: SortKey[] = [
  byColumn(8, true),
  byColumn(9, true),
  byColumn(10),
  byColumn(0),
  byColumn(1),
];

/**
 * Task registrations by user accounts, paged: each needs its XML and its
 * logon session read in TypeScript.
 */
const REGISTERED_QUERY = {
  columns: "host, event_id, task_name, username, time, event",
  table: "windows_events",
  where: `event_id IN (4698, 4702) AND ${SECURITY} AND %WINDOW%
  AND task_name IS NOT NULL AND username IS NOT NULL
  AND username NOT LIKE '%$'
  AND LOWER(username) NOT IN ('system', 'local service', 'network service')`,
  order: "time, host, record_id, event",
};

/** schtasks command lines that name a remote computer; parsed below. */
const SCHTASKS_QUERY = `
SELECT host, command_line, username, COUNT(*) AS events,
       MIN(time) AS first_seen, MAX(time) AS last_seen
FROM windows_events
WHERE ${PROCESS_CREATION} AND %WINDOW%
  AND LOWER(command_line) LIKE '%schtasks%'
  AND LOWER(command_line) LIKE '%create%'
  AND (LOWER(command_line) LIKE '%/s%' OR LOWER(command_line) LIKE '%-s%')
GROUP BY host, command_line, username
ORDER BY MIN(time), host, command_line, COALESCE(username, '')`;

/** Well-known SIDs a task may run as, by the name Windows shows. */
const WELL_KNOWN: Record<string, string> = {
  "s-1-5-18": "SYSTEM",
  "s-1-5-19": "LOCAL SERVICE",
  "s-1-5-20": "NETWORK SERVICE",
};

/** One task on one host, as its evidence accumulates. */
interface Finding {
  host: string;
  taskName: string;
  command: string | null;
  runAs: string | null;
  registeredBy: Set<string>;
  sourceIps: Set<string>;
  sourceHosts: Set<string>;
  evidence: Set<string>;
  events: number;
  firstSeen: string;
  lastSeen: string;
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const findings = new Map<string, Finding>();
  const sessions = new Map<string, LogonSource | undefined>();

  const events = pagesByTime(connection, {
    ...REGISTERED_QUERY,
    where: REGISTERED_QUERY.where.replace("%WINDOW%", window.sql),
    params: window.params,
  });
  for await (const [host, id, task, user, time, json] of events) {
    const event = parseEvent(json);
    const finding = findingOf(findings, String(host), String(task), time);
    finding.events++;
    finding.registeredBy.add(String(user));
    finding.evidence.add(Number(id) === 4698 ? "created" : "updated");
    const xml = eventField(event, "TaskContent") ??
      eventField(event, "TaskContentNew");
    if (xml) {
      finding.command = taskCommand(xml) ?? finding.command;
      finding.runAs = taskRunAs(xml) ?? finding.runAs;
    }

    const logonId = eventField(event, "SubjectLogonId") ?? "";
    const session = `${host}\n${logonId.toLowerCase()}`;
    if (!sessions.has(session)) {
      sessions.set(session, await logonSource(connection, host, time, event));
    }
    const logon = sessions.get(session);
    if (logon && Number(logon.logonType) === 3 && isRemote(logon.sourceIp)) {
      finding.evidence.add("network logon");
      finding.sourceIps.add(String(logon.sourceIp));
    }
  }

  const commands = await connection.query(
    SCHTASKS_QUERY.replace("%WINDOW%", window.sql),
    window.params,
  );
  for (const [host, line, user, events, first, last] of commands.rows) {
    const remote = parseSchtasks(String(line));
    if (!remote) continue;
    const finding = findingOf(findings, remote.computer, remote.task, first);
    finding.events += Number(events);
    finding.evidence.add("schtasks /s");
    finding.sourceHosts.add(String(host));
    if (user !== null) finding.registeredBy.add(String(user));
    finding.command ??= remote.command;
    finding.runAs ??= remote.runAs;
    if (String(last) > finding.lastSeen) finding.lastSeen = String(last);
  }

  const rows = [...findings.values()].map(toRow);
  rows.sort((a, b) => compareRows(a, b, RANKING));
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}

/**
 * The finding of a task on a computer. Computers are matched by their
 * short name (the Security log writes WORKSTATION6.theshire.local where
 * schtasks was given WORKSTATION6), tasks by their path, both without
 * regard to case; the row shows the security log's spelling when there is
 * one, for it is the computer's own.
 */
function findingOf(
  findings: Map<string, Finding>,
  host: string,
  task: string,
  time: SqlValue,
): Finding {
  const path = task.startsWith("\\") ? task : `\\${task}`;
  const key = JSON.stringify([shortName(host), path.toLowerCase()]);
  const stamp = String(time);
  let finding = findings.get(key);
  if (!finding) {
    finding = {
      host,
      taskName: path,
      command: null,
      runAs: null,
      registeredBy: new Set(),
      sourceIps: new Set(),
      sourceHosts: new Set(),
      evidence: new Set(),
      events: 0,
      firstSeen: stamp,
      lastSeen: stamp,
    };
    findings.set(key, finding);
  }
  if (
    host.length > finding.host.length ||
    (host.length === finding.host.length &&
      compareText(host, finding.host) < 0)
  ) finding.host = host;
  if (stamp < finding.firstSeen) finding.firstSeen = stamp;
  if (stamp > finding.lastSeen) finding.lastSeen = stamp;
  return finding;
}

/** A computer's name without domain, or an address as it is. */
function shortName(host: string): string {
  const name = host.replace(/^\\\\/, "").toLowerCase();
  if (/^[\d.]+$/.test(name) || name.includes(":")) return name;
  return name.split(".")[0];
}

function isRemote(address: SqlValue): boolean {
  if (address === null) return false;
  const text = String(address);
  return text !== "::1" && !text.startsWith("127.");
}

/** What a remote `schtasks /create /s` registers, or undefined. */
interface RemoteTask {
  computer: string;
  task: string;
  command: string | null;
  runAs: string | null;
}

/**
 * Reads `schtasks /create /s <computer> /tn <name> [/tr <command>] [/ru
 * <user>]`, switch by switch, so that a /s inside the quoted /tr command
 * is not taken for the computer.
 */
function parseSchtasks(line: string): RemoteTask | undefined {
  const at = line.search(/\bschtasks(\.exe)?\b/i);
  if (at < 0) return undefined;
  const tokens = [...line.slice(at).matchAll(/"([^"]*)"?|(\S+)/g)]
    .map((m) => ({ text: m[1] ?? m[2], quoted: m[1] !== undefined }));

  const values = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const { text, quoted } = tokens[i];
    const name = /^[-/]([a-z]+)$/i.exec(text)?.[1].toLowerCase();
    if (quoted || !name || values.has(name)) continue;
    const next = tokens[i + 1];
    const isValue = next && (next.quoted || !/^[-/][a-z]+$/i.test(next.text));
    values.set(name, isValue ? next.text : "");
    if (isValue) i++;
  }

  const computer = values.get("s")?.replace(/^\\\\/, "");
  const task = values.get("tn");
  if (!values.has("create") || !computer || !task) return undefined;
  return {
    computer,
    task,
    command: values.get("tr") || null,
    runAs: values.get("ru") || null,
  };
}

/** The task's first action, command and arguments, from its XML. */
function taskCommand(xml: string): string | null {
  const command = xmlText(xml, "Command");
  if (command === undefined) return null;
  const args = xmlText(xml, "Arguments");
  return args ? `${command} ${args}` : command;
}

/** The account the task runs as, by name when it is a well-known SID. */
function taskRunAs(xml: string): string | null {
  const user = xmlText(xml, "UserId") ?? xmlText(xml, "GroupId");
  if (user === undefined) return null;
  return WELL_KNOWN[user.toLowerCase()] ?? user;
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function xmlText(xml: string, element: string): string | undefined {
  const match = new RegExp(`<${element}>([\\s\\S]*?)</${element}>`).exec(xml);
  if (!match) return undefined;
  return match[1].trim().replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, entity: string) => ENTITIES[entity],
  );
}

function toRow(finding: Finding): SqlValue[] {
  const remote = ["network logon", "schtasks /s"]
    .filter((kind) => finding.evidence.has(kind));
  const traits = commandTraits(finding.command);
  if (startsScriptHost(finding.command)) {
    traits.unshift("starts a script host");
  }
  const evidence = [
    ...["created", "updated"].filter((kind) => finding.evidence.has(kind)),
    ...remote,
    ...traits,
  ];
  const sorted = (set: Set<string>) =>
    [...set].sort(compareText).join(", ") || null;
  return [
    finding.host,
    finding.taskName,
    finding.command,
    finding.runAs,
    sorted(finding.registeredBy),
    sorted(finding.sourceIps),
    sorted(finding.sourceHosts),
    evidence.join(", "),
    remote.length + traits.length,
    finding.events,
    finding.firstSeen,
    finding.lastSeen,
  ];
}
