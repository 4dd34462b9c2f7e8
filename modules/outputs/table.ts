/**
 * The default output: a plain-text table for a hunter at a terminal.
 *
 * Every control character in a value or column name is spelled out (`\x1b`,
 * `\n`), so log text cannot drive the terminal. When the terminal's width is
 * known, the widest columns give way first and cut values end in `…`.
 *
 * @module
 */

import type { OutputOptions, Result, SqlValue } from "../../engine/types.ts";
import { ChunkWriter, escapeControls, valueText } from "./_format.ts";

export const aid = "table";
export const name = "Terminal table";
export const desc = "Aligned columns for reading at a terminal, with control " +
  "characters shown escaped and the widest columns cut to fit its width.";

const GAP = "  ";
const CUT_MARK = "…";

/**
 * Columns are never cut below this many characters, nor below their header,
 * so that a cut value still shows enough to recognise it.
 */
const MIN_CUT_WIDTH = 8;

/** Writes the table, then a line counting the rows. */
export async function launch(
  result: Result,
  options: OutputOptions,
): Promise<void> {
  const out = new ChunkWriter(options.write);
  for (const text of tableLines(result, options.width)) await out.add(text);
  await out.flush();
}

/**
 * The table's lines, each with its end of line: the header, the dashes,
 * one line per row and the count. Fits `width` columns when given.
 */
export function* tableLines(
  result: Result,
  width?: number,
): Generator<string> {
  const header = result.columns.map(escapeControls);
  const body = result.rows.map((row) =>
    result.columns.map((_, i) => cellText(row[i] ?? null))
  );
  const rightAligned = result.columns.map((_, i) =>
    isNumericColumn(result.rows, i)
  );

  // A loop, not Math.max(...cells): spreading a million rows into one call
  // overflows the stack.
  const natural = header.map(codePointLength);
  for (const cells of body) {
    for (const [i, text] of cells.entries()) {
      natural[i] = Math.max(natural[i], codePointLength(text));
    }
  }
  const minimum = header.map((title, i) =>
    Math.min(natural[i], Math.max(codePointLength(title), MIN_CUT_WIDTH))
  );
  const widths = fitWidths(natural, minimum, width);

  yield line(header, widths, rightAligned);
  yield line(widths.map((w) => "-".repeat(w)), widths, rightAligned);
  for (const [r, cells] of body.entries()) {
    const right = cells.map((_, i) => isNumber(result.rows[r][i]));
    yield line(cells, widths, right);
  }
  yield countLine(result.rows.length);
}

/** A value as it appears in a cell: null empty, control characters escaped. */
function cellText(value: SqlValue): string {
  return escapeControls(valueText(value));
}

function isNumber(value: SqlValue | undefined): boolean {
  return typeof value === "number" || typeof value === "bigint";
}

/**
 * A column whose values are all numbers (nulls aside) gets a right-aligned
 * header over its right-aligned values. A column of nothing but nulls is not
 * numeric: there is nothing to line the header up with.
 */
function isNumericColumn(rows: SqlValue[][], column: number): boolean {
  const values = rows.map((row) => row[column] ?? null)
    .filter((value) => value !== null);
  return values.length > 0 && values.every(isNumber);
}

/**
 * Shrinks columns until the table fits `width`, one character at a time off
 * the widest column that is still above its minimum. Ties go to the
 * rightmost column: the leftmost ones usually name the row (a client_ip, a
 * host) and should stay whole the longest. When even the minimums do not
 * fit, they are used and the lines run over.
 */
function fitWidths(
  natural: number[],
  minimum: number[],
  width: number | undefined,
): number[] {
  const widths = [...natural];
  if (width === undefined) return widths;

  const gaps = GAP.length * Math.max(0, widths.length - 1);
  let excess = widths.reduce((sum, w) => sum + w, gaps) - width;
  while (excess > 0) {
    let widest = -1;
    for (const [i, w] of widths.entries()) {
      if (w > minimum[i] && (widest < 0 || w >= widths[widest])) widest = i;
    }
    if (widest < 0) break;
    widths[widest]--;
    excess--;
  }
  return widths;
}

/** One line of the table, without trailing spaces. */
function line(cells: string[], widths: number[], right: boolean[]): string {
  const padded = cells.map((text, i) => fit(text, widths[i], right[i])).join(
    GAP,
  );

  // A loop rather than / +$/, which backtracks through every run of padding
  // and grows with the square of a wide table's line length.
  let end = padded.length;
  while (end > 0 && padded[end - 1] === " ") end--;
  return padded.slice(0, end) + "\n";
}

/** Text cut or padded to exactly `width` code points. */
function fit(text: string, width: number, right: boolean): string {
  const length = codePointLength(text);
  if (length > width) {
    return Array.from(text).slice(0, width - 1).join("") + CUT_MARK;
  }
  const padding = " ".repeat(width - length);
  return right ? padding + text : text + padding;
}

/**
 * The columns a text takes, counted as code points so that a cut never
 * splits a surrogate pair.
 *
 * TODO(gummer): wide East Asian characters and emoji take two terminal
 * columns but count as one here, and combining marks count as one but take
 * none, so such tables misalign and may run past the width. Measure with the
 * Unicode East Asian Width table once hunters meet such logs.
 */
function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

function countLine(count: number): string {
  return `(${count} ${count === 1 ? "row" : "rows"})\n`;
}
