/**
 * From Eric Cole's "Advanced Persistent Threat": the largest requests.
 *
 * @module
 */

import { GummerError } from "../../../engine/errors.ts";
import { timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
} from "../../../engine/types.ts";

export const aid = "apt_size";
export const name = "Largest requests (possible exfiltration)";
export const desc =
  "Ranks single requests by the bytes the client sent (the request size), " +
  "largest first. Large uploads, above all to a destination nobody else " +
  "uses, suggest data leaving the network. Needs Squid's extended log " +
  "format; the native format does not record request sizes. False " +
  "positives: backups and sync clients (cloud drives), mail with " +
  "attachments, video uploads and software that reports crash dumps.";

export const hypothesis =
  "Data stolen in bulk leaves in large requests: the bytes a client sends " +
  "in one request stand out against browsing, which mostly downloads.";

export const mitre = ["T1048", "T1041", "T1567"];

export const falsePositives =
  "Backups and sync clients (cloud drives), mail with attachments, video " +
  "uploads, crash-dump reporting. Destinations nobody else uses matter most.";

export const tables = ["squid"];

export const params: ParamSpecs = { since: SINCE, until: UNTIL, limit: LIMIT };

const QUERY = `
SELECT time, client_ip, method, host, url, request_size, http_status
FROM squid
WHERE request_size IS NOT NULL AND %WINDOW%
ORDER BY request_size DESC, time, client_ip, url
LIMIT ?`;

const COVERAGE = `
SELECT COUNT(*) AS total_rows, COUNT(request_size) AS sized_rows FROM squid
WHERE %WINDOW%`;

const NATIVE_ONLY =
  "apt_size needs request sizes, which only Squid's extended log format " +
  "records, and none of the squid rows have one. Add to squid.conf: " +
  "logformat gummer %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un " +
  "%Sh/%<a %mt, set access_log to use it, and collect the new logs.";

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const coverage = await connection.query(
    COVERAGE.replace("%WINDOW%", window.sql),
    window.params,
  );
  const [total, sized] = coverage.rows[0].map(Number);
  if (total > 0 && sized === 0) throw new GummerError(NATIVE_ONLY);

  const result = await connection.query(
    QUERY.replace("%WINDOW%", window.sql),
    [...window.params, params.limit],
  );
  if (sized < total) {
    result.notes = [
      `${total - sized} of ${total} squid rows come from native-format logs ` +
      "without request sizes and are not ranked.",
    ];
  }
  return result;
}
