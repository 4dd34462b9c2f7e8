/**
 * Port scans: sources whose failed connection attempts reach many ports of
 * one destination (vertical) or one port on many destinations
 * (horizontal) within a few minutes, the way Zeek's scan policy counts
 * them.
 *
 * @module
 */

import { compareText, timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import { timeBucket } from "./_network_sql.ts";

export const aid = "port_scans";
export const name = "Port scans: failed connections to many ports or hosts";
export const desc =
  "Ranks sources that scanned, by their failed connection attempts: in " +
  "one window of a few minutes, failed attempts to many ports of one " +
  "destination (a vertical scan) or to one port on many destinations (a " +
  "horizontal scan, a sweep). A failed attempt is a TCP or UDP connection " +
  "that got no answer (S0), was refused (REJ), was reset or closed before " +
  "the handshake ended (RSTOS0, SH), or was reset or seen midstream with " +
  "no data either way (RSTO, RSTR, OTH without bytes), as Zeek's " +
  "scan.zeek policy counts them. A scan maps what an intruder can reach " +
  "before moving on; from inside, it often means a compromised host. Each " +
  "row gives the kind of scan, the most ports of one destination and the " +
  "most destinations on one port within one window, the ports and " +
  "destinations the source failed to reach over the whole time, its " +
  "failed connections and when they were seen. False positives: " +
  "vulnerability scanners and inventory tools, monitoring that probes " +
  "many services, peer-to-peer clients, and clients whose many servers " +
  "are down at once. Defaults are Zeek's scan.zeek policy: 15 ports of " +
  "one host (port_scan_threshold) or 25 hosts on one port " +
  "(addr_scan_threshold) within a 5-minute epoch (port_scan_interval, " +
  "addr_scan_interval), counted in fixed windows as its SumStats epochs " +
  "are; a slower scan escapes, as it does in Zeek. ICMP sweeps are left " +
  "out: they have no ports.";

export const hypothesis =
  "An intruder or a worm maps a network by trying many ports of a host or " +
  "one service on many hosts, and most of those attempts fail, which " +
  "normal clients, talking to the few services they know, rarely do.";

export const mitre = ["T1046", "T1595.001"];

export const falsePositives =
  "Vulnerability scanners, asset inventory and monitoring systems, " +
  "peer-to-peer clients, and clients of a service that is down. Know " +
  "your scanners; a workstation or a server that scans is the finding.";

export const tables = ["zeek_conn"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_ports: {
    type: "integer",
    default: 15,
    min: 2,
    desc: "distinct ports of one destination, failed within one window, " +
      "that make a vertical scan (Zeek's port_scan_threshold, 15)",
  },
  min_hosts: {
    type: "integer",
    default: 25,
    min: 2,
    desc: "distinct destinations on one port, failed within one window, " +
      "that make a horizontal scan (Zeek's addr_scan_threshold, 25)",
  },
  window_minutes: {
    type: "integer",
    default: 5,
    min: 1,
    desc: "the length of the fixed windows scans are counted in (Zeek's " +
      "port_scan_interval and addr_scan_interval, 5 minutes)",
  },
};

/**
 * Failed attempts as Zeek's scan policy sees them: no answer, refused,
 * reset or closed during the handshake, or reset or midstream with no
 * payload either way. RSTRH and SHR are left out: there the responder
 * spoke first, so the logged originator is not the one probing.
 */
const FAILED = `proto IN ('tcp', 'udp') AND (
  conn_state IN ('S0', 'REJ', 'RSTOS0', 'SH') OR (
    conn_state IN ('RSTO', 'RSTR', 'OTH')
    AND COALESCE(orig_bytes, 0) = 0 AND COALESCE(resp_bytes, 0) = 0))`;

/**
 * Sources that failed at least as often as the lower threshold asks
 * within one window, which every scan must: the others are not read
 * again. Most sources of a network never get there, and distinct counts
 * over every source's windows are dear (MariaDB sorts text keys on disk
 * for them). Bound: the bucket width, the window, that lower threshold.
 */
const BUSY = `
SELECT DISTINCT source
FROM (SELECT source
      FROM (SELECT id_orig_h AS source, %BUCKET% AS bucket
            FROM zeek_conn
            WHERE id_orig_h IS NOT NULL AND id_resp_h IS NOT NULL
              AND id_resp_p IS NOT NULL AND %FAILED% AND %WINDOW%) f
      GROUP BY source, bucket
      HAVING COUNT(*) >= ?) busy
ORDER BY source`;

/**
 * For a batch of busy sources: the windows where each crossed a
 * threshold, then what it failed to reach over the whole time. Bound:
 * the bucket width, the sources, the window, the two thresholds.
 */
const QUERY = `
WITH failed AS (
  SELECT id_orig_h AS source, id_resp_h AS destination,
         id_resp_p AS port, ts, %BUCKET% AS bucket
  FROM zeek_conn
  WHERE id_orig_h IN (%SOURCES%) AND id_resp_h IS NOT NULL
    AND id_resp_p IS NOT NULL AND %FAILED% AND %WINDOW%
),
vertical AS (
  SELECT source, MAX(ports) AS peak_ports
  FROM (SELECT source, COUNT(DISTINCT port) AS ports
        FROM failed GROUP BY source, destination, bucket) v
  WHERE ports >= ?
  GROUP BY source
),
horizontal AS (
  SELECT source, MAX(hosts) AS peak_destinations
  FROM (SELECT source, COUNT(DISTINCT destination) AS hosts
        FROM failed GROUP BY source, port, bucket) h
  WHERE hosts >= ?
  GROUP BY source
),
scanners AS (
  SELECT source, MAX(peak_ports) AS peak_ports,
         MAX(peak_destinations) AS peak_destinations
  FROM (SELECT source, peak_ports, 0 AS peak_destinations FROM vertical
        UNION ALL
        SELECT source, 0 AS peak_ports, peak_destinations FROM horizontal) s
  GROUP BY source
)
SELECT s.source, s.peak_ports, s.peak_destinations,
       COUNT(DISTINCT f.port) AS ports,
       COUNT(DISTINCT f.destination) AS destinations,
       COUNT(*) AS failed_connections,
       MIN(f.ts) AS first_seen, MAX(f.ts) AS last_seen
FROM scanners s JOIN failed f ON f.source = s.source
GROUP BY s.source, s.peak_ports, s.peak_destinations`;

/** Busy sources per query: each is a bound value in an IN list. */
const BATCH = 200;

const COLUMNS = [
  "source",
  "scan",
  "peak_ports",
  "peak_destinations",
  "ports",
  "destinations",
  "failed_connections",
  "first_seen",
  "last_seen",
];

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("ts", params);
  const width = Number(params.window_minutes) * 60;
  const fill = (sql: string) =>
    sql.replaceAll("%BUCKET%", timeBucket(connection.dialect, "ts"))
      .replace("%FAILED%", FAILED)
      .replace("%WINDOW%", window.sql);
  const busy = await connection.query(fill(BUSY), [
    width,
    ...window.params,
    Math.min(Number(params.min_ports), Number(params.min_hosts)),
  ]);

  const found: SqlValue[][] = [];
  for (let start = 0; start < busy.rows.length; start += BATCH) {
    const sources = busy.rows.slice(start, start + BATCH).map(([s]) => s);
    const sql = fill(QUERY).replace(
      "%SOURCES%",
      sources.map(() => "?").join(", "),
    );
    const scans = await connection.query(sql, [
      width,
      ...sources,
      ...window.params,
      params.min_ports,
      params.min_hosts,
    ]);
    found.push(...scans.rows);
  }

  // Failed connections, most first, then the source in byte order.
  found.sort((a, b) =>
    Number(b[5]) - Number(a[5]) || compareText(String(a[0]), String(b[0]))
  );
  const rows = found.slice(0, Number(params.limit))
    .map(([source, ports, hosts, ...rest]) => [
      source,
      scanKind(Number(ports), Number(hosts)),
      ports,
      hosts,
      ...rest,
    ]);
  return { columns: COLUMNS, rows };
}

/** What kind of scan the peaks show; a peak is 0 below its threshold. */
function scanKind(peakPorts: number, peakDestinations: number): string {
  if (peakPorts > 0 && peakDestinations > 0) return "vertical+horizontal";
  return peakPorts > 0 ? "vertical" : "horizontal";
}
