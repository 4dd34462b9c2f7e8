/**
 * The result as one JSON document: an array with an object per row, keyed
 * by column name, for tools that read a whole file at once.
 *
 * @module
 */

import type { OutputOptions, Result } from "../../engine/types.ts";
import { ChunkWriter, jsonText, rowObject, uniqueKeys } from "./_format.ts";

export const aid = "json";
export const name = "JSON array";
export const desc = "An indented JSON array with one object per row, keyed " +
  "by column name; big integers beyond a double's precision become strings.";

/** Writes the array, a row at a time, ending with a newline. */
export async function launch(
  result: Result,
  options: OutputOptions,
): Promise<void> {
  if (result.rows.length === 0) {
    await options.write("[]\n");
    return;
  }

  // JSON escapes newlines inside strings, so every newline of a row's text
  // is layout: indenting them gives what JSON.stringify(rows, null, 2)
  // gives, without building the whole document at once.
  const keys = uniqueKeys(result.columns);
  const out = new ChunkWriter(options.write);
  for (const [i, row] of result.rows.entries()) {
    const object = jsonText(rowObject(keys, row), 2).replaceAll("\n", "\n  ");
    await out.add((i === 0 ? "[\n  " : ",\n  ") + object);
  }
  await out.add("\n]\n");
  await out.flush();
}
