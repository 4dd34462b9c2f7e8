/**
 * From Eric Cole's "Advanced Persistent Threat": destinations reached by IP
 * address rather than by name.
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

export const aid = "apt_ips";
export const name = "Destinations reached by IP address";
export const desc =
  "Ranks the hosts that clients reached by IP address instead of a domain " +
  "name, by hits, with the number of clients and first and last seen. " +
  "Malware often calls its command and control by a hard-coded address so " +
  "that no DNS lookup gives it away; one client hitting one address all " +
  "day is the classic sign. False positives: connectivity checks, software " +
  "updates and CDNs fetched by address, internal servers without DNS names, " +
  "and tunnels (CONNECT) to cloud addresses.";

export const hypothesis =
  "Implants reach their command and control by a hard-coded IP address, " +
  "so proxy requests to IP literals, repeated from one client, point at " +
  "them.";

export const mitre = ["T1071.001", "T1090"];

export const falsePositives =
  "Connectivity checks, updates and CDNs fetched by address, internal " +
  "servers without DNS names, CONNECT tunnels to cloud addresses. Look " +
  "for addresses that few clients use, outside your cloud providers.";

export const tables = ["squid"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

const QUERY = `
SELECT host, COUNT(*) AS hits, COUNT(DISTINCT client_ip) AS clients,
       MIN(time) AS first_seen, MAX(time) AS last_seen
FROM squid
WHERE host_is_ip = 1 AND %WINDOW%
GROUP BY host
ORDER BY hits DESC, clients DESC, host
LIMIT ?`;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  return await connection.query(
    QUERY.replace("%WINDOW%", window.sql),
    [...window.params, params.limit],
  );
}
