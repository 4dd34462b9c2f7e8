/**
 * The HTML report and the notebook table, both made of the same escaped
 * rows: exact page structure worked out by hand from the rules of
 * modules/outputs/html.ts and engine/display.ts, hostile log text, and the
 * command line writing a report of generated Squid logs.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { chart } from "../engine/charts.ts";
import { displayable } from "../engine/display.ts";
import type { Result } from "../engine/types.ts";
import * as html from "../modules/outputs/html.ts";
import * as table from "../modules/outputs/table.ts";
import { PLANTED, squidSample } from "../tools/squid_sample.ts";
import { ROOT, tempTree } from "./helpers/temp.ts";

/** Runs an output and returns everything it wrote, and each write. */
async function render(
  output: { launch: typeof html.launch },
  result: Result,
): Promise<{ text: string; writes: string[] }> {
  const writes: string[] = [];
  const write = (text: string) => Promise.resolve(void writes.push(text));
  await output.launch(result, { write });
  return { text: writes.join(""), writes };
}

const display = Symbol.for("Jupyter.display");

/** The bundle a notebook cell would show for a value. */
async function bundleOf(value: object): Promise<Record<string, string>> {
  const method = (value as Record<symbol, () => unknown>)[display];
  assert.equal(typeof method, "function");
  return await method() as Record<string, string>;
}

/** The rows of the page's table, each as the text of its cells. */
function tableRows(page: string): string[][] {
  const body = /<tbody>\n(.*?)<\/tbody>/s.exec(page)?.[1] ?? "";
  return body.split("\n").filter(Boolean).map((row) =>
    [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((cell) => cell[1])
  );
}

/** Element names a page holds. */
function elementNames(page: string): Set<string> {
  return new Set(
    [...page.matchAll(/<([a-zA-Z][\w:-]*)/g)].map((m) => m[1].toLowerCase()),
  );
}

const RANKING: Result = {
  title: "apt_ips",
  notes: ["No table zeek_conn here."],
  columns: ["host", "hits", "first_seen"],
  rows: [
    ["203.0.113.9", 12, "2026-11-02 08:15:00.000"],
    ["198.51.100.7", 3n, null],
  ],
};

const HEAD = "<!DOCTYPE html>\n" +
  '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
  '<meta http-equiv="Content-Security-Policy" content="default-src ' +
  "'none'; style-src 'unsafe-inline'; img-src data:\">\n" +
  '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
  '<meta name="generator" content="Gummer">\n';

// the report

Deno.test("html writes a whole page: title, notes, chart, every row", async () => {
  const { text } = await render(html, RANKING);
  assert.ok(text.startsWith(HEAD + "<title>apt_ips</title>\n<style>"));
  const body = text.slice(text.indexOf("</head>"));
  assert.equal(
    body,
    "</head>\n<body>\n" +
      "<h1>apt_ips</h1>\n" +
      '<ul class="gummer-notes">\n<li>No table zeek_conn here.</li>\n</ul>\n' +
      `${chart(RANKING).html}\n` +
      "<table>\n<thead>\n" +
      "<tr><th>host</th><th>hits</th><th>first_seen</th></tr>\n" +
      "</thead>\n<tbody>\n" +
      '<tr><td>203.0.113.9</td><td style="text-align: right">12</td>' +
      "<td>2026-11-02 08:15:00.000</td></tr>\n" +
      '<tr><td>198.51.100.7</td><td style="text-align: right">3</td>' +
      "<td></td></tr>\n" +
      "</tbody>\n</table>\n" +
      '<p class="gummer-count">2 rows</p>\n' +
      "</body>\n</html>\n",
  );
  // The chart is the ranking's bars, one per row.
  assert.equal(text.match(/<rect /g)?.length, 2);
});

Deno.test("html loads nothing: no scripts, links or outside addresses", async () => {
  const { text } = await render(html, RANKING);
  assert.deepEqual(
    [...elementNames(text)].sort(),
    [
      "body",
      "div",
      "g",
      "h1",
      "head",
      "html",
      "li",
      "line",
      "meta",
      "p",
      "path",
      "rect",
      "style",
      "svg",
      "table",
      "tbody",
      "td",
      "text",
      "th",
      "thead",
      "title",
      "tr",
      "ul",
    ],
  );
  assert.doesNotMatch(text, /\b(?:src|href)=|url\(|@import/);
});

Deno.test("html escapes hostile titles, notes, names and values", async () => {
  const hostile: Result = {
    title: "<script>alert('t')</script>",
    notes: ['<img src=x onerror="alert(1)">'],
    columns: ["<b>host</b>", "hits"],
    rows: [
      ["<script>alert(2)</script>", 1],
      ['"><svg onload=alert(3)>', 2],
      ["\x1b[31mred\x1b[0m & \u202egnp.exe", 3],
    ],
  };
  const { text } = await render(html, hostile);
  assert.doesNotMatch(text, /<script|<img|<b>|<svg onload/i);
  // deno-lint-ignore no-control-regex -- raw controls are what must not be
  assert.doesNotMatch(text, /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e]/);
  assert.ok(
    text.includes(
      "<title>&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;</title>",
    ),
  );
  assert.ok(
    text.includes(
      "<li>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</li>",
    ),
  );
  assert.ok(text.includes("<th>&lt;b&gt;host&lt;/b&gt;</th>"));
  assert.deepEqual(tableRows(text).map((cells) => cells[0]), [
    "&lt;script&gt;alert(2)&lt;/script&gt;",
    "&quot;&gt;&lt;svg onload=alert(3)&gt;",
    String.raw`\x1b[31mred\x1b[0m &amp; \u{202e}gnp.exe`,
  ]);
  // The only svg element is the chart's own, with no attribute from a row.
  assert.equal(text.match(/<svg/g)?.length, 1);
});

Deno.test("html says why there is no chart, and keeps every row", async () => {
  const rows = Array.from({ length: 250 }, (_, i) => [`10.0.${i}.1`, "curl"]);
  const agents: Result = { columns: ["client", "agent"], rows };
  const { text, writes } = await render(html, agents);
  assert.ok(text.includes(
    '<p class="gummer-no-chart">No chart: Cannot chart the result (columns: ' +
      "client, agent): a chart needs a column of time stamps (for a " +
      "timeline), or a text column and a numeric column (for top bars).</p>\n",
  ));
  assert.ok(text.includes("<title>Gummer result</title>"));
  assert.equal(tableRows(text).length, 250);
  assert.deepEqual(tableRows(text)[249], ["10.0.249.1", "curl"]);
  assert.ok(
    text.endsWith('<p class="gummer-count">250 rows</p>\n</body>\n</html>\n'),
  );
  assert.equal(writes.length, 1, "a small page is one write");
});

Deno.test("html of many rows is written in chunks", async () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => [`host-${i}`, i]);
  const { text, writes } = await render(html, { columns: ["host", "n"], rows });
  assert.ok(writes.length > 1 && writes.length < 50, `${writes.length}`);
  assert.equal(tableRows(text).length, 20_000);
  assert.match(text, /20,000 rows<\/p>/);
});

// the notebook table

Deno.test("displayable adds a display method that nothing else sees", async () => {
  const plain = structuredClone(RANKING);
  const shown = displayable(structuredClone(RANKING));
  assert.deepEqual(shown, plain);
  // deepStrictEqual compares enumerable symbol keys too: this one is not.
  const enumerable = Reflect.ownKeys(shown).filter((key) =>
    Object.getOwnPropertyDescriptor(shown, key)?.enumerable
  );
  assert.deepEqual(enumerable, Reflect.ownKeys(plain));
  assert.equal(display in { ...shown }, false);
  assert.equal(
    Object.getOwnPropertyDescriptor(shown, display)?.enumerable,
    false,
  );

  const bundle = await bundleOf(shown);
  assert.deepEqual(Object.keys(bundle), ["text/html", "text/plain"]);
  assert.equal(
    bundle["text/html"],
    '<div class="gummer-result">\n' +
      '<p class="gummer-title">apt_ips</p>\n' +
      '<ul class="gummer-notes">\n<li>No table zeek_conn here.</li>\n</ul>\n' +
      "<table>\n<thead>\n" +
      "<tr><th>host</th><th>hits</th><th>first_seen</th></tr>\n" +
      "</thead>\n<tbody>\n" +
      '<tr><td>203.0.113.9</td><td style="text-align: right">12</td>' +
      "<td>2026-11-02 08:15:00.000</td></tr>\n" +
      '<tr><td>198.51.100.7</td><td style="text-align: right">3</td>' +
      "<td></td></tr>\n" +
      "</tbody>\n</table>\n" +
      '<p class="gummer-count">2 rows</p>\n</div>\n',
  );
  const terminal = (await render(table, RANKING)).text;
  assert.equal(
    bundle["text/plain"],
    terminal + "Note: No table zeek_conn here.\n",
  );
});

Deno.test("a displayable result prints as its table in a terminal", async () => {
  const shown = displayable(structuredClone(RANKING));
  const terminal = (await render(table, RANKING)).text;
  assert.equal(
    Deno.inspect(shown),
    terminal + "Note: No table zeek_conn here.",
  );
  // Only the display knows: the plain result still inspects as an object.
  assert.match(
    Deno.inspect(structuredClone(RANKING)),
    /^\{\s*title: "apt_ips"/,
  );
});

Deno.test("the notebook table shows 100 rows and says how many there are", async () => {
  const rows = Array.from({ length: 2345 }, (_, i) => [`h${i}`, i]);
  const big = displayable({ columns: ["host", "n"], rows });
  const bundle = await bundleOf(big);
  const shown = tableRows(bundle["text/html"]);
  assert.equal(shown.length, 100);
  assert.deepEqual(shown[99], ["h99", "99"]);
  assert.ok(bundle["text/html"].endsWith(
    '<p class="gummer-count">showing 100 of 2,345 rows</p>\n</div>\n',
  ));
  const lines = bundle["text/plain"].split("\n");
  assert.equal(lines.length, 2 + 100 + 1 + 1);
  assert.equal(lines.at(-2), "(showing 100 of 2,345 rows)");
  assert.equal(big.rows.length, 2345, "the result keeps all its rows");

  const two = await bundleOf(
    displayable({ columns: ["n"], rows: [[1], [2], [3]] }, {
      maxRows: 2,
    }),
  );
  assert.ok(two["text/html"].includes("showing 2 of 3 rows"));
  const one = await bundleOf(displayable({ columns: ["n"], rows: [[1]] }));
  assert.ok(one["text/html"].includes('<p class="gummer-count">1 row</p>'));
  assert.ok(one["text/plain"].endsWith("(1 row)\n"));
});

Deno.test("the notebook table escapes log text like the report", async () => {
  const bundle = await bundleOf(displayable({
    columns: ["url"],
    rows: [["http://x/<script>alert(1)</script>\x1b[2J"]],
  }));
  assert.ok(bundle["text/html"].includes(
    String.raw`<td>http://x/&lt;script&gt;alert(1)&lt;/script&gt;\x1b[2J</td>`,
  ));
  assert.doesNotMatch(bundle["text/html"], /<script/);
  // deno-lint-ignore no-control-regex -- no ANSI reaches the plain text
  assert.doesNotMatch(bundle["text/plain"], /\x1b/);
});

// the command line

Deno.test("gummer -a apt_ips -o html --out report.html on generated logs", async () => {
  const lines = [...squidSample({ days: 1, clients: 12 })];
  const cwd = tempTree({ "access.log": lines.join("\n") + "\n" });
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
    NO_COLOR: "1",
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  const args = [
    "run",
    "-A",
    "--quiet",
    join(ROOT, "gummer.ts"),
    ...["-q", "-c", "squid", "access.log"],
    ...["-a", "apt_ips", "-o", "html", "--out", "report.html"],
  ];
  const run = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.equal(run.code, 0, decode(run.stderr));
  assert.equal(decode(run.stdout), "");
  assert.equal(decode(run.stderr), "");

  const page = Deno.readTextFileSync(join(cwd, "report.html"));
  assert.ok(page.startsWith(HEAD + "<title>apt_ips</title>"));
  assert.ok(page.includes("<h1>apt_ips</h1>\n"));
  const rows = tableRows(page);
  assert.ok(rows.length >= 3, `${rows.length} rows`);
  assert.deepEqual(rows[0].slice(0, 2), [
    PLANTED.ipBeacon.host,
    String(PLANTED.ipBeacon.hitsPerDay),
  ]);

  // One bar per row, labelled by its host, with its hits.
  const bars = /<g[^>]*aria-label="bar"[^>]*>(.*?)<\/g>/s.exec(page)?.[1];
  const tips = [...(bars ?? "").matchAll(/<title>(.*?)<\/title>/g)]
    .map((match) => match[1]);
  assert.deepEqual(tips, rows.map(([host, hits]) => `${host}: ${hits}`));
  assert.ok(page.endsWith(`${rows.length} rows</p>\n</body>\n</html>\n`));
});
