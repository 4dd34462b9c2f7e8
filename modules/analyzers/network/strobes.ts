/**
 * Strobes: source and destination pairs with so many connections that
 * they average one a second or more over the window.
 *
 * @module
 */

import { type Condition, timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import { BEACON_DEFAULTS } from "./_beacon_score.ts";
import {
  dataSpan,
  firstNotLocal,
  pairCondition,
  rankBy,
  SEEN_IN,
  type Timed,
  TopRows,
} from "./_pairs.ts";

export const aid = "strobes";
export const name = "Strobes: pairs with very many connections";
export const desc =
  "Source and destination pairs (zeek_conn addresses, squid client and " +
  "host) with at least per_day connections for each day of the window, " +
  "ranked by connections. So many connections in so little time is a " +
  "beacon with no sleep, a flood, a brute force of one service, or a " +
  "tool stuck in a retry loop; a beacon analysis cannot read a rhythm " +
  "into it, so RITA reports it apart. False positives: NTP and DNS " +
  "between servers, monitoring that polls every second, load balancer " +
  "health checks, and busy internal services behind one address. The " +
  "default, 86,400 a day (one a second), is RITA's strobe threshold over " +
  "its 24-hour window; a window shorter than a day still needs 86,400, " +
  "as in RITA, and a longer one needs as many for each day. Loopback, " +
  "link-local, multicast and broadcast addresses are left out, as RITA " +
  "always does.";

export const hypothesis =
  "Malware with no sleep between check-ins, a flood or a brute force " +
  "makes far more connections to one destination than people and " +
  "ordinary software do.";

export const mitre = ["T1071", "T1110", "T1498", "T1499"];

export const falsePositives =
  "NTP and DNS between servers, monitoring that polls every second, load " +
  "balancer health checks, log shippers reconnecting, and busy internal " +
  "services behind one address.";

export const tables = ["zeek_conn", "squid"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  per_day: {
    type: "integer",
    default: BEACON_DEFAULTS.strobePerDay,
    min: 1,
    desc: "connections a pair needs for each day of the window, at least " +
      "one day (RITA's strobe threshold, 86400: one a second)",
  },
};

const COLUMNS = [
  "source",
  "destination",
  "seen_in",
  "connections",
  "per_second",
  "first_seen",
  "last_seen",
];

/** Connections largest first, then the pair in byte order. */
const RANKING = rankBy([3], [0, 1, 2]);

// Counting first reads only the index of the two addresses; the times are
// looked up afterwards for the few pairs that rank.
const CONN = `
SELECT id_orig_h, id_resp_h, COUNT(*) AS connections
FROM zeek_conn
WHERE %WINDOW%
GROUP BY id_orig_h, id_resp_h
HAVING COUNT(*) >= ?
ORDER BY connections DESC, id_orig_h, id_resp_h
LIMIT ?`;

const CONN_TIMES = `
SELECT id_orig_h, id_resp_h, MIN(ts), MAX(ts)
FROM zeek_conn
WHERE %WINDOW% AND (%PAIRS%)
GROUP BY id_orig_h, id_resp_h`;

const SQUID = `
SELECT client_ip, host, COUNT(*) AS connections
FROM squid
WHERE %WINDOW%
GROUP BY client_ip, host
HAVING COUNT(*) >= ?
ORDER BY connections DESC, client_ip, host
LIMIT ?`;

const SQUID_TIMES = `
SELECT client_ip, host, MIN(time), MAX(time)
FROM squid
WHERE %WINDOW% AND (%PAIRS%)
GROUP BY client_ip, host`;

interface Part {
  seenIn: string;
  sql: string;
  times: string;
  columns: { source: string; destination: string; indexed: boolean };
  timed: Timed;
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const parts: Part[] = [];
  if (await connection.hasTable("zeek_conn")) {
    parts.push({
      seenIn: SEEN_IN.conn,
      sql: CONN,
      times: CONN_TIMES,
      columns: { source: "id_orig_h", destination: "id_resp_h", indexed: true },
      timed: { table: "zeek_conn", time: "ts" },
    });
  }
  if (await connection.hasTable("squid")) {
    parts.push({
      seenIn: SEEN_IN.squid,
      sql: SQUID,
      times: SQUID_TIMES,
      columns: { source: "client_ip", destination: "host", indexed: true },
      timed: { table: "squid", time: "time" },
    });
  }
  const span = await dataSpan(connection, parts.map((p) => p.timed), params);
  if (!span) return { columns: COLUMNS, rows: [] };
  const seconds = Math.max(span.end - span.start, 1);
  const days = Math.max(1, seconds / 86_400);
  const minimum = Math.ceil(Number(params.per_day) * days);

  const limit = Number(params.limit);
  const top = new TopRows(limit, RANKING);
  for (const part of parts) {
    const window = timeWindow(part.timed.time, params);
    const sql = part.sql.replace("%WINDOW%", window.sql);
    const rows = await firstNotLocal(
      connection,
      sql,
      [...window.params, minimum],
      limit,
    );
    const times = await timesOf(connection, part, rows, window);
    for (const [source, destination, connections] of rows) {
      const [first, last] = times.get(JSON.stringify([source, destination]))!;
      top.add([
        source,
        destination,
        part.seenIn,
        Number(connections),
        Math.round(Number(connections) / seconds * 1000) / 1000,
        first,
        last,
      ]);
    }
  }
  return { columns: COLUMNS, rows: top.rows() };
}

/** The first and last time stamps of each ranked pair, by pair. */
async function timesOf(
  connection: Connection,
  part: Part,
  rows: SqlValue[][],
  window: Condition,
): Promise<Map<string, [SqlValue, SqlValue]>> {
  const times = new Map<string, [SqlValue, SqlValue]>();
  if (rows.length === 0) return times;
  const pairs = rows.map(([a, b]) => [String(a), String(b)] as const);
  const pick = pairCondition(connection.dialect, part.columns, pairs);
  const found = await connection.query(
    part.times.replace("%WINDOW%", window.sql).replace("%PAIRS%", pick.sql),
    [...window.params, ...pick.params],
  );
  for (const [source, destination, first, last] of found.rows) {
    times.set(JSON.stringify([source, destination]), [first, last]);
  }
  return times;
}
