/**
 * SSH password guessing: sources that fail to log on many times in a
 * short while, from sshd's own log (the auth table) and from Zeek's view
 * of the wire (zeek_ssh).
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
  epochMillis,
  GUESSES_CTE,
  type SortKey,
  SSHD_ACCEPTED,
} from "./_auth.ts";

export const aid = "ssh_bruteforce";
export const name = "SSH brute force";
export const desc =
  "Ranks the sources that failed to log on over SSH at least min_failures " +
  "times within ten minutes, from sshd's log (auth) and from Zeek's ssh " +
  "log (zeek_ssh), one row per source and log. A source that logged on " +
  "after its first failure ranks above every source that did not; then " +
  "more failures rank higher. Each row gives the failures, the most " +
  "failures in any ten minutes, the accounts tried and how many of them do " +
  "not exist, the logons after the first failure with their accounts, the " +
  "hosts attacked, and first seen (the first failure) and last seen. " +
  "Guessing is the commonest " +
  "attack on any SSH server on the internet, and a logon that follows it " +
  "is the one to look at first. False positives: a user or script retrying " +
  "a changed password, monitoring probes, scanners that only test for " +
  "weak accounts. Defaults: fail2ban's sshd jail, which bans an address " +
  "after maxretry = 5 failures within findtime = 10 minutes; Zeek's own " +
  "guessing notice waits for 30 in 30 minutes.";

export const hypothesis =
  "An attacker guessing passwords makes many failed SSH logons from one " +
  "address in a short time, often for accounts that do not exist, and a " +
  "logon from that address afterwards means a guess worked.";

export const mitre = ["T1110.001", "T1110.003", "T1021.004"];

export const falsePositives =
  "A user or a script retrying a wrong or expired password, several users " +
  "behind one NAT address, monitoring that logs on with a dummy account, " +
  "vulnerability scanners. A success after failures from an address your " +
  "own staff use is often a mistyped password; from a foreign hosting " +
  "provider it is a compromise until shown otherwise.";

export const tables = ["auth", "zeek_ssh"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_failures: {
    type: "integer",
    default: 5,
    min: 1,
    desc: "failures within ten minutes that make a source a brute forcer " +
      "(fail2ban's maxretry)",
  },
};

/**
 * fail2ban's findtime default: failures are counted over any ten minutes.
 * Window frames take only a constant offset on MariaDB, so it is fixed.
 */
const FIND_TIME_MS = 600_000;

const COLUMNS = [
  "source_ip",
  "log",
  "failures",
  "peak_failures_10m",
  "users_tried",
  "invalid_users",
  "successes",
  "accounts",
  "targets",
  "first_seen",
  "last_seen",
];

/** Successes first (a guess that worked), then failures, then the peak. */
const RANKING: SortKey[] = [
  { value: (row) => Number(row[6]) > 0 ? 1 : 0, descending: true },
  byColumn(2, true),
  byColumn(3, true),
  byColumn(0),
  byColumn(1),
];

const ORDER_BY = `ORDER BY CASE WHEN successes > 0 THEN 1 ELSE 0 END DESC,
  failures DESC, peak DESC, source_ip, log`;

/** Sources with at least ? failures in ten minutes, from sshd's log. */
const AUTH_QUERY = `
WITH ${GUESSES_CTE},
bursts AS (
  SELECT source_ip, host, username, invalid_user, time, failed,
         SUM(failed) OVER (PARTITION BY source_ip ORDER BY %MS%
           RANGE BETWEEN ${FIND_TIME_MS} PRECEDING AND CURRENT ROW) AS recent
  FROM guesses
),
sources AS (
  SELECT source_ip, SUM(failed) AS failures, MAX(recent) AS peak,
         COUNT(DISTINCT username) AS users_tried,
         COUNT(DISTINCT CASE WHEN invalid_user = 1 THEN username END)
           AS invalid_users,
         COUNT(DISTINCT host) AS targets,
         MIN(CASE WHEN failed > 0 THEN time END) AS first_failure,
         MAX(time) AS last_attempt
  FROM bursts
  GROUP BY source_ip
  HAVING MAX(recent) >= ?
),
logons AS (
  SELECT s.source_ip, COUNT(*) AS successes, MAX(a.time) AS last_success
  FROM sources s JOIN auth a ON a.source_ip = s.source_ip
  WHERE a.event IN ${SSHD_ACCEPTED} AND a.time >= s.first_failure
    AND %WINDOW%
  GROUP BY s.source_ip
),
ranked AS (
  SELECT s.source_ip, 'auth' AS log, s.failures, s.peak, s.users_tried,
         s.invalid_users, COALESCE(l.successes, 0) AS successes, s.targets,
         s.first_failure AS first_seen,
         CASE WHEN l.last_success > s.last_attempt THEN l.last_success
              ELSE s.last_attempt END AS last_seen
  FROM sources s LEFT JOIN logons l ON l.source_ip = s.source_ip
)
SELECT source_ip, log, failures, peak, users_tried, invalid_users,
       successes, targets, first_seen, last_seen
FROM ranked
${ORDER_BY}
LIMIT ?`;

/**
 * The same from Zeek. Zeek infers each connection's outcome from packet
 * sizes: `auth_attempts` guesses, the last of them a success when
 * `auth_success` is true; connections where it could not tell (null) are
 * left out. Zeek sees no user names.
 */
const ZEEK_QUERY = `
WITH guesses AS (
  SELECT id_orig_h AS source_ip, id_resp_h AS host, ts AS time,
         CASE WHEN auth_success = 1 THEN auth_attempts - 1
              ELSE auth_attempts END AS failed
  FROM zeek_ssh
  WHERE id_orig_h IS NOT NULL AND auth_success IS NOT NULL
    AND auth_attempts > 0 AND %WINDOW%
),
bursts AS (
  SELECT source_ip, host, time, failed,
         SUM(failed) OVER (PARTITION BY source_ip ORDER BY %MS%
           RANGE BETWEEN ${FIND_TIME_MS} PRECEDING AND CURRENT ROW) AS recent
  FROM guesses
  WHERE failed > 0
),
sources AS (
  SELECT source_ip, SUM(failed) AS failures, MAX(recent) AS peak,
         COUNT(DISTINCT host) AS targets, MIN(time) AS first_failure,
         MAX(time) AS last_attempt
  FROM bursts
  GROUP BY source_ip
  HAVING MAX(recent) >= ?
),
logons AS (
  SELECT s.source_ip, COUNT(*) AS successes, MAX(z.ts) AS last_success
  FROM sources s JOIN zeek_ssh z ON z.id_orig_h = s.source_ip
  WHERE z.auth_success = 1 AND z.ts >= s.first_failure AND %WINDOW_TS%
  GROUP BY s.source_ip
),
ranked AS (
  SELECT s.source_ip, 'zeek_ssh' AS log, s.failures, s.peak,
         COALESCE(l.successes, 0) AS successes, s.targets,
         s.first_failure AS first_seen,
         CASE WHEN l.last_success > s.last_attempt THEN l.last_success
              ELSE s.last_attempt END AS last_seen
  FROM sources s LEFT JOIN logons l ON l.source_ip = s.source_ip
)
SELECT source_ip, log, failures, peak, NULL AS users_tried,
       NULL AS invalid_users, successes, targets, first_seen, last_seen
FROM ranked
${ORDER_BY}
LIMIT ?`;

/** The accounts a source logged on to after its first failure. */
const ACCOUNTS_QUERY = `
SELECT DISTINCT username FROM auth
WHERE source_ip = ? AND event IN ${SSHD_ACCEPTED} AND time >= ?
  AND username IS NOT NULL AND %WINDOW%
ORDER BY username`;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const rows: SqlValue[][] = [];
  if (await connection.hasTable("auth")) {
    rows.push(...await fromAuth(connection, params));
  }
  if (await connection.hasTable("zeek_ssh")) {
    rows.push(...await fromZeek(connection, params));
  }

  // Each query gave its own top rows in this order; merged, the first
  // `limit` are the top of both.
  rows.sort((a, b) => compareRows(a, b, RANKING));
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}

async function fromAuth(
  connection: Connection,
  params: Params,
): Promise<SqlValue[][]> {
  // The window bounds sshd_hosts, then guesses and logons (alias a).
  const window = timeWindow("time", params);
  const aliased = timeWindow("a.time", params);
  const sql = AUTH_QUERY
    .replace("%MS%", epochMillis(connection.dialect, "time"))
    .replace("%WINDOW%", window.sql)
    .replace("%WINDOW%", aliased.sql)
    .replace("%WINDOW%", aliased.sql);
  const found = await connection.query(sql, [
    ...window.params,
    ...aliased.params,
    params.min_failures,
    ...aliased.params,
    params.limit,
  ]);

  const rows: SqlValue[][] = [];
  for (const row of found.rows) {
    const [source, , , , , , successes, , firstSeen] = row;
    const accounts = Number(successes) > 0
      ? await accountsOf(connection, params, source, firstSeen)
      : null;
    rows.push([...row.slice(0, 7), accounts, ...row.slice(7)]);
  }
  return rows;
}

async function fromZeek(
  connection: Connection,
  params: Params,
): Promise<SqlValue[][]> {
  const window = timeWindow("ts", params);
  const aliased = timeWindow("z.ts", params);
  const sql = ZEEK_QUERY
    .replace("%MS%", epochMillis(connection.dialect, "time"))
    .replace("%WINDOW%", window.sql)
    .replace("%WINDOW_TS%", aliased.sql);
  const found = await connection.query(sql, [
    ...window.params,
    params.min_failures,
    ...aliased.params,
    params.limit,
  ]);
  return found.rows.map((row) => [...row.slice(0, 7), null, ...row.slice(7)]);
}

async function accountsOf(
  connection: Connection,
  params: Params,
  source: SqlValue,
  firstFailure: SqlValue,
): Promise<string> {
  const window = timeWindow("time", params);
  const found = await connection.query(
    ACCOUNTS_QUERY.replace("%WINDOW%", window.sql),
    [source, firstFailure, ...window.params],
  );
  return found.rows.map((row) => String(row[0])).join(", ");
}
