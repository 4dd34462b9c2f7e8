/**
 * Credential dumping from LSASS: processes that open lsass.exe with rights
 * to read its memory (Sysmon 10), and command lines that dump it
 * (comsvcs.dll MiniDump, procdump -ma, mimikatz and others).
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
  compareRows,
  compareText,
  parseMask,
  PROCESS_CREATION,
  type SortKey,
  SYSMON,
} from "./_windows.ts";

export const aid = "lsass_access";
export const name = "LSASS memory access and dumps";
export const desc =
  "Ranks the processes, per host, that opened lsass.exe with a right that " +
  "lets them read its memory (Sysmon 10: PROCESS_VM_READ 0x0010, or " +
  "PROCESS_DUP_HANDLE 0x0040, which hands out such a handle), or whose " +
  "command line dumps it (Sysmon 1 or Security 4688: rundll32 comsvcs.dll " +
  "MiniDump or #24, procdump -ma lsass, mimikatz sekurlsa::, " +
  "Out-Minidump, rdrleakdiag /fullmemdmp). The score counts the kinds of " +
  "evidence: a read-capable handle, a call stack through dbghelp or " +
  "dbgcore (MiniDumpWriteDump), a call stack from unbacked memory " +
  "(UNKNOWN, injected code), and a dump command line. LSASS holds the " +
  "hashes, tickets and sometimes clear-text passwords of everyone logged " +
  "on, so reading it is the step before lateral movement. False " +
  "positives: antivirus and EDR agents, Windows Error Reporting " +
  "(WerFault), Task Manager's dump, svchost, wininit and csrss, backup " +
  "and monitoring agents; they usually score 1. The mask bits are " +
  "Microsoft's (Process Security and Access Rights); every mask public " +
  "LSASS-dump detections list (0x1010, 0x1410, 0x1438, 0x143a, 0x1fffff, " +
  "0x40 ...) has one of the two bits.";

export const hypothesis =
  "A credential thief opens lsass.exe with the right to read its memory, " +
  "or runs a tool that writes a dump of it, so reads of LSASS by unusual " +
  "processes and dump command lines point at credential theft.";

export const mitre = ["T1003.001"];

export const falsePositives =
  "Antivirus and EDR agents, WerFault, Task Manager, svchost, wininit, " +
  "csrss, backup and monitoring agents read LSASS routinely; they rarely " +
  "dump it through dbghelp or come with a dump command line. Check the " +
  "image's path and signature, and whether the process is one the fleet " +
  "runs everywhere.";

export const tables = ["windows_events"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

/** PROCESS_VM_READ: ReadProcessMemory, what every dumper needs. */
const PROCESS_VM_READ = 0x0010;

/** PROCESS_DUP_HANDLE: duplicate a handle lsass holds, a read one. */
const PROCESS_DUP_HANDLE = 0x0040;

const COLUMNS = [
  "host",
  "process_image",
  "score",
  "evidence",
  "read_handles",
  "masks",
  "dump_commands",
  "command_line",
  "users",
  "first_seen",
  "last_seen",
];

/** More kinds of evidence, more reads, then host and image. */
const RANKING: SortKey[] = [
  byColumn(2, true),
  byColumn(4, true),
  byColumn(6, true),
  byColumn(0),
  byColumn(1),
];

/**
 * Every Sysmon 10 access to LSASS, grouped by host, image and mask; the
 * masks are decided in TypeScript, because bit operators differ between
 * the dialects and the mask is text.
 */
const ACCESS_QUERY = `
SELECT host, process_image, granted_access, COUNT(*) AS events,
       SUM(CASE WHEN LOWER(call_trace) LIKE '%dbghelp.dll%'
                  OR LOWER(call_trace) LIKE '%dbgcore.dll%'
                THEN 1 ELSE 0 END) AS dump_stacks,
       SUM(CASE WHEN LOWER(call_trace) LIKE '%unknown%'
                THEN 1 ELSE 0 END) AS unbacked_stacks,
       MIN(time) AS first_seen, MAX(time) AS last_seen
FROM windows_events
WHERE event_id = 10 AND ${SYSMON} AND LOWER(target_image) LIKE '%lsass.exe'
  AND %WINDOW%
GROUP BY host, process_image, granted_access`;

/** Process creations whose command line may dump LSASS; regexes decide. */
const COMMAND_QUERY = `
SELECT host, process_image, command_line, username, COUNT(*) AS events,
       MIN(time) AS first_seen, MAX(time) AS last_seen
FROM windows_events
WHERE ${PROCESS_CREATION} AND %WINDOW%
  AND (LOWER(command_line) LIKE '%comsvcs%'
    OR LOWER(command_line) LIKE '%procdump%'
    OR LOWER(command_line) LIKE '%sekurlsa%'
    OR LOWER(command_line) LIKE '%minidump%'
    OR LOWER(command_line) LIKE '%rdrleakdiag%')
GROUP BY host, process_image, command_line, username`;

/** Command lines that dump LSASS, each with what it is. */
const DUMP_COMMANDS: [string, RegExp][] = [
  ["comsvcs MiniDump", /comsvcs(\.dll)?\W.*(minidump|#\s*\+?0*24\b)/i],
  ["procdump of lsass", /procdump(64)?(\.exe)?\W.*\s[-/]m[ap]\b.*lsass/i],
  ["mimikatz sekurlsa", /sekurlsa::/i],
  ["Out-Minidump", /out-minidump/i],
  ["rdrleakdiag dump", /rdrleakdiag(\.exe)?\W.*[-/]fullmemdmp/i],
];

/** One process image on one host, as the evidence accumulates. */
interface Finding {
  host: SqlValue;
  image: string;
  reads: number;
  masks: Set<string>;
  dumpStacks: number;
  unbackedStacks: number;
  commands: number;
  command: { line: string; first: string } | undefined;
  users: Set<string>;
  firstSeen: string;
  lastSeen: string;
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const findings = new Map<string, Finding>();

  const accesses = await connection.query(
    ACCESS_QUERY.replace("%WINDOW%", window.sql),
    window.params,
  );
  for (const row of accesses.rows) {
    const [host, image, mask, events, dumps, unbacked, first, last] = row;
    if (!readsMemory(mask)) continue;
    const finding = findingOf(findings, host, image, first, last);
    finding.reads += Number(events);
    finding.masks.add(String(mask));
    finding.dumpStacks += Number(dumps);
    finding.unbackedStacks += Number(unbacked);
  }

  const commands = await connection.query(
    COMMAND_QUERY.replace("%WINDOW%", window.sql),
    window.params,
  );
  for (const [host, image, line, user, events, first, last] of commands.rows) {
    const text = String(line);
    if (!DUMP_COMMANDS.some(([, pattern]) => pattern.test(text))) continue;
    const finding = findingOf(findings, host, image, first, last);
    finding.commands += Number(events);
    if (user !== null) finding.users.add(String(user));
    const earliest = finding.command;
    if (
      !earliest || String(first) < earliest.first ||
      (String(first) === earliest.first &&
        compareText(text, earliest.line) < 0)
    ) {
      finding.command = { line: text, first: String(first) };
    }
  }

  const rows = [...findings.values()].map(toRow);
  rows.sort((a, b) => compareRows(a, b, RANKING));
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}

/** Whether an access mask lets the opener read the process's memory. */
function readsMemory(mask: SqlValue): boolean {
  const bits = parseMask(mask);
  if (bits === undefined) return false;
  return (bits & PROCESS_VM_READ) !== 0 || (bits & PROCESS_DUP_HANDLE) !== 0;
}

/**
 * The finding of a host and image, created on first sight. Images are
 * matched without regard to case (Sysmon and the Security log spell
 * paths differently); the row shows the spelling that sorts first.
 */
function findingOf(
  findings: Map<string, Finding>,
  host: SqlValue,
  image: SqlValue,
  first: SqlValue,
  last: SqlValue,
): Finding {
  const spelled = String(image ?? "");
  const key = JSON.stringify([host, spelled.toLowerCase()]);
  let finding = findings.get(key);
  if (!finding) {
    finding = {
      host,
      image: spelled,
      reads: 0,
      masks: new Set(),
      dumpStacks: 0,
      unbackedStacks: 0,
      commands: 0,
      command: undefined,
      users: new Set(),
      firstSeen: String(first),
      lastSeen: String(last),
    };
    findings.set(key, finding);
  }
  if (compareText(spelled, finding.image) < 0) finding.image = spelled;
  if (String(first) < finding.firstSeen) finding.firstSeen = String(first);
  if (String(last) > finding.lastSeen) finding.lastSeen = String(last);
  return finding;
}

function toRow(finding: Finding): SqlValue[] {
  const evidence = [
    finding.reads > 0 ? "read-capable handle" : "",
    finding.dumpStacks > 0 ? "dump in call stack" : "",
    finding.unbackedStacks > 0 ? "unbacked code in call stack" : "",
    finding.commands > 0 ? "dump command line" : "",
  ].filter((kind) => kind);
  return [
    finding.host,
    finding.image,
    evidence.length,
    evidence.join(", "),
    finding.reads,
    [...finding.masks].sort(compareText).join(", ") || null,
    finding.commands,
    finding.command?.line ?? null,
    [...finding.users].sort(compareText).join(", ") || null,
    finding.firstSeen,
    finding.lastSeen,
  ];
}
