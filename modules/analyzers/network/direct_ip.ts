/**
 * Destinations reached by IP address instead of a name, over HTTP (the
 * Host header or CONNECT target), TLS (no server name, or an address as
 * the name) and a proxy's own log: the APT-book analyzer apt_ips, widened
 * to Zeek's logs and kept per source.
 *
 * @module
 */

import { isIP } from "node:net";
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
  dottedQuad,
  dottedQuadWithPort,
  position,
  withoutDigits,
} from "./_network_sql.ts";

export const aid = "direct_ip";
export const name = "Destinations reached by IP address, per source";
export const desc =
  "Ranks source and destination pairs where the source reached an IP " +
  "address without a name, by hits: HTTP requests whose Host header (or " +
  "CONNECT target) is an address (zeek_http), TLS connections that sent " +
  "no server name or an address as the name (zeek_ssl, counted against " +
  "the server's address), and proxy requests to an address (squid). " +
  "Each row says which logs it came from, how many hits each gave, how " +
  "many sources reached that address by IP, and first and last seen. " +
  "Malware often calls its command server by a hard-coded address so " +
  "that no DNS lookup gives it away, and a browser never does that on " +
  "its own. False positives: connectivity checks, updaters and CDNs " +
  "fetched by address, internal servers and appliances without DNS " +
  "names, and TLS clients that never send a server name (some mail, VPN " +
  "and Java clients). There is no threshold: every hit counts, as in " +
  "apt_ips; an address few sources reach matters most.";

export const hypothesis =
  "Implants reach their command and control by a hard-coded IP address, " +
  "over HTTP or TLS, so requests and handshakes that name no host point " +
  "at them.";

export const mitre = ["T1071.001", "T1573", "T1090"];

export const falsePositives =
  "Connectivity checks, updaters and CDNs reached by address, internal " +
  "servers and appliances without names, TLS clients that send no server " +
  "name. Addresses that one source alone reaches deserve the first look.";

export const tables = ["zeek_http", "zeek_ssl", "squid"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

/**
 * HTTP hosts that are addresses: a dotted quad, with or without a port,
 * or an IPv6 literal, bracketed (as a Host header must write it) or bare
 * (no name has two colons). `shape` is the host without its digits.
 */
function httpPart(dialect: Dialect): string {
  const colon = position(dialect, "h", ":");
  const bracket = position(dialect, "h", "]");
  return `
SELECT source, destination, 'zeek_http' AS seen_in, COUNT(*) AS n,
       MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM (
  SELECT source, ts, CASE
      WHEN ${dottedQuad("h", "shape")} THEN h
      WHEN ${dottedQuadWithPort("h", "shape")}
        THEN SUBSTR(h, 1, ${colon} - 1)
      WHEN h LIKE '[%]' OR h LIKE '[%]:%' THEN SUBSTR(h, 2, ${bracket} - 2)
      WHEN h LIKE '%:%:%' THEN h
    END AS destination
  FROM (SELECT id_orig_h AS source, ts, LOWER(host) AS h,
               ${withoutDigits("host")} AS shape
        FROM zeek_http
        WHERE host IS NOT NULL AND id_orig_h IS NOT NULL AND %WINDOW%) named
) addressed
WHERE destination IS NOT NULL
GROUP BY source, destination`;
}

/** TLS without a server name, or with an address (IPv4, IPv6) as one. */
const TLS_PART = `
SELECT id_orig_h AS source, id_resp_h AS destination, 'zeek_ssl' AS seen_in,
       COUNT(*) AS n, MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM (SELECT id_orig_h, id_resp_h, ts, server_name,
             ${withoutDigits("server_name")} AS shape
      FROM zeek_ssl
      WHERE id_orig_h IS NOT NULL AND id_resp_h IS NOT NULL
        AND %WINDOW%) handshakes
WHERE server_name IS NULL OR server_name = ''
   OR ${dottedQuad("server_name", "shape")} OR server_name LIKE '%:%'
GROUP BY id_orig_h, id_resp_h`;

/** The squid collector marks address hosts, odd forms (0x7f.1) too. */
const SQUID_PART = `
SELECT client_ip AS source, host AS destination, 'squid' AS seen_in,
       COUNT(*) AS n, MIN(time) AS first_seen, MAX(time) AS last_seen
FROM squid
WHERE host_is_ip = 1 AND client_ip IS NOT NULL AND %WINDOW%
GROUP BY client_ip, host`;

/**
 * The parts summed per pair. The number of sources per destination is a
 * window over the grouped rows, one per source. A page more than the
 * limit is read at a time: rows whose destination turns out not to be an
 * address (a Host of digits and dots that no parser accepts) are dropped.
 */
const RANKED = `
SELECT source, destination, SUM(n) AS hits,
       SUM(CASE WHEN seen_in = 'zeek_http' THEN n ELSE 0 END) AS http,
       SUM(CASE WHEN seen_in = 'zeek_ssl' THEN n ELSE 0 END) AS tls,
       SUM(CASE WHEN seen_in = 'squid' THEN n ELSE 0 END) AS proxy,
       COUNT(*) OVER (PARTITION BY destination) AS sources,
       MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen
FROM (%PARTS%) parts
GROUP BY source, destination
ORDER BY hits DESC, source, destination
LIMIT ? OFFSET ?`;

const COLUMNS = [
  "source",
  "destination",
  "seen_in",
  "hits",
  "http_requests",
  "tls_connections",
  "proxy_requests",
  "sources",
  "first_seen",
  "last_seen",
];

/** Rows read past the limit per page, for the few that are dropped. */
const SLACK = 50;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const parts: string[] = [];
  const values: SqlValue[] = [];
  for (
    const [table, time, sql] of [
      ["zeek_http", "ts", httpPart(connection.dialect)],
      ["zeek_ssl", "ts", TLS_PART],
      ["squid", "time", SQUID_PART],
    ]
  ) {
    if (!(await connection.hasTable(table))) continue;
    const window = timeWindow(time, params);
    parts.push(sql.replace("%WINDOW%", window.sql));
    values.push(...window.params);
  }
  const sql = RANKED.replace("%PARTS%", parts.join("\nUNION ALL\n"));

  const limit = Number(params.limit);
  const page = limit + SLACK;
  const rows: SqlValue[][] = [];
  for (let offset = 0; rows.length < limit; offset += page) {
    const found = await connection.query(sql, [...values, page, offset]);
    for (const row of found.rows) {
      if (rows.length < limit && isAddress(row)) {
        rows.push(shaped(row));
      }
    }
    if (found.rows.length < page) break;
  }
  return { columns: COLUMNS, rows };
}

/**
 * Whether a ranked row's destination is an address. Only an HTTP Host can
 * look like one and not be; squid's own test, which knows the odd forms
 * browsers accept (0x7f.1), is trusted.
 */
function isAddress(row: SqlValue[]): boolean {
  const [, destination, , http, , proxy] = row;
  return isIP(String(destination)) !== 0 || Number(http) === 0 ||
    Number(proxy) > 0;
}

/** A ranked row with the logs it came from named after the pair. */
function shaped(row: SqlValue[]): SqlValue[] {
  const [source, destination, hits, http, tls, proxy, ...rest] = row;
  const seenIn = [
    Number(http) > 0 ? "zeek_http" : "",
    Number(tls) > 0 ? "zeek_ssl" : "",
    Number(proxy) > 0 ? "squid" : "",
  ].filter((log) => log !== "").join(" ");
  return [source, destination, seenIn, hits, http, tls, proxy, ...rest];
}
