/**
 * How a result shows itself in a Jupyter notebook: an HTML table with the
 * column names, the rows and how many there are, and the terminal table as
 * the plain-text form.
 *
 * The Deno kernel shows any object with a `Symbol.for("Jupyter.display")`
 * method as the MIME bundle that method returns. The property is added
 * non-enumerable, so that deepEqual, JSON and the outputs never see it.
 * Library code never touches `Deno.jupyter`, which throws outside the
 * kernel.
 *
 * @module
 */

import { escapeControls, valueText } from "../modules/outputs/_format.ts";
import * as table from "../modules/outputs/table.ts";
import type { Result, SqlValue } from "./types.ts";

/** The key the Deno kernel looks for on a value it is to display. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** The key Deno's console and REPL look for to print an object their way. */
const DENO_INSPECT = Symbol.for("Deno.customInspect");

/** Outputs by MIME type, as a notebook cell shows them. */
export type MimeBundle = Record<string, string>;

/** Rows a notebook table shows before it says how many it left out. */
export const MAX_ROWS = 100;

/** Options of `displayable`. */
export interface DisplayOptions {
  /** Rows shown; the rest are counted, not shown. Default 100. */
  maxRows?: number;
}

/** A result that a notebook cell shows as a table. */
export type DisplayableResult<R extends Result = Result> = R & {
  /** The MIME bundle of the result: `text/html` and `text/plain`. */
  [JUPYTER_DISPLAY](): Promise<MimeBundle>;
};

/**
 * Makes a result show itself as a table in a Jupyter notebook cell, and
 * returns the same object. The table shows the first `maxRows` rows and
 * says how many there are; the result's title and notes come with it.
 * Log text is escaped: a value can never become markup.
 *
 * @example
 * ```ts
 * import { displayable, JUPYTER_DISPLAY } from "./display.ts";
 *
 * const result = displayable({
 *   columns: ["host", "hits"],
 *   rows: [["<b>203.0.113.9</b>", 12]],
 * });
 * // What the notebook calls; JUPYTER_DISPLAY is Symbol.for("Jupyter.display").
 * const bundle = await result[JUPYTER_DISPLAY]();
 * if (!bundle["text/html"].includes("&lt;b&gt;203.0.113.9")) throw 0;
 * if (JSON.stringify(result).includes("Jupyter")) throw 0;
 * ```
 */
export function displayable<R extends Result>(
  result: R,
  options: DisplayOptions = {},
): DisplayableResult<R> {
  const maxRows = options.maxRows ?? MAX_ROWS;
  Object.defineProperty(result, JUPYTER_DISPLAY, {
    value: () => displayBundle(result, maxRows),
    enumerable: false,
    configurable: true,
    writable: true,
  });
  // console.log in a terminal (and Deno's REPL) prints the same table.
  Object.defineProperty(result, DENO_INSPECT, {
    value: () => plainText(result, maxRows).trimEnd(),
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return result as DisplayableResult<R>;
}

/** The bundle of a result, with at most `maxRows` rows shown. */
function displayBundle(
  result: Result,
  maxRows: number,
): Promise<MimeBundle> {
  return Promise.resolve({
    "text/html": resultHtml(result, { maxRows }),
    "text/plain": plainText(result, maxRows),
  });
}

/**
 * The terminal table of the first rows. A cut table ends with how many rows
 * there are in all rather than how many it shows; notes follow it.
 */
function plainText(result: Result, maxRows: number): string {
  const shown = cut(result, maxRows);
  let text = [...table.tableLines(shown)].join("");
  if (shown.rows.length < result.rows.length) {
    const count = text.lastIndexOf("(");
    text = text.slice(0, count) + `(${shownOf(shown, result)})\n`;
  }
  for (const note of result.notes ?? []) {
    text += `Note: ${escapeControls(note)}\n`;
  }
  return text;
}

/**
 * The result as an HTML fragment: its title, its notes, a table of at most
 * `maxRows` rows, and a line with the number of rows. Every text is
 * escaped, and control characters are spelled out as in the terminal table.
 */
export function resultHtml(
  result: Result,
  options: { maxRows?: number; title?: boolean } = {},
): string {
  const shown = cut(result, options.maxRows ?? MAX_ROWS);
  const parts = ['<div class="gummer-result">\n'];
  if (options.title !== false && result.title) {
    parts.push(`<p class="gummer-title">${escapeHtml(result.title)}</p>\n`);
  }
  parts.push(notesHtml(result.notes));

  parts.push(tableHead(result.columns));
  for (const row of shown.rows) parts.push(tableRow(result.columns, row));
  parts.push(TABLE_END);

  const count = shown.rows.length < result.rows.length
    ? shownOf(shown, result)
    : rowCount(result.rows.length);
  parts.push(`<p class="gummer-count">${count}</p>\n</div>\n`);
  return parts.join("");
}

/** The notes as a list, or nothing when there are none. */
export function notesHtml(notes: readonly string[] | undefined): string {
  if (!notes || notes.length === 0) return "";
  const items = notes.map((note) => `<li>${escapeHtml(note)}</li>\n`);
  return `<ul class="gummer-notes">\n${items.join("")}</ul>\n`;
}

/** The table's start and its header row. */
export function tableHead(columns: readonly string[]): string {
  const cells = columns.map((column) => `<th>${escapeHtml(column)}</th>`);
  return `<table>\n<thead>\n<tr>${cells.join("")}</tr>\n</thead>\n<tbody>\n`;
}

/**
 * One row of the table. Numbers are right-aligned, as in the terminal
 * table, so that their digits line up.
 */
export function tableRow(
  columns: readonly string[],
  row: readonly SqlValue[],
): string {
  const cells = columns.map((_, i) => {
    const value = row[i] ?? null;
    const text = escapeHtml(valueText(value));
    return isNumber(value)
      ? `<td style="text-align: right">${text}</td>`
      : `<td>${text}</td>`;
  });
  return `<tr>${cells.join("")}</tr>\n`;
}

/** What closes the table that `tableHead` opened. */
export const TABLE_END = "</tbody>\n</table>\n";

/** "1 row", "2,345 rows". */
export function rowCount(count: number): string {
  return `${formatCount(count)} ${count === 1 ? "row" : "rows"}`;
}

/** A count with thousands separated by commas, whatever the locale. */
export function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text made safe for HTML, in element content and in quoted attributes
 * alike: the five characters that could open markup or close a quote
 * become entities, and control characters are spelled out (`\x1b`), as the
 * terminal table spells them, since most are not allowed in HTML at all.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./display.ts";
 * if (escapeHtml('<script>"x"</script>') !== "&lt;script&gt;&quot;x&quot;&lt;/script&gt;") throw 0;
 * ```
 */
export function escapeHtml(text: string): string {
  return escapeControls(text).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

function isNumber(value: SqlValue): boolean {
  return typeof value === "number" || typeof value === "bigint";
}

function cut(result: Result, maxRows: number): Result {
  if (result.rows.length <= maxRows) return result;
  return { ...result, rows: result.rows.slice(0, Math.max(0, maxRows)) };
}

function shownOf(shown: Result, all: Result): string {
  return `showing ${formatCount(shown.rows.length)} of ` +
    rowCount(all.rows.length);
}
