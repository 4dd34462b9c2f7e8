/**
 * Office applications starting shells and script hosts: the moment a
 * malicious document's macro or exploit runs its payload.
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
  PROCESS_CREATION,
  type SortKey,
} from "./_windows.ts";

export const aid = "office_child_shell";
export const name = "Office applications starting shells";
export const desc =
  "Lists the shells, script hosts and signed proxy binaries (cmd, " +
  "PowerShell, wscript, cscript, mshta, rundll32, regsvr32, certutil, " +
  "bitsadmin, msbuild, wmic, schtasks ...) started by Word, Excel, " +
  "PowerPoint, Outlook, Access, Publisher, OneNote, Visio or the Equation " +
  "Editor (Sysmon 1, Security 4688), one row per host, parent, child, " +
  "command line and user, ranked by the traits of the command line " +
  "(hidden window, download, encoded or in-memory code ...), then by " +
  "events. A document that starts a shell is how most phishing payloads " +
  "begin: the macro or exploit has no other way to run its next stage. " +
  "False positives: add-ins and macros that legitimately shell out " +
  "(document management, printing, mail merge), Outlook opening an " +
  "attachment with its default handler. No threshold: every such start " +
  "is listed; the parents and children are those of ATT&CK T1204.002 and " +
  "the proxy binaries of T1218 and T1059.";

export const hypothesis =
  "A malicious document runs its payload by starting a shell or script " +
  "host from the Office process, which ordinary documents never do.";

export const mitre = ["T1204.002", "T1566.001", "T1059", "T1218"];

export const falsePositives =
  "Add-ins and macros that shell out for document management, printing " +
  "or mail merge, and Outlook opening an attachment with its handler " +
  "(a .bat or .vbs attachment is itself suspicious). Such cases repeat " +
  "the same command line on many hosts.";

export const tables = ["windows_events"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

/** Office applications, and the Equation Editor that CVE-2017-11882 hit. */
const OFFICE = [
  "winword.exe",
  "excel.exe",
  "powerpnt.exe",
  "outlook.exe",
  "msaccess.exe",
  "mspub.exe",
  "onenote.exe",
  "visio.exe",
  "eqnedt32.exe",
];

/** Shells, script hosts and proxy binaries a payload starts. */
const SHELLS = [
  "cmd.exe",
  "powershell.exe",
  "pwsh.exe",
  "wscript.exe",
  "cscript.exe",
  "mshta.exe",
  "rundll32.exe",
  "regsvr32.exe",
  "certutil.exe",
  "bitsadmin.exe",
  "msbuild.exe",
  "wmic.exe",
  "schtasks.exe",
  "hh.exe",
  "forfiles.exe",
];

const COLUMNS = [
  "host",
  "parent_image",
  "process_image",
  "command_line",
  "username",
  "traits",
  "score",
  "events",
  "first_seen",
  "last_seen",
];

const RANKING: SortKey[] = [
  byColumn(6, true),
  byColumn(7, true),
  byColumn(8),
  byColumn(0),
  byColumn(1),
  byColumn(2),
  byColumn(3),
  byColumn(4),
];

/**
 * LIKE finds the names at the end of the path; TypeScript then checks
 * the whole file name, so that xcmd.exe is not cmd.exe.
 */
const QUERY = `
SELECT host, parent_image, process_image, command_line, username,
       COUNT(*) AS events, MIN(time) AS first_seen, MAX(time) AS last_seen
FROM windows_events
WHERE ${PROCESS_CREATION} AND %WINDOW%
  AND (${OFFICE.map(() => "LOWER(parent_image) LIKE ?").join(" OR ")})
  AND (${SHELLS.map(() => "LOWER(process_image) LIKE ?").join(" OR ")})
GROUP BY host, parent_image, process_image, command_line, username`;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const found = await connection.query(
    QUERY.replace("%WINDOW%", window.sql),
    [
      ...window.params,
      ...OFFICE.map((exe) => `%${exe}`),
      ...SHELLS.map((exe) => `%${exe}`),
    ],
  );

  const rows: SqlValue[][] = [];
  for (
    const [host, parent, child, line, user, events, first, last] of found.rows
  ) {
    if (!OFFICE.includes(baseName(parent))) continue;
    if (!SHELLS.includes(baseName(child))) continue;
    const traits = commandTraits(line === null ? null : String(line));
    rows.push([
      host,
      parent,
      child,
      line,
      user,
      traits.join(", "),
      traits.length,
      events,
      first,
      last,
    ]);
  }
  rows.sort((a, b) => compareRows(a, b, RANKING));
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}
