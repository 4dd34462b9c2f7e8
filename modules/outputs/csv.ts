/**
 * The result as CSV (RFC 4180), for spreadsheets and other tools.
 *
 * Values are written verbatim, control characters included, so that the
 * file holds exactly what the database held. That also means CSV sent to a
 * terminal reaches it raw; the table output is the one made for terminals.
 *
 * @module
 */

import type { OutputOptions, Result, SqlValue } from "../../engine/types.ts";
import { ChunkWriter, valueText } from "./_format.ts";

export const aid = "csv";
export const name = "CSV";
export const desc = "Comma-separated values with a header row and CRLF line " +
  "ends (RFC 4180), values written verbatim, for spreadsheets.";

const LINE_END = "\r\n";

/**
 * Fields that must be quoted: those holding a separator, a quote or a line
 * break, and those with a space at either end, which many readers would
 * otherwise trim.
 */
const NEEDS_QUOTES = /[",\r\n]|^ | $/;

/** Writes the header row, then a row per result row. */
export async function launch(
  result: Result,
  options: OutputOptions,
): Promise<void> {
  const out = new ChunkWriter(options.write);
  await out.add(result.columns.map(field).join(",") + LINE_END);
  for (const row of result.rows) {
    const fields = result.columns.map((_, i) => field(row[i] ?? null));
    await out.add(fields.join(",") + LINE_END);
  }
  await out.flush();
}

/**
 * A value as a CSV field; null is an empty field.
 *
 * TODO(gummer): a value starting with `=`, `+`, `-` or `@` is a formula to a
 * spreadsheet (CSV injection) and is left for the spreadsheet to guard. Add
 * an opt-in flag that prefixes such fields with `'` if hunters open
 * attacker-controlled CSV in Excel or LibreOffice.
 */
function field(value: SqlValue): string {
  const text = valueText(value);
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.replaceAll('"', '""')}"`;
}
