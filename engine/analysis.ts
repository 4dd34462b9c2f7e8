/**
 * Helpers shared by analyzers: the time window every analyzer of
 * time-stamped data takes, written once for every dialect.
 *
 * @module
 */

import type { Dialect, Params } from "./types.ts";

/** A condition for a WHERE clause and the values it binds, in order. */
export interface Condition {
  /** SQL with `?` placeholders; `1 = 1` when there is nothing to check. */
  sql: string;
  /** The values for its placeholders. */
  params: string[];
}

/**
 * The rows of `column` (a time stamp column named by the analyzer, never
 * by a user) inside the `since` and `until` parameters: at or after
 * `since`, before `until`. An unset bound leaves that side open.
 *
 * @example
 * ```ts
 * import { timeWindow } from "./analysis.ts";
 * const window = timeWindow("ts", { since: "2026-11-02 00:00:00.000", until: "" });
 * if (window.sql !== "ts >= ?" || window.params.length !== 1) throw 0;
 * ```
 */
export function timeWindow(
  column: string,
  params: Params,
): Condition {
  const parts: string[] = [];
  const values: string[] = [];
  if (params.since) {
    parts.push(`${column} >= ?`);
    values.push(String(params.since));
  }
  if (params.until) {
    parts.push(`${column} < ?`);
    values.push(String(params.until));
  }
  return {
    sql: parts.length > 0 ? parts.join(" AND ") : "1 = 1",
    params: values,
  };
}

/**
 * SQL for the seconds since 1970 (UTC, with milliseconds) of a time stamp
 * column, in the connection's dialect, for arithmetic on times inside a
 * query: gaps, buckets, spans. `column` is named by the analyzer, never by
 * a user.
 *
 * @example
 * ```ts
 * import { epochSeconds } from "./analysis.ts";
 * if (epochSeconds("postgres", "ts") !== "EXTRACT(EPOCH FROM ts)") throw 0;
 * ```
 */
export function epochSeconds(dialect: Dialect, column: string): string {
  switch (dialect) {
    case "sqlite":
      return `unixepoch(${column}, 'subsec')`;
    case "postgres":
      return `EXTRACT(EPOCH FROM ${column})`;
    case "mysql":
      // The connector sets the session's time_zone to +00:00, so the
      // DATETIME reads as UTC.
      return `UNIX_TIMESTAMP(${column})`;
  }
}

/** Seconds since 1970 of a Gummer time stamp (`2026-11-02 08:15:00.123`). */
export function timestampSeconds(timestamp: string): number {
  return Date.parse(`${timestamp.replace(" ", "T")}Z`) / 1000;
}

/**
 * Compares text the way every connector's ORDER BY does: byte by byte in
 * UTF-8, which is code point order. JavaScript's `<` compares UTF-16 code
 * units instead, and puts characters beyond U+FFFF before U+E000-U+FFFF,
 * so rows ranked in TypeScript would come out in another order than the
 * database's.
 *
 * @example
 * ```ts
 * import { compareText } from "./analysis.ts";
 * if (compareText("\uffff", "\u{1f600}") >= 0) throw 0;
 * if (compareText("abc", "abd") >= 0 || compareText("ab", "ab") !== 0) throw 0;
 * ```
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : 1;
}

/**
 * Rounds a score to three decimals, as RITA reports its scores, so that
 * floating point sums that differ in their last digits between databases
 * give the same rows everywhere.
 *
 * @example
 * ```ts
 * import { round3 } from "./analysis.ts";
 * if (round3(0.94851) !== 0.949) throw 0;
 * ```
 */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
