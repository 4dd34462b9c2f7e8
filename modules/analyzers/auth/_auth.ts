/**
 * What the authentication analyzers share: which rows of the auth table
 * are password guesses, the arithmetic on time stamps they need, and the
 * order they rank by. Not a module (the name starts with `_`).
 *
 * @module
 */

import { compareText } from "../../../engine/analysis.ts";
import type { Dialect, SqlValue } from "../../../engine/types.ts";

/**
 * sshd's own lines about a failed guess, one per attempt: passwords and
 * keyboard-interactive or none. Failed public keys are not guesses: a
 * client offers each key it holds until one fits, so a user with three
 * keys fails twice on every logon (fail2ban's sshd filter leaves them out
 * in its normal mode for the same reason).
 */
export const SSHD_FAILED = "('failed_password', 'failed_other')";

/** sshd's lines about a successful logon. */
export const SSHD_ACCEPTED =
  "('accepted_password', 'accepted_publickey', 'accepted_other')";

/**
 * A common table expression, `guesses`, of the auth rows that stand for
 * password guesses from a remote address: `source_ip`, `host`, `username`,
 * `invalid_user`, `time` and `failed`, the attempts the row stands for.
 *
 * One attempt shows up twice in a full sshd log: pam_unix writes
 * "authentication failure; ... rhost=A" and sshd then writes "Failed
 * password for U from A". Counting both would double every source, so a
 * host whose log has sshd's Failed lines is counted by those alone, and
 * pam_unix lines count only on hosts where sshd writes none (old sshd
 * builds log through PAM only, as in /var/log/messages of the 2000s).
 * "PAM N more authentication failures" lines are not counted: sshd logs
 * each of those attempts itself where it logs any. "Invalid user U from
 * A" lines come with weight 0: they name an account that was probed, not
 * an attempt of its own, since sshd follows them with a Failed line when
 * a password was tried.
 *
 * `%WINDOW%` stands for the analyzer's time window on `time`; it occurs
 * twice, so its parameters are bound twice, in order.
 */
export const GUESSES_CTE = `
sshd_hosts AS (
  SELECT DISTINCT host FROM auth
  WHERE event IN ${SSHD_FAILED} AND %WINDOW%
),
guesses AS (
  SELECT a.source_ip, a.host, a.username, a.invalid_user, a.time,
         CASE WHEN a.event = 'invalid_user' THEN 0
              ELSE COALESCE(a.repeats, 1) END AS failed
  FROM auth a
  WHERE a.source_ip IS NOT NULL AND %WINDOW%
    AND (a.event IN ${SSHD_FAILED}
      OR a.event = 'invalid_user'
      OR (a.event = 'auth_failure' AND LOWER(a.program) LIKE 'sshd%'
        AND NOT EXISTS (
          SELECT 1 FROM sshd_hosts h WHERE h.host = a.host)))
)`;

/**
 * SQL for the whole milliseconds since 1970 of a time stamp column, as an
 * integer, so that window frames over it compare exactly in every
 * dialect (floating seconds would put an event exactly ten minutes after
 * another inside the window on one database and outside on another).
 * `column` is named by the analyzer, never by a user.
 */
export function epochMillis(dialect: Dialect, column: string): string {
  switch (dialect) {
    case "sqlite":
      return `CAST(ROUND(unixepoch(${column}, 'subsec') * 1000) AS INTEGER)`;
    case "postgres":
      return `CAST(ROUND(EXTRACT(EPOCH FROM ${column}) * 1000) AS BIGINT)`;
    case "mysql":
      return `CAST(ROUND(UNIX_TIMESTAMP(${column}) * 1000) AS SIGNED)`;
  }
}

/** One key of a ranking: what to compare, and in which direction. */
export interface SortKey {
  /** The value of a row to compare. */
  value(row: readonly SqlValue[]): SqlValue;
  /** Larger first. */
  descending?: boolean;
}

/** A key on one column of a row. */
export function byColumn(column: number, descending = false): SortKey {
  return { value: (row) => row[column], descending };
}

/**
 * Compares two result rows by the keys in order: numbers by value, text
 * by bytes, null before anything else (as SQLite and MariaDB sort).
 */
export function compareRows(
  a: readonly SqlValue[],
  b: readonly SqlValue[],
  keys: readonly SortKey[],
): number {
  for (const key of keys) {
    const order = compareValues(key.value(a), key.value(b));
    if (order !== 0) return key.descending ? -order : order;
  }
  return 0;
}

function compareValues(a: SqlValue, b: SqlValue): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "string" && typeof b === "string") {
    return compareText(a, b);
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
