/**
 * From Eric Cole's "Advanced Persistent Threat": the longest connections.
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

export const aid = "apt_time";
export const name = "Longest connections per client and destination";
export const desc =
  "Ranks client and destination pairs by their longest single connection, " +
  "with the number of connections and their total time. A tunnel held open " +
  "for hours is how an attacker keeps an interactive channel (remote shell, " +
  "VPN over HTTPS) through a proxy. False positives: streaming media, video " +
  "calls, chat and push services, and long downloads; these usually go to " +
  "well-known domains rather than to bare addresses.";

export const hypothesis =
  "An attacker keeps an interactive channel (a remote shell, a VPN over " +
  "HTTPS) open through the proxy for hours, longer than browsing does.";

export const mitre = ["T1071.001", "T1572", "T1090"];

export const falsePositives =
  "Streaming media, video calls, chat and push services, long downloads; " +
  "these usually go to well-known domains rather than to bare addresses.";

export const tables = ["squid"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

const QUERY = `
SELECT client_ip, host, MAX(duration_ms) AS longest_ms,
       SUM(duration_ms) AS total_ms, COUNT(*) AS connections
FROM squid
WHERE host IS NOT NULL AND %WINDOW%
GROUP BY client_ip, host
ORDER BY longest_ms DESC, total_ms DESC, client_ip, host
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
