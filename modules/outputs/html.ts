/**
 * The result as a standalone HTML report: its title, its notes, a chart
 * when one suits it, and every row in a table. The page holds everything
 * it shows (inline style, inline SVG) and loads nothing, so it opens in any
 * browser and can be attached to a ticket.
 *
 * Log text is attacker-controlled, so every value is escaped, and the page
 * forbids scripts through its Content-Security-Policy as well: a value that
 * slipped through would still not run.
 *
 * @module
 */

import {
  escapeHtml,
  notesHtml,
  rowCount,
  TABLE_END,
  tableHead,
  tableRow,
} from "../../engine/display.ts";
import { messageOf, UsageError } from "../../engine/errors.ts";
import type { OutputOptions, Result } from "../../engine/types.ts";
import { ChunkWriter } from "./_format.ts";

export const aid = "html";
export const name = "HTML report";
export const desc = "A standalone HTML page with the title, the notes, a " +
  "chart when one suits the result and every row, escaped; it loads " +
  "nothing, to open in a browser or attach to a ticket.";

/** Shown when a result has no title. */
const UNTITLED = "Gummer result";

/** No scripts, no fetches: only the page's own style and inline images. */
const POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1b1b1b; }
h1 { font-size: 1.4em; margin: 0 0 0.5em; }
.gummer-notes { background: #fff8e1; border-left: 4px solid #f2b600;
  padding: 0.5em 0.5em 0.5em 2em; }
.gummer-chart { margin: 1em 0; }
.gummer-no-chart { color: #555; font-style: italic; }
table { border-collapse: collapse; font: 13px ui-monospace, monospace; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left;
  vertical-align: top; white-space: pre-wrap; word-break: break-all; }
th { background: #f3f3f3; position: sticky; top: 0; }
tbody tr:nth-child(even) { background: #fafafa; }
.gummer-count { color: #555; }
`;

/** Writes the page: head, title, notes, chart, table, row count. */
export async function launch(
  result: Result,
  options: OutputOptions,
): Promise<void> {
  const title = escapeHtml(result.title ?? UNTITLED);
  const out = new ChunkWriter(options.write);
  await out.add(
    "<!DOCTYPE html>\n" +
      '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
      `<meta http-equiv="Content-Security-Policy" content="${POLICY}">\n` +
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
      '<meta name="generator" content="Gummer">\n' +
      `<title>${title}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
      `<h1>${title}</h1>\n`,
  );
  await out.add(notesHtml(result.notes));
  await out.add(await chartHtml(result));

  await out.add(tableHead(result.columns));
  for (const row of result.rows) await out.add(tableRow(result.columns, row));
  await out.add(TABLE_END);
  await out.add(
    `<p class="gummer-count">${rowCount(result.rows.length)}</p>\n` +
      "</body>\n</html>\n",
  );
  await out.flush();
}

/**
 * The chart `chart` picks for the result, or a line saying why there is
 * none. The charts are loaded on first use: Plot and its DOM take about
 * 90 ms to load, which every other run of the command line is spared.
 */
async function chartHtml(result: Result): Promise<string> {
  const { chart } = await import("../../engine/charts.ts");
  try {
    return `${chart(result).html}\n`;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return `<p class="gummer-no-chart">No chart: ${
      escapeHtml(messageOf(error))
    }</p>\n`;
  }
}
