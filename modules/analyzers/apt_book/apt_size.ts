/**
 * From Eric Cole's "Advanced Persistent Threat": the largest requests.
 *
 * @module
 */

import { GummerError } from "../../../engine/errors.ts";
import { LIMIT } from "../../../engine/params.ts";
import type { Connection, ParamSpecs, Result } from "../../../engine/types.ts";

export const aid = "apt_size";
export const name = "Largest requests (possible exfiltration)";
export const desc =
  "Ranks single requests by the bytes the client sent (the request size), " +
  "largest first. Large uploads, above all to a destination nobody else " +
  "uses, suggest data leaving the network. Needs Squid's extended log " +
  "format; the native format does not record request sizes. False " +
  "positives: backups and sync clients (cloud drives), mail with " +
  "attachments, video uploads and software that reports crash dumps.";

export const tables = ["squid"];

export const params: ParamSpecs = { limit: LIMIT };

const QUERY = `
SELECT time, client_ip, method, host, url, request_size, http_status
FROM squid
WHERE request_size IS NOT NULL
ORDER BY request_size DESC, time, client_ip, url
LIMIT ?`;

const COVERAGE = `
SELECT COUNT(*) AS total_rows, COUNT(request_size) AS sized_rows FROM squid`;

const NATIVE_ONLY =
  "apt_size needs request sizes, which only Squid's extended log format " +
  "records, and none of the squid rows have one. Add to squid.conf: " +
  "logformat gummer %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un " +
  "%Sh/%<a %mt, set access_log to use it, and collect the new logs.";

export async function launch(
  connection: Connection,
  params: { limit: number },
): Promise<Result> {
  const coverage = await connection.query(COVERAGE);
  const [total, sized] = coverage.rows[0].map(Number);
  if (total > 0 && sized === 0) throw new GummerError(NATIVE_ONLY);

  const result = await connection.query(QUERY, [params.limit]);
  if (sized < total) {
    result.notes = [
      `${total - sized} of ${total} squid rows come from native-format logs ` +
      "without request sizes and are not ranked.",
    ];
  }
  return result;
}
