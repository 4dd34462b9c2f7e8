/**
 * Password spraying: one source trying a few passwords against many
 * accounts, over SSH (auth) and against Windows logons, Kerberos and NTLM
 * (windows_events 4625, 4771 and 4776).
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
  GUESSES_CTE,
  type SortKey,
  SSHD_ACCEPTED,
} from "./_auth.ts";

export const aid = "password_spraying";
export const name = "Password spraying";
export const desc =
  "Ranks the sources that failed to log on to at least min_accounts " +
  "accounts with at most max_per_account failures each (the sprayed " +
  "accounts), over SSH (auth) and on Windows (failed logons 4625 and " +
  "Kerberos pre-authentication failures 4771, which name the account and " +
  "the client address; and, as log ntlm, failed NTLM credential checks " +
  "4776 on a domain controller, which name the client's workstation " +
  "instead, as its source), one row per source and log. A source that then " +
  "logged on to one of the accounts it failed on ranks first; then more " +
  "sprayed accounts rank higher. Spraying a common password across many " +
  "accounts stays under every account's lockout threshold, so no lockout " +
  "ever fires; only the view across accounts shows it. False positives: " +
  "a jump host or a VDI or Citrix server where many users mistype, " +
  "misconfigured services with an old password on many accounts, " +
  "vulnerability scanners; over SSH, bots that sweep lists of user names " +
  "also qualify, and are indeed the same technique. Defaults: 5 accounts " +
  "is the threshold of Azure Sentinel's password spray rule for Azure AD; " +
  "4 failures per account stays under a lockout threshold of 5, the " +
  "highest the CIS Benchmarks for Windows allow.";

export const hypothesis =
  "An attacker who sprays tries each of many accounts a few times from " +
  "one address, to stay under the lockout threshold, so one source " +
  "failing on many accounts with few failures on each points at it.";

export const mitre = ["T1110.003", "T1110.001"];

export const falsePositives =
  "Shared hosts where many people log on (jump hosts, VDI, Citrix, a " +
  "proxy or NAT in front of a user network), services or scripts with a " +
  "stale password configured for many accounts, scanners, and SSH bots " +
  "sweeping user names (a spray too, by an untargeted attacker).";

export const tables = ["auth", "windows_events"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_accounts: {
    type: "integer",
    default: 5,
    min: 2,
    desc: "sprayed accounts that make a source a sprayer (Azure " +
      "Sentinel's Azure AD spray rule)",
  },
  max_per_account: {
    type: "integer",
    default: 4,
    min: 1,
    desc: "failures on an account that still count as spraying it: under " +
      "a lockout threshold of 5 (the CIS Benchmarks' maximum)",
  },
};

const COLUMNS = [
  "source",
  "log",
  "sprayed_accounts",
  "accounts",
  "failures",
  "max_per_account",
  "accounts_logged_on",
  "targets",
  "first_seen",
  "last_seen",
];

const RANKING: SortKey[] = [
  { value: (row) => Number(row[6]) > 0 ? 1 : 0, descending: true },
  byColumn(2, true),
  byColumn(4, true),
  byColumn(0),
  byColumn(1),
];

/**
 * From the failures of each source on each account to one row per
 * source. `%FAILURES%` is a query giving `log, source, account, host,
 * failed, time` per failure; `%LOGONS%` joins the accounts of the
 * qualifying sources with their later logons.
 */
const SPRAY_QUERY = `
WITH %CTE%,
per_account AS (
  SELECT log, source, account, SUM(failed) AS failures,
         MIN(time) AS first_failure, MAX(time) AS last_failure
  FROM failures
  GROUP BY log, source, account
),
sources AS (
  SELECT log, source,
         SUM(CASE WHEN failures <= ? THEN 1 ELSE 0 END) AS sprayed,
         COUNT(*) AS accounts, SUM(failures) AS failures,
         MAX(failures) AS max_per_account, MIN(first_failure) AS first_seen,
         MAX(last_failure) AS last_seen
  FROM per_account
  GROUP BY log, source
  HAVING SUM(CASE WHEN failures <= ? THEN 1 ELSE 0 END) >= ?
),
targets AS (
  SELECT f.log, f.source, COUNT(DISTINCT f.host) AS targets
  FROM failures f JOIN sources s
    ON s.log = f.log AND s.source = f.source
  GROUP BY f.log, f.source
),
logons AS (
  SELECT p.log, p.source, COUNT(DISTINCT p.account) AS logged_on,
         MAX(x.time) AS last_logon
  FROM sources s
  JOIN per_account p ON p.log = s.log AND p.source = s.source
  JOIN %LOGONS%
  GROUP BY p.log, p.source
)
SELECT s.source, s.log, s.sprayed, s.accounts, s.failures,
       s.max_per_account, COALESCE(l.logged_on, 0) AS logged_on, t.targets,
       s.first_seen,
       CASE WHEN l.last_logon > s.last_seen THEN l.last_logon
            ELSE s.last_seen END AS last_seen
FROM sources s
JOIN targets t ON t.log = s.log AND t.source = s.source
LEFT JOIN logons l ON l.log = s.log AND l.source = s.source
ORDER BY CASE WHEN COALESCE(l.logged_on, 0) > 0 THEN 1 ELSE 0 END DESC,
         s.sprayed DESC, s.failures DESC, s.source, s.log
LIMIT ?`;

/** sshd's failures, counted as ssh_bruteforce counts them. */
const AUTH_FAILURES = `${GUESSES_CTE},
failures AS (
  SELECT 'auth' AS log, source_ip AS source, username AS account, host,
         failed, time
  FROM guesses
  WHERE failed > 0 AND username IS NOT NULL
)`;

const AUTH_LOGONS = `auth x ON x.source_ip = p.source
    AND x.username = p.account AND x.event IN ${SSHD_ACCEPTED}
    AND x.time >= p.first_failure AND %WINDOW%`;

/**
 * Windows account names are case-insensitive, so accounts are compared
 * lower-cased. 4625 is written by the computer refused; 4771 by the domain
 * controller, for Kerberos pre-authentication with a wrong password.
 */
const WINDOWS_FAILURES = `
failures AS (
  SELECT 'windows' AS log, source_ip AS source,
         LOWER(target_username) AS account, host, 1 AS failed, time
  FROM windows_events
  WHERE event_id IN (4625, 4771) AND LOWER(channel) = 'security'
    AND source_ip IS NOT NULL AND target_username IS NOT NULL
    AND %WINDOW%
)`;

const WINDOWS_LOGONS = `windows_events x ON x.source_ip = p.source
    AND x.event_id = 4624 AND LOWER(x.channel) = 'security'
    AND LOWER(x.target_username) = p.account
    AND x.time >= p.first_failure AND %WINDOW%`;

/**
 * A domain controller checks NTLM credentials in 4776, whose Status is
 * 0x0 when they were right, and names the workstation the client gave
 * (no address): that name is the source, compared lower-cased.
 */
const NTLM_FAILURES = `
failures AS (
  SELECT 'ntlm' AS log, LOWER(workstation) AS source,
         LOWER(target_username) AS account, host, 1 AS failed, time
  FROM windows_events
  WHERE event_id = 4776 AND LOWER(channel) = 'security'
    AND status IS NOT NULL AND status <> '0x0'
    AND workstation IS NOT NULL AND target_username IS NOT NULL
    AND %WINDOW%
)`;

const NTLM_LOGONS = `windows_events x ON LOWER(x.workstation) = p.source
    AND x.event_id = 4776 AND LOWER(x.channel) = 'security'
    AND x.status = '0x0' AND LOWER(x.target_username) = p.account
    AND x.time >= p.first_failure AND %WINDOW%`;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const rows: SqlValue[][] = [];
  if (await connection.hasTable("auth")) {
    const window = timeWindow("time", params);
    const aliased = timeWindow("a.time", params);
    const logons = timeWindow("x.time", params);
    const cte = AUTH_FAILURES.replace("%WINDOW%", window.sql)
      .replace("%WINDOW%", aliased.sql);
    rows.push(
      ...await spray(connection, params, {
        cte,
        cteParams: [...window.params, ...aliased.params],
        logons: AUTH_LOGONS.replace("%WINDOW%", logons.sql),
        logonParams: logons.params,
      }),
    );
  }
  if (await connection.hasTable("windows_events")) {
    const window = timeWindow("time", params);
    const logons = timeWindow("x.time", params);
    for (
      const [failures, successes] of [
        [WINDOWS_FAILURES, WINDOWS_LOGONS],
        [NTLM_FAILURES, NTLM_LOGONS],
      ]
    ) {
      rows.push(
        ...await spray(connection, params, {
          cte: failures.replace("%WINDOW%", window.sql),
          cteParams: window.params,
          logons: successes.replace("%WINDOW%", logons.sql),
          logonParams: logons.params,
        }),
      );
    }
  }

  // Each query gave its own top rows in this order; merged, the first
  // `limit` are the top of both.
  rows.sort((a, b) => compareRows(a, b, RANKING));
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}

/** The failures and logons of one log, as SQL with its parameters. */
interface Source {
  cte: string;
  cteParams: string[];
  logons: string;
  logonParams: string[];
}

async function spray(
  connection: Connection,
  params: Params,
  source: Source,
): Promise<SqlValue[][]> {
  const sql = SPRAY_QUERY.replace("%CTE%", source.cte)
    .replace("%LOGONS%", source.logons);
  const found = await connection.query(sql, [
    ...source.cteParams,
    params.max_per_account,
    params.max_per_account,
    params.min_accounts,
    ...source.logonParams,
    params.limit,
  ]);
  return found.rows;
}
