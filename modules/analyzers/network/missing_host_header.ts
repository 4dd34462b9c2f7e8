/**
 * HTTP requests without a Host header, per source and destination.
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

export const aid = "missing_host_header";
export const name = "HTTP requests without a Host header";
export const desc =
  "Ranks source, destination and port triples by the HTTP requests " +
  "(zeek_http rows with a method) that carried no Host header or an " +
  "empty one, with how many of them claimed HTTP/1.1, the distinct URIs " +
  "and user agents, and first and last seen. Every HTTP/1.1 client must " +
  "send Host (RFC 9112, section 3.2) and every browser does, whatever " +
  "the version; a hand-written implant, a tool speaking HTTP on a raw " +
  "socket, or a tunnel dressed as HTTP often forgets it. False " +
  "positives: old HTTP/1.0 clients and embedded devices, health checks " +
  "of load balancers, and scanners probing servers. There is no " +
  "threshold: RITA v5 raises the score of any connection with a missing " +
  "Host header (missing_host_count_score_increase), and so one request " +
  "is enough here.";

export const hypothesis =
  "Malware and attackers' tools that build HTTP requests themselves " +
  "leave out headers every real client sends, Host first of all.";

export const mitre = ["T1071.001", "T1095"];

export const falsePositives =
  "Old HTTP/1.0 clients, embedded devices, load-balancer health checks " +
  "and scanners. Requests that claim HTTP/1.1 and still lack Host, from " +
  "an inside host to an outside one, deserve the first look.";

export const tables = ["zeek_http"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

/**
 * A row without a method is a response Zeek saw without its request, not
 * a request without a Host, and is left out.
 */
const QUERY = `
SELECT id_orig_h AS source, id_resp_h AS destination, id_resp_p AS port,
       COUNT(*) AS requests,
       SUM(CASE WHEN version = '1.1' THEN 1 ELSE 0 END) AS http11_requests,
       COUNT(DISTINCT uri) AS uris, COUNT(DISTINCT user_agent) AS user_agents,
       MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM zeek_http
WHERE method IS NOT NULL AND (host IS NULL OR TRIM(host) = '')
  AND id_orig_h IS NOT NULL AND id_resp_h IS NOT NULL
  AND id_resp_p IS NOT NULL AND %WINDOW%
GROUP BY id_orig_h, id_resp_h, id_resp_p
ORDER BY requests DESC, http11_requests DESC, source, destination, port
LIMIT ?`;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("ts", params);
  return await connection.query(
    QUERY.replace("%WINDOW%", window.sql),
    [...window.params, params.limit],
  );
}
