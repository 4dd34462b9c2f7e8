/**
 * Long connections: source and destination pairs ranked by the time their
 * connections stayed open, summed, with the connections still open when
 * the logs were written (Zeek's conn_long and RITA's open_conn logs, in
 * zeek_open_conn) counted too.
 *
 * @module
 */

import { timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Dialect,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import {
  firstNotLocal,
  indexedEquals,
  isRankable,
  pairCondition,
  rankBy,
  SEEN_IN,
  TopRows,
} from "./_pairs.ts";

export const aid = "long_connections";
export const name = "Long connections: pairs by time spent connected";
export const desc =
  "Ranks source and destination pairs (zeek_conn addresses, squid client " +
  "and host) by the seconds their connections lasted, summed, with the " +
  "longest single one beside it. Connections Zeek logged while still open " +
  "(zeek_open_conn, from the conn_long or open_conn logs) count too, each " +
  "once by its uid: its closed row when there is one, else its longest " +
  "open one. A reverse shell, a tunnel or a C2 channel held open for " +
  "hours is how an attacker keeps interactive access; many medium " +
  "connections that add up to the whole day are the same channel " +
  "reconnecting. False positives: streaming, video calls, VPNs, remote " +
  "desktop, SSH sessions of administrators, backups, and push or chat " +
  "services. RITA reports a pair from one hour summed (its base " +
  "threshold; 4, 8 and 12 hours are its low, medium and high marks); " +
  "here min_seconds is 0 by default, so that a short capture still shows " +
  "its longest channels first: set min_seconds=3600 for RITA's cut. " +
  "Loopback, link-local, multicast and broadcast addresses are left out, " +
  "as RITA always does.";

export const hypothesis =
  "An attacker keeps an interactive channel (a reverse shell, a tunnel, a " +
  "C2 session) open for hours, or reopens it all day, so the pair's " +
  "connected time dwarfs that of browsing.";

export const mitre = ["T1071", "T1572", "T1090", "T1219"];

export const falsePositives =
  "Streaming media, video calls, VPN and remote desktop sessions, " +
  "administrators' SSH, backups and replication, push and chat services " +
  "that hold a socket open all day.";

export const tables = ["zeek_conn", "zeek_open_conn", "squid"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_seconds: {
    type: "number",
    default: 0,
    min: 0,
    desc: "only pairs connected at least this long in total; RITA's base " +
      "threshold is 3600",
  },
};

const COLUMNS = [
  "source",
  "destination",
  "seen_in",
  "total_s",
  "longest_s",
  "connections",
  "open_connections",
  "first_seen",
  "last_seen",
];

/** Total, longest, connections largest first; then the pair, bytewise. */
const RANKING = rankBy([3, 4, 5], [0, 1, 2]);

/**
 * Seconds as whole milliseconds, rounded half up, so that sums are exact
 * integers and rank alike on every database. SQLite has no FLOOR unless
 * built with its math functions, and its CAST truncates, which is the
 * floor of a duration (never negative); PostgreSQL's and MariaDB's CAST
 * round instead, so they take FLOOR.
 */
const MILLISECONDS: Record<Dialect, string> = {
  sqlite: "CAST(%X% * 1000 + 0.5 AS INTEGER)",
  postgres: "FLOOR(%X% * 1000 + 0.5)",
  mysql: "FLOOR(%X% * 1000 + 0.5)",
};

function inMilliseconds(dialect: Dialect, sql: string): string {
  return sql.replace(
    /%MS\(([^%]+)\)%/g,
    (_, seconds) => MILLISECONDS[dialect].replace("%X%", seconds),
  );
}

// The pairs of closed connections, straight from the table so that each
// database groups it the way it groups any table (a derived table made
// MariaDB three times slower).
const CONN_TOTALS = `
SELECT id_orig_h, id_resp_h, COALESCE(SUM(%MS(duration)%), 0) AS total_ms,
       COALESCE(MAX(%MS(duration)%), 0) AS longest_ms,
       COUNT(*) AS connections, 0 AS open_connections,
       MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM zeek_conn
WHERE %WINDOW% %PAIRS%
GROUP BY id_orig_h, id_resp_h`;

const RANKED = `%TOTALS%
HAVING COALESCE(SUM(%MS(duration)%), 0) >= ?
ORDER BY total_ms DESC, longest_ms DESC, connections DESC, id_orig_h,
         id_resp_h
LIMIT ?`;

// Connections logged while open, each once: a connection logged open
// several times grows each time, so its longest row; none that closed.
const OPEN_TOTALS = `
SELECT source, destination, SUM(ms) AS total_ms, MAX(ms) AS longest_ms,
       COUNT(*) AS connections, COUNT(*) AS open_connections,
       MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM (
  SELECT MIN(id_orig_h) AS source, MIN(id_resp_h) AS destination,
         %MS(COALESCE(MAX(duration), 0))% AS ms, MIN(ts) AS ts
  FROM zeek_open_conn o
  WHERE %WINDOW% %CLOSED%
  GROUP BY COALESCE(uid, CONCAT('~', ts))
) u
GROUP BY source, destination`;

const NOT_CLOSED = `AND (o.uid IS NULL OR NOT EXISTS (
  SELECT 1 FROM zeek_conn c WHERE %SAME_UID%))`;

const SQUID_RANKED = `
SELECT client_ip, host, COALESCE(SUM(duration_ms), 0) AS total_ms,
       COALESCE(MAX(duration_ms), 0) AS longest_ms, COUNT(*) AS connections,
       0 AS open_connections, MIN(time) AS first_seen, MAX(time) AS last_seen
FROM squid
WHERE %WINDOW%
GROUP BY client_ip, host
HAVING COALESCE(SUM(duration_ms), 0) >= ?
ORDER BY total_ms DESC, longest_ms DESC, connections DESC, client_ip, host
LIMIT ?`;

/** Pairs per query when looking up the closed part of open pairs. */
const PAGE_PAIRS = 1_000;

/** What a pair adds up to, in a table's rows or several. */
interface Totals {
  source: string;
  destination: string;
  totalMs: number;
  longestMs: number;
  connections: number;
  open: number;
  first: string;
  last: string;
}

function totalsOf(row: SqlValue[]): Totals {
  return {
    source: String(row[0]),
    destination: String(row[1]),
    totalMs: Number(row[2]),
    longestMs: Number(row[3]),
    connections: Number(row[4]),
    open: Number(row[5]),
    first: String(row[6]),
    last: String(row[7]),
  };
}

function added(a: Totals, b: Totals): Totals {
  return {
    ...a,
    totalMs: a.totalMs + b.totalMs,
    longestMs: Math.max(a.longestMs, b.longestMs),
    connections: a.connections + b.connections,
    open: a.open + b.open,
    first: b.first < a.first ? b.first : a.first,
    last: b.last > a.last ? b.last : a.last,
  };
}

function resultRow(totals: Totals, seenIn: string): SqlValue[] {
  return [
    totals.source,
    totals.destination,
    seenIn,
    totals.totalMs / 1000,
    totals.longestMs / 1000,
    totals.connections,
    totals.open,
    totals.first,
    totals.last,
  ];
}

const keyOf = (t: { source: string; destination: string }) =>
  JSON.stringify([t.source, t.destination]);

/**
 * Zeek's pairs: the first `limit` by closed connections, and every pair
 * with an open one. Adding open time only lifts a pair, so no pair outside
 * those can rank among the first `limit` once it is added.
 */
async function zeekTotals(
  connection: Connection,
  params: Params,
  has: { conn: boolean; open: boolean },
  minimumMs: number,
): Promise<Totals[]> {
  const dialect = connection.dialect;
  const window = timeWindow("ts", params);
  const closed = inMilliseconds(dialect, CONN_TOTALS)
    .replace("%WINDOW%", window.sql);
  const pairs = new Map<string, Totals>();
  if (has.conn) {
    const ranked = inMilliseconds(dialect, RANKED)
      .replace("%TOTALS%", closed.replace("%PAIRS%", ""));
    const rows = await firstNotLocal(
      connection,
      ranked,
      [...window.params, minimumMs],
      Number(params.limit),
    );
    for (const totals of rows.map(totalsOf)) pairs.set(keyOf(totals), totals);
  }
  if (!has.open) return [...pairs.values()];

  const openWindow = timeWindow("o.ts", params);
  const sameUid = indexedEquals(dialect, "c.uid", "o.uid");
  const openSql = inMilliseconds(dialect, OPEN_TOTALS)
    .replace("%WINDOW%", openWindow.sql)
    .replace(
      "%CLOSED%",
      has.conn ? NOT_CLOSED.replace("%SAME_UID%", sameUid) : "",
    );
  const open = (await connection.query(openSql, openWindow.params)).rows
    .filter(isRankable)
    .map(totalsOf);

  const missing = open.filter((t) => !pairs.has(keyOf(t)));
  for (let i = 0; has.conn && i < missing.length; i += PAGE_PAIRS) {
    const page = missing.slice(i, i + PAGE_PAIRS)
      .map((t) => [t.source, t.destination] as const);
    const pick = pairCondition(dialect, {
      source: "id_orig_h",
      destination: "id_resp_h",
      indexed: true,
    }, page);
    const found = await connection.query(
      closed.replace("%PAIRS%", `AND (${pick.sql})`),
      [...window.params, ...pick.params],
    );
    for (const totals of found.rows.map(totalsOf)) {
      pairs.set(keyOf(totals), totals);
    }
  }
  for (const totals of open) {
    const before = pairs.get(keyOf(totals));
    pairs.set(keyOf(totals), before ? added(before, totals) : totals);
  }
  return [...pairs.values()].filter((t) => t.totalMs >= minimumMs);
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const limit = Number(params.limit);
  const minimumMs = Math.ceil(Number(params.min_seconds) * 1000);
  const [conn, open, squid] = await Promise.all(
    tables.map((table) => connection.hasTable(table)),
  );
  const top = new TopRows(limit, RANKING);
  if (conn || open) {
    const zeek = await zeekTotals(
      connection,
      params,
      { conn, open },
      minimumMs,
    );
    for (const totals of zeek) top.add(resultRow(totals, SEEN_IN.conn));
  }
  if (squid) {
    const window = timeWindow("time", params);
    const rows = await firstNotLocal(
      connection,
      SQUID_RANKED.replace("%WINDOW%", window.sql),
      [...window.params, minimumMs],
      limit,
    );
    for (const row of rows) top.add(resultRow(totalsOf(row), SEEN_IN.squid));
  }
  return { columns: COLUMNS, rows: top.rows() };
}
