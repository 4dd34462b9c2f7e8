/**
 * Large uploads: source and destination pairs by the bytes the source
 * sent, where sending outweighs receiving.
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

export const aid = "large_uploads";
export const name = "Large uploads: pairs that send far more than they receive";
export const desc =
  "Ranks source and destination pairs by the bytes the source sent " +
  "(zeek_conn orig_bytes summed over the pair's connections; squid " +
  "request sizes summed per client and host), with the bytes received " +
  "and the producer-consumer ratio PCR = (sent - received) / (sent + " +
  "received), from -1 (pure download) to 1 (pure upload). Stolen data " +
  "leaves in bulk, and an upload stands out against browsing, which " +
  "mostly downloads. False positives: backups and file sync (cloud " +
  "drives), mail servers relaying, video calls and uploads, log and " +
  "telemetry shippers, and source-control pushes; Zeek's orig_bytes can " +
  "also be inflated where the sensor missed packets (missed_bytes). " +
  "Defaults: at least 25 MB sent, the data size at which RITA v5 raises " +
  "a destination's score (threat_intel_datasize_threshold), and a PCR of " +
  "at least 0.4, the 70:30 'export' role in Bullard and Gerth's PCR " +
  "(FloCon 2014). Squid rows need its extended format, which logs " +
  "request sizes.";

export const hypothesis =
  "Exfiltration moves more data out of a host to one destination than " +
  "that host takes back, so its pairs have many bytes sent and a high " +
  "producer-consumer ratio, unlike browsing and downloads.";

export const mitre = ["T1041", "T1048", "T1567", "T1030"];

export const falsePositives =
  "Backups, file sync and cloud drives, mail relays, video calls and " +
  "uploads, log and telemetry shippers, code pushes. Destinations that no " +
  "other host sends to, at odd hours, deserve the first look.";

export const tables = ["zeek_conn", "squid"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_bytes: {
    type: "integer",
    default: 25_000_000,
    min: 1,
    desc: "bytes the source sent to the destination, at least (RITA's " +
      "data size threshold, 25 MB)",
  },
  min_pcr: {
    type: "number",
    default: 0.4,
    min: -1,
    max: 1,
    desc: "producer-consumer ratio, at least: 0.4 is Bullard and Gerth's " +
      "70:30 export, 1 a pure upload",
  },
};

/**
 * The ratio is compared in integers, (sent - received) * 1000 against
 * the ratio in thousandths times the total, so that every database
 * decides the same way.
 */
const ZEEK = `
SELECT id_orig_h AS source, id_resp_h AS destination, 'zeek_conn' AS seen_in,
       SUM(orig_bytes) AS bytes_out, COALESCE(SUM(resp_bytes), 0) AS bytes_in,
       COUNT(*) AS connections, MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM zeek_conn
WHERE id_orig_h IS NOT NULL AND id_resp_h IS NOT NULL AND %WINDOW%
GROUP BY id_orig_h, id_resp_h
HAVING SUM(orig_bytes) >= ?
   AND (SUM(orig_bytes) - COALESCE(SUM(resp_bytes), 0)) * 1000
       >= ? * (SUM(orig_bytes) + COALESCE(SUM(resp_bytes), 0))`;

const SQUID = `
SELECT client_ip AS source, host AS destination, 'squid' AS seen_in,
       SUM(request_size) AS bytes_out, COALESCE(SUM(reply_size), 0) AS bytes_in,
       COUNT(*) AS connections, MIN(time) AS first_seen,
       MAX(time) AS last_seen
FROM squid
WHERE host IS NOT NULL AND request_size IS NOT NULL AND %WINDOW%
GROUP BY client_ip, host
HAVING SUM(request_size) >= ?
   AND (SUM(request_size) - COALESCE(SUM(reply_size), 0)) * 1000
       >= ? * (SUM(request_size) + COALESCE(SUM(reply_size), 0))`;

/** Squid rows in the window, and those with a request size. */
const SQUID_COVERAGE = `
SELECT COUNT(*) AS total_rows, COUNT(request_size) AS sized_rows
FROM squid WHERE %WINDOW%`;

const RANKED = `SELECT * FROM (%PARTS%) uploads
ORDER BY bytes_out DESC, source, destination, seen_in
LIMIT ?`;

const COLUMNS = [
  "source",
  "destination",
  "seen_in",
  "bytes_out",
  "bytes_in",
  "pcr",
  "connections",
  "first_seen",
  "last_seen",
];

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const thresholds = [
    params.min_bytes,
    Math.round(Number(params.min_pcr) * 1000),
  ];
  const parts: string[] = [];
  const values: SqlValue[] = [];
  for (
    const [table, time, sql] of [
      ["zeek_conn", "ts", ZEEK],
      ["squid", "time", SQUID],
    ]
  ) {
    if (!(await connection.hasTable(table))) continue;
    const window = timeWindow(time, params);
    parts.push(sql.replace("%WINDOW%", window.sql));
    values.push(...window.params, ...thresholds);
  }

  const found = await connection.query(
    RANKED.replace("%PARTS%", parts.join("\nUNION ALL\n")),
    [...values, params.limit],
  );
  const notes = await unsized(connection, params);
  const rows = found.rows.map((row) => {
    const [source, destination, seenIn, out, received, ...rest] = row;
    return [source, destination, seenIn, out, received, pcr(out, received)]
      .concat(rest);
  });
  return { columns: COLUMNS, rows, ...(notes ? { notes } : {}) };
}

/**
 * A note when squid rows in the window come from Squid's native format,
 * which logs no request sizes, so their uploads cannot be counted.
 */
async function unsized(
  connection: Connection,
  params: Params,
): Promise<string[] | undefined> {
  if (!(await connection.hasTable("squid"))) return undefined;
  const window = timeWindow("time", params);
  const coverage = await connection.query(
    SQUID_COVERAGE.replace("%WINDOW%", window.sql),
    window.params,
  );
  const [total, sized] = (coverage.rows[0] ?? [0, 0]).map(Number);
  if (sized >= total) return undefined;
  return [
    `${total - sized} of ${total} squid rows come from native-format logs ` +
    "without request sizes and are not counted: Squid's extended format " +
    "(see apt_size) logs them.",
  ];
}

/** The producer-consumer ratio, to three decimals. */
function pcr(out: SqlValue, received: SqlValue): number {
  const sent = Number(out);
  const got = Number(received);
  return Math.round((sent - got) / (sent + got) * 1000) / 1000;
}
