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
import { firstNotLocal, rankBy, SEEN_IN, TopRows } from "./_pairs.ts";

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

// Milliseconds, rounded per connection, so that sums are exact integers
// and rank alike on every database. %MS(x)% is the rounding in the
// connection's dialect.
const CONN_ROWS = `
SELECT id_orig_h AS source, id_resp_h AS destination, 0 AS still_open,
       %MS(duration)% AS ms, ts
FROM zeek_conn
WHERE id_orig_h IS NOT NULL AND id_resp_h IS NOT NULL AND %WINDOW%`;

// A connection logged open several times grows each time: keep its
// longest row, and none once the connection has closed.
const OPEN_ROWS = `
SELECT MIN(id_orig_h) AS source, MIN(id_resp_h) AS destination,
       1 AS still_open, %MS(MAX(duration))% AS ms,
       MIN(ts) AS ts
FROM zeek_open_conn o
WHERE id_orig_h IS NOT NULL AND id_resp_h IS NOT NULL AND %WINDOW%
  %CLOSED%
GROUP BY COALESCE(uid, CONCAT('~', ts))`;

const NOT_CLOSED = `AND (o.uid IS NULL OR NOT EXISTS (
  SELECT 1 FROM zeek_conn c WHERE c.uid = o.uid))`;

const SQUID_ROWS = `
SELECT client_ip AS source, host AS destination, 0 AS still_open,
       duration_ms AS ms, time AS ts
FROM squid
WHERE client_ip IS NOT NULL AND host IS NOT NULL AND %WINDOW%`;

const RANKED = `
SELECT source, destination, COALESCE(SUM(ms), 0) AS total_ms,
       COALESCE(MAX(ms), 0) AS longest_ms,
       COUNT(*) AS connections, SUM(still_open) AS open_connections,
       MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM (%ROWS%) r
GROUP BY source, destination
HAVING COALESCE(SUM(ms), 0) >= ?
ORDER BY total_ms DESC, longest_ms DESC, connections DESC, source,
         destination
LIMIT ?`;

/**
 * Seconds as whole milliseconds, rounded half up. SQLite has no FLOOR
 * unless built with its math functions, and its CAST truncates, which is
 * the floor of a duration (never negative); PostgreSQL's and MariaDB's
 * CAST round instead, so they take FLOOR.
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

/** A query's rows before ranking: SQL and its values. */
interface Part {
  seenIn: string;
  sql: string;
  params: SqlValue[];
}

async function partsOf(
  connection: Connection,
  params: Params,
): Promise<Part[]> {
  const [conn, open, squid] = await Promise.all(
    tables.map((table) => connection.hasTable(table)),
  );
  const parts: Part[] = [];
  const zeek: string[] = [];
  const zeekParams: SqlValue[] = [];
  if (conn) {
    const window = timeWindow("ts", params);
    zeek.push(
      inMilliseconds(connection.dialect, CONN_ROWS)
        .replace("%WINDOW%", window.sql),
    );
    zeekParams.push(...window.params);
  }
  if (open) {
    const window = timeWindow("o.ts", params);
    zeek.push(
      inMilliseconds(connection.dialect, OPEN_ROWS)
        .replace("%WINDOW%", window.sql)
        .replace("%CLOSED%", conn ? NOT_CLOSED : ""),
    );
    zeekParams.push(...window.params);
  }
  if (zeek.length > 0) {
    parts.push({
      seenIn: SEEN_IN.conn,
      sql: zeek.join(" UNION ALL "),
      params: zeekParams,
    });
  }
  if (squid) {
    const window = timeWindow("time", params);
    parts.push({
      seenIn: SEEN_IN.squid,
      sql: SQUID_ROWS.replace("%WINDOW%", window.sql),
      params: window.params,
    });
  }
  return parts;
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const limit = Number(params.limit);
  const minimumMs = Math.ceil(Number(params.min_seconds) * 1000);
  const top = new TopRows(limit, RANKING);
  for (const part of await partsOf(connection, params)) {
    const rows = await firstNotLocal(
      connection,
      RANKED.replace("%ROWS%", part.sql),
      [...part.params, minimumMs],
      limit,
    );
    for (const row of rows) {
      const [source, destination, total, longest, count, open, first, last] =
        row;
      top.add([
        source,
        destination,
        part.seenIn,
        Number(total) / 1000,
        Number(longest) / 1000,
        Number(count),
        Number(open),
        first,
        last,
      ]);
    }
  }
  return { columns: COLUMNS, rows: top.rows() };
}
