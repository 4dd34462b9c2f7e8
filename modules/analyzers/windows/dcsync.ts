/**
 * DCSync: an account that is not a domain controller asking a domain
 * controller for directory replication, the way mimikatz lsadump::dcsync
 * and its kin pull every password hash of the domain.
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
} from "../../../engine/types.ts";
import { logonSource, parseEvent, SECURITY } from "./_windows.ts";

export const aid = "dcsync";
export const name = "DCSync (directory replication by a non-DC account)";
export const desc =
  "Ranks the accounts, per domain controller, that were granted directory " +
  "replication rights in Security 4662 (an operation on a directory " +
  "object, with auditing of the domain object on): DS-Replication-Get-" +
  "Changes {1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}, DS-Replication-Get-" +
  "Changes-All {1131f6ad-9c07-11d1-f79f-00c04fc2dcd2} (which hands out " +
  "secrets) and DS-Replication-Get-Changes-In-Filtered-Set " +
  "{89e95b76-444d-4c62-991a-0facbeda640c}, leaving out machine accounts " +
  "(ending in $), which is how domain controllers replicate with each " +
  "other. Ranked by how many of the three rights were used, then by " +
  "events; with the address the session came from, when its logon (4624, " +
  "same logon id) is in the data. Only domain controllers replicate, so " +
  "a user account doing it is an attacker dumping every hash of the " +
  "domain (mimikatz lsadump::dcsync, impacket secretsdump, Covenant). " +
  "False positives: Azure AD Connect's MSOL_ account (password hash " +
  "sync), backup and identity tools (Veeam, Quest, Semperis), and " +
  "domain controllers whose replication runs under a user-named account. " +
  "No threshold: one event is enough; the rights are Microsoft's " +
  "(Control Access Rights, MS-ADTS).";

export const hypothesis =
  "An attacker with replication rights (a domain admin, or an account " +
  "given them for persistence) asks a domain controller to replicate " +
  "secrets; unlike a domain controller, the account is not a machine " +
  "account.";

export const mitre = ["T1003.006"];

export const falsePositives =
  "Azure AD Connect (MSOL_ accounts), backup and AD recovery tools, " +
  "identity management products, and replication set up under a named " +
  "service account. Keep a list of the accounts allowed to replicate; " +
  "any other one is worth a look.";

export const tables = ["windows_events"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

/** The extended rights of replication, by the name Microsoft gives them. */
const RIGHTS: [string, string][] = [
  ["1131f6aa-9c07-11d1-f79f-00c04fc2dcd2", "Get-Changes"],
  ["1131f6ad-9c07-11d1-f79f-00c04fc2dcd2", "Get-Changes-All"],
  ["89e95b76-444d-4c62-991a-0facbeda640c", "Get-Changes-In-Filtered-Set"],
];

const COLUMNS = [
  "host",
  "username",
  "user_domain",
  "rights_used",
  "rights",
  "events",
  "source_ip",
  "logon_type",
  "first_seen",
  "last_seen",
];

/**
 * One row per domain controller and account, with a column `r0`, `r1`,
 * `r2` per right counting the events that used it.
 */
const QUERY = `
WITH replication AS (
  SELECT host, username, user_domain, time, %FLAGS%
  FROM windows_events
  WHERE event_id = 4662 AND ${SECURITY} AND %WINDOW%
    AND username IS NOT NULL AND username NOT LIKE '%$'
    AND (%ANY%)
),
accounts AS (
  SELECT host, username, COALESCE(user_domain, '') AS user_domain,
         COUNT(*) AS events, %SUMS%,
         MIN(time) AS first_seen, MAX(time) AS last_seen
  FROM replication
  GROUP BY host, username, COALESCE(user_domain, '')
)
SELECT host, username, user_domain, %USED% AS rights_used, %COUNTS%,
       events, first_seen, last_seen
FROM accounts
ORDER BY rights_used DESC, events DESC, host, username, user_domain
LIMIT ?`;

/** The first event of an account on a DC, for its logon session. */
const FIRST_EVENT = `
SELECT time, event FROM windows_events
WHERE event_id = 4662 AND ${SECURITY} AND host = ? AND username = ?
  AND COALESCE(user_domain, '') = ? AND time = ?
ORDER BY record_id, event
LIMIT 1`;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const like = "LOWER(properties) LIKE ?";
  const sql = QUERY.replace("%WINDOW%", window.sql)
    .replace(
      "%FLAGS%",
      RIGHTS.map((_, i) => `CASE WHEN ${like} THEN 1 ELSE 0 END AS r${i}`)
        .join(", "),
    )
    .replace("%ANY%", RIGHTS.map(() => like).join(" OR "))
    .replace("%SUMS%", RIGHTS.map((_, i) => `SUM(r${i}) AS r${i}`).join(", "))
    .replace(
      "%USED%",
      RIGHTS.map((_, i) => `CASE WHEN r${i} > 0 THEN 1 ELSE 0 END`)
        .join(" + "),
    )
    .replace("%COUNTS%", RIGHTS.map((_, i) => `r${i}`).join(", "));
  const patterns = RIGHTS.map(([guid]) => `%${guid}%`);
  const found = await connection.query(sql, [
    ...patterns,
    ...window.params,
    ...patterns,
    params.limit,
  ]);

  const rows = [];
  for (const row of found.rows) {
    const [host, user, domain, used] = row;
    const counts = row.slice(4, 4 + RIGHTS.length).map(Number);
    const [events, first, last] = row.slice(4 + RIGHTS.length);
    const rights = RIGHTS.filter((_, i) => counts[i] > 0)
      .map(([, right]) => right).join(", ");

    const opening = await connection.query(FIRST_EVENT, [
      host,
      user,
      domain,
      first,
    ]);
    const logon = opening.rows.length > 0
      ? await logonSource(
        connection,
        host,
        first,
        parseEvent(opening.rows[0][1]),
      )
      : undefined;
    rows.push([
      host,
      user,
      domain === "" ? null : domain,
      used,
      rights,
      events,
      logon?.sourceIp ?? null,
      logon?.logonType ?? null,
      first,
      last,
    ]);
  }
  return { columns: COLUMNS, rows };
}
