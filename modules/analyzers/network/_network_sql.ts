/**
 * SQL pieces shared by the network analyzers of this folder (direct_ip,
 * port_scans, rare_user_agent, ...) where the three dialects differ, the
 * text tests that must be written without regular expressions because
 * only SQLite, PostgreSQL and MariaDB's common ground may be used, and
 * the byte order their ORDER BY gives text, for rows ranked here.
 *
 * Every SQL function takes an expression or column named by the
 * analyzer, never text from a log or a user.
 *
 * @module
 */

import { epochSeconds } from "../../../engine/analysis.ts";
import type { Dialect } from "../../../engine/types.ts";

/**
 * SQL for the number of whole `?`-second buckets between 1970 and a time
 * stamp column: the bucket width is bound as the first parameter where
 * the expression appears. SQLite has no FLOOR; its CAST truncates, which
 * is the same for times after 1970, the only ones Zeek writes.
 */
export function timeBucket(dialect: Dialect, column: string): string {
  const epoch = epochSeconds(dialect, column);
  return dialect === "sqlite"
    ? `CAST(${epoch} / ? AS INTEGER)`
    : `FLOOR(${epoch} / ?)`;
}

/** SQL for the 1-based position of `needle` (a constant) in `text`. */
export function position(
  dialect: Dialect,
  text: string,
  needle: string,
): string {
  return dialect === "postgres"
    ? `STRPOS(${text}, '${needle}')`
    : `INSTR(${text}, '${needle}')`;
}

/** SQL for the length of text in characters (MariaDB's LENGTH counts bytes). */
export function charLength(dialect: Dialect, text: string): string {
  return dialect === "mysql" ? `CHAR_LENGTH(${text})` : `LENGTH(${text})`;
}

/** SQL for `text` with every ASCII digit removed. */
export function withoutDigits(text: string): string {
  let sql = text;
  for (let digit = 0; digit <= 9; digit++) {
    sql = `REPLACE(${sql}, '${digit}', '')`;
  }
  return sql;
}

/**
 * A condition true when `text` is a dotted quad (four runs of digits
 * joined by three dots, as `192.0.2.7`), given `shape`, the same text
 * without its digits. Octets above 255 pass: such a host is no name
 * either, and the rows show it as it was.
 */
export function dottedQuad(text: string, shape: string): string {
  return `(${shape} = '...' AND ${text} NOT LIKE '%..%' AND ` +
    `${text} NOT LIKE '.%' AND ${text} NOT LIKE '%.')`;
}

/** The same with a `:port` after the quad, as a Host header carries it. */
export function dottedQuadWithPort(text: string, shape: string): string {
  return `(${shape} = '...:' AND ${text} NOT LIKE '%..%' AND ` +
    `${text} NOT LIKE '.%' AND ${text} NOT LIKE '%.:%' AND ` +
    `${text} NOT LIKE '%:')`;
}
