/**
 * Helpers shared by the analyzers of source and destination pairs
 * (beacons, long_connections, strobes): the span of the data inside the
 * time window, ranking in TypeScript the same way a database's ORDER BY
 * does, and the SQL condition that picks a page of pairs.
 *
 * @module
 */

import { BlockList, isIP } from "node:net";
import { POSTGRES_TEXT_KEY_CHARACTERS } from "../../../engine/sql.ts";
import {
  compareText,
  timestampSeconds,
  timeWindow,
} from "../../../engine/analysis.ts";
import type {
  Connection,
  Dialect,
  Params,
  SqlValue,
} from "../../../engine/types.ts";

/** Where a pair was seen, as the `seen_in` column names it. */
export const SEEN_IN = {
  /** Addresses from zeek_conn. */
  conn: "zeek_conn",
  /** A host name from zeek_http (Host, CONNECT) or zeek_ssl (SNI). */
  names: "zeek_http/ssl",
  /** A client and host from the squid table. */
  squid: "squid",
} as const;

/**
 * Addresses that RITA never includes, whatever its configuration says:
 * this host, loopback, link-local, multicast and broadcast. Traffic to and
 * from them stays on the local link (router and neighbour discovery, mDNS,
 * SSDP), keeps time by design, and cannot reach a command server.
 */
const NEVER_INCLUDED: [string, number, "ipv4" | "ipv6"][] = [
  ["0.0.0.0", 32, "ipv4"],
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["224.0.0.0", 4, "ipv4"],
  ["255.255.255.255", 32, "ipv4"],
  ["::1", 128, "ipv6"],
  ["::", 128, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["ff00::", 8, "ipv6"],
];

const LOCAL_ONLY = new BlockList();
for (const [network, prefix, family] of NEVER_INCLUDED) {
  LOCAL_ONLY.addSubnet(network, prefix, family);
}

/**
 * Whether a pair end is an address that never leaves the local link
 * (RITA's mandatory exclusions); host names are never excluded.
 *
 * @example
 * ```ts
 * import { isLocalOnly } from "./_pairs.ts";
 * if (!isLocalOnly("ff02::2") || isLocalOnly("10.0.0.1")) throw 0;
 * if (isLocalOnly("www.example.com")) throw 0;
 * ```
 */
export function isLocalOnly(end: string): boolean {
  const family = isIP(end);
  if (family === 0) return false;
  return LOCAL_ONLY.check(end, family === 6 ? "ipv6" : "ipv4");
}

/**
 * Whether a row's pair (its first two values) is worth ranking: both ends
 * known and neither local-only. Queries leave unknown ends to this test
 * rather than say `IS NOT NULL`, which made MariaDB walk its index of the
 * two columns (a prefix index, so a table lookup for every row) instead of
 * reading the table straight through: 105 s instead of 15 on a million.
 */
export function isRankable(row: readonly SqlValue[]): boolean {
  const [source, destination] = row;
  return source !== null && destination !== null &&
    !isLocalOnly(String(source)) && !isLocalOnly(String(destination));
}

/** A table and its time stamp column. */
export interface Timed {
  table: string;
  time: string;
}

const SPAN = `SELECT MIN(%TIME%) AS first_seen, MAX(%TIME%) AS last_seen
FROM %TABLE% WHERE %WINDOW%`;

/**
 * The first and last time stamps, over the given tables, of the rows inside
 * the since and until parameters, as whole seconds; undefined when there
 * are none. Table and column names come from the analyzer.
 */
export async function dataSpan(
  connection: Connection,
  tables: Timed[],
  params: Params,
): Promise<{ start: number; end: number } | undefined> {
  let first: string | undefined;
  let last: string | undefined;
  for (const { table, time } of tables) {
    const window = timeWindow(time, params);
    const found = await connection.query(
      SPAN.replaceAll("%TIME%", time).replace("%TABLE%", table)
        .replace("%WINDOW%", window.sql),
      window.params,
    );
    const [low, high] = found.rows[0] ?? [];
    if (typeof low === "string" && (first === undefined || low < first)) {
      first = low;
    }
    if (typeof high === "string" && (last === undefined || high > last)) {
      last = high;
    }
  }
  if (first === undefined || last === undefined) return undefined;
  return {
    start: Math.floor(timestampSeconds(first)),
    end: Math.floor(timestampSeconds(last)),
  };
}

/**
 * Keeps the first `limit` rows of a stream under a full ordering, without
 * holding the rest: what `ORDER BY ... LIMIT` does in SQL.
 */
export class TopRows {
  readonly #rows: SqlValue[][] = [];
  readonly #limit: number;
  readonly #compare: (a: SqlValue[], b: SqlValue[]) => number;

  constructor(
    limit: number,
    compare: (a: SqlValue[], b: SqlValue[]) => number,
  ) {
    this.#limit = limit;
    this.#compare = compare;
  }

  /** Offers a row; it is kept only while it ranks among the first. */
  add(row: SqlValue[]): void {
    const rows = this.#rows;
    if (
      rows.length >= this.#limit && this.#compare(row, rows.at(-1)!) >= 0
    ) return;
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.#compare(rows[middle], row) <= 0) low = middle + 1;
      else high = middle;
    }
    rows.splice(low, 0, row);
    if (rows.length > this.#limit) rows.pop();
  }

  /** The last row kept once `limit` rows are, which a row must beat. */
  bar(): SqlValue[] | undefined {
    return this.#rows.length >= this.#limit ? this.#rows.at(-1) : undefined;
  }

  /** The rows kept, first first. */
  rows(): SqlValue[][] {
    return [...this.#rows];
  }
}

/**
 * An ordering of result rows: by the given numeric columns, largest first,
 * then by the given text columns in byte order.
 */
export function rankBy(
  descending: number[],
  ascending: number[],
): (a: SqlValue[], b: SqlValue[]) => number {
  return (a, b) => {
    for (const i of descending) {
      const difference = Number(b[i]) - Number(a[i]);
      if (difference !== 0) return difference;
    }
    for (const i of ascending) {
      const order = compareText(String(a[i]), String(b[i]));
      if (order !== 0) return order;
    }
    return 0;
  };
}

/**
 * The first `limit` rows of a ranked pair query (source and destination
 * first, `LIMIT ?` its last placeholder) that are rankable,
 * asking for more rows while local-only pairs (mDNS, SSDP, neighbour
 * discovery) crowd the top; the first query nearly always suffices.
 */
export async function firstNotLocal(
  connection: Connection,
  sql: string,
  params: readonly SqlValue[],
  limit: number,
): Promise<SqlValue[][]> {
  for (let asked = limit + 16;; asked *= 4) {
    const found = await connection.query(sql, [...params, asked]);
    const kept = found.rows.filter(isRankable);
    if (kept.length >= limit || found.rows.length < asked) {
      return kept.slice(0, limit);
    }
  }
}

/**
 * SQL for `column = value` (both SQL expressions named by the analyzer,
 * `value` often a `?`) that an index on the column can answer in the
 * dialect. On PostgreSQL the value appears twice: bind it twice.
 */
export function indexedEquals(
  dialect: Dialect,
  column: string,
  value: string,
): string {
  if (dialect !== "postgres") return `${column} = ${value}`;
  const key = POSTGRES_TEXT_KEY_CHARACTERS;
  return `(left(${column}, ${key}) = left(${value}, ${key}) AND ` +
    `${column} = ${value})`;
}

/** How many times `indexedEquals` uses its value. */
export function equalsArity(dialect: Dialect): number {
  return dialect === "postgres" ? 2 : 1;
}

/**
 * A condition that picks a page of pairs by a source column and a
 * destination expression (both named by the analyzer), with its values in
 * order, written so that each pair is a lookup on the table's index of
 * the two columns (`indexed`) or of the source alone. MariaDB finds the
 * rows far faster when the sources are also given as an IN list; SQLite
 * takes the pairs as a list of row values.
 */
export function pairCondition(
  dialect: Dialect,
  columns: { source: string; destination: string; indexed: boolean },
  pairs: readonly (readonly [string, string])[],
): { sql: string; params: string[] } {
  if (dialect === "sqlite") {
    // A chain of a thousand ORs is deeper than SQLite lets an expression
    // be (1,000); a row value IN a VALUES list is a join it can answer
    // from the same index.
    const rows = pairs.map(() => "(?, ?)").join(", ");
    return {
      sql: `(${columns.source}, ${columns.destination}) IN (VALUES ${rows})`,
      params: pairs.flat(),
    };
  }

  const arity = equalsArity(dialect);
  const repeat = (value: string, times: number) =>
    Array.from({ length: times }, () => value);
  const source = indexedEquals(dialect, columns.source, "?");
  const destination = columns.indexed
    ? indexedEquals(dialect, columns.destination, "?")
    : `${columns.destination} = ?`;
  const term = `(${source} AND ${destination})`;
  const params = pairs.flatMap(([from, to]) => [
    ...repeat(from, arity),
    ...repeat(to, columns.indexed ? arity : 1),
  ]);
  const any = pairs.map(() => term).join(" OR ");
  if (dialect !== "mysql") return { sql: any, params };

  const sources = [...new Set(pairs.map(([from]) => from))];
  return {
    sql: `${columns.source} IN (${sources.map(() => "?").join(", ")}) ` +
      `AND (${any})`,
    params: [...sources, ...params],
  };
}
