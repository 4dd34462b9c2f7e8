/**
 * Strobes: source and destination pairs with so many connections that
 * they average one a second or more over the window.
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
import { BEACON_DEFAULTS } from "./_beacon_score.ts";
import {
  dataSpan,
  firstNotLocal,
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

const CONN = `
SELECT id_orig_h, id_resp_h, COUNT(*) AS connections, MIN(ts), MAX(ts)
FROM zeek_conn
WHERE id_orig_h IS NOT NULL AND id_resp_h IS NOT NULL AND %WINDOW%
GROUP BY id_orig_h, id_resp_h
HAVING COUNT(*) >= ?
ORDER BY connections DESC, id_orig_h, id_resp_h
LIMIT ?`;

const SQUID = `
SELECT client_ip, host, COUNT(*) AS connections, MIN(time), MAX(time)
FROM squid
WHERE client_ip IS NOT NULL AND host IS NOT NULL AND %WINDOW%
GROUP BY client_ip, host
HAVING COUNT(*) >= ?
ORDER BY connections DESC, client_ip, host
LIMIT ?`;

interface Part {
  seenIn: string;
  sql: string;
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
      timed: { table: "zeek_conn", time: "ts" },
    });
  }
  if (await connection.hasTable("squid")) {
    parts.push({
      seenIn: SEEN_IN.squid,
      sql: SQUID,
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
    for (const row of rows) {
      const [source, destination, connections, first, last] = row;
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
