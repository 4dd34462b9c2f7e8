/**
 * The result as newline-delimited JSON: one compact object per row and
 * line, for jq, log shippers and anything that reads a stream.
 *
 * @module
 */

import type { OutputOptions, Result } from "../../engine/types.ts";
import { ChunkWriter, jsonText, rowObject, uniqueKeys } from "./_format.ts";

export const aid = "ndjson";
export const name = "Newline-delimited JSON";
export const desc = "One compact JSON object per row and line, keyed by " +
  "column name, for jq and other tools that read a stream.";

/** Writes a line per row; no rows write nothing at all. */
export async function launch(
  result: Result,
  options: OutputOptions,
): Promise<void> {
  const keys = uniqueKeys(result.columns);
  const out = new ChunkWriter(options.write);
  for (const row of result.rows) {
    await out.add(jsonText(rowObject(keys, row)) + "\n");
  }
  await out.flush();
}
