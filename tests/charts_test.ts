/**
 * The charts, read back from their SVG: one mark per bar, dot, bin or cell
 * the data calls for, at the place its value puts it, with the numbers in
 * its tooltip; hostile labels escaped; clear errors. The expected counts
 * and positions were worked out by hand from the rows of each test.
 */

import assert from "node:assert/strict";
import {
  chart,
  gapHistogram,
  heatmap,
  timeline,
  topBars,
} from "../engine/charts.ts";
import { UsageError } from "../engine/errors.ts";
import type { Result } from "../engine/types.ts";
import { ROOT } from "./helpers/temp.ts";

/** The elements of one mark's group, such as every `<rect>` of the bars. */
function marks(svg: string, mark: string, element: string): string[] {
  const group = new RegExp(`<g[^>]*aria-label="${mark}"[^>]*>(.*?)</g>`, "s")
    .exec(svg);
  if (!group) return [];
  return group[1].match(new RegExp(`<${element}[^>]*>`, "g")) ?? [];
}

/** The tooltips of one mark, in drawing order. */
function tooltips(svg: string, mark: string): string[] {
  const group = new RegExp(`<g[^>]*aria-label="${mark}"[^>]*>(.*?)</g>`, "s")
    .exec(svg);
  return [...(group?.[1] ?? "").matchAll(/<title>(.*?)<\/title>/g)]
    .map((match) => match[1]);
}

/** A number attribute of an element's tag. */
function attribute(tag: string, name: string): number {
  const match = new RegExp(` ${name}="([^"]*)"`).exec(tag);
  assert.ok(match, `${name} in ${tag}`);
  return Number(match[1]);
}

/** The texts of an axis's tick labels, in order. */
function ticks(svg: string, axis: "x" | "y"): string[] {
  const group = new RegExp(
    `<g[^>]*aria-label="${axis}-axis tick label"[^>]*>(.*?)</g>`,
    "s",
  ).exec(svg);
  return [...(group?.[1] ?? "").matchAll(/<text[^>]*>(.*?)<\/text>/g)]
    .map((match) => match[1].replace(/<[^>]+>/g, " ").trim());
}

/** The drawn heading: the first `<text>` child of the SVG itself. */
function heading(svg: string): string {
  const match = /<\/title><text [^>]*font-weight="bold"[^>]*>(.*?)<\/text>/
    .exec(svg);
  assert.ok(match, "a heading");
  return match[1];
}

/** Every element name an SVG holds. */
function elementNames(svg: string): Set<string> {
  return new Set([...svg.matchAll(/<([a-zA-Z][\w:-]*)/g)].map((m) => m[1]));
}

/** Only what Plot draws and the heading: never a script, an image... */
const SVG_ELEMENTS = new Set([
  "svg",
  "style",
  "title",
  "g",
  "path",
  "line",
  "rect",
  "circle",
  "text",
  "tspan",
]);

const stamp = (ms: number) =>
  new Date(ms).toISOString().replace("T", " ").replace("Z", "");
const START = Date.UTC(2026, 10, 2, 8);

/**
 * Runs a chart and fails if Plot warned: its warnings go to the console,
 * where library code must not write.
 */
function withoutWarnings<T>(draw: () => T): T {
  const warned: unknown[][] = [];
  // deno-lint-ignore no-console -- catching Plot's console output is the point
  const original = console.warn;
  // deno-lint-ignore no-console -- as above
  console.warn = (...args: unknown[]) => void warned.push(args);
  try {
    return draw();
  } finally {
    // deno-lint-ignore no-console -- as above
    console.warn = original;
    assert.deepEqual(warned, []);
  }
}

// topBars

const HOSTS: Result = {
  title: "apt_ips",
  columns: ["host", "hits", "clients"],
  rows: [
    ["203.0.113.9", 120, 1],
    ["198.51.100.7", 60, 4],
    ["192.0.2.1", 30n, 2],
    ["192.0.2.2", 30, 9],
  ],
};

Deno.test("topBars draws a bar per label, as long as its value", () => {
  const { svg } = withoutWarnings(() => topBars(HOSTS));
  const bars = marks(svg, "bar", "rect");
  assert.equal(bars.length, 4);

  // Bars start at the same x, and 120, 60, 30 give widths 4 : 2 : 1.
  const widths = bars.map((bar) => attribute(bar, "width"));
  assert.ok(Math.abs(widths[0] / widths[1] - 2) < 1e-9, String(widths));
  assert.ok(Math.abs(widths[1] / widths[2] - 2) < 1e-9, String(widths));
  assert.equal(new Set(bars.map((bar) => attribute(bar, "x"))).size, 1);

  // Ties (30 and 30) keep the result's order.
  assert.deepEqual(ticks(svg, "y"), [
    "203.0.113.9",
    "198.51.100.7",
    "192.0.2.1",
    "192.0.2.2",
  ]);
  assert.deepEqual(tooltips(svg, "bar"), [
    "203.0.113.9: 120",
    "198.51.100.7: 60",
    "192.0.2.1: 30",
    "192.0.2.2: 30",
  ]);
  assert.equal(heading(svg), "apt_ips: hits by host");
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<title>apt_ips: hits by host<\/title>/);
});

Deno.test("topBars adds up rows of a label, or counts them", () => {
  const raw: Result = {
    columns: ["day", "client", "bytes"],
    rows: [
      ["2026-11-02", "10.0.0.5", 100],
      ["2026-11-02", "10.0.0.6", 1000],
      ["2026-11-03", "10.0.0.5", 250],
      ["2026-11-03", "10.0.0.7", null],
      ["2026-11-04", "10.0.0.5", 50],
    ],
  };
  // Day labels look like dates: drawn as labels, and Plot is not to warn.
  const summed = withoutWarnings(() =>
    topBars(raw, { label: "client", value: "bytes", title: "Bytes out" })
  );
  assert.deepEqual(tooltips(summed.svg, "bar"), [
    "10.0.0.6: 1,000",
    "10.0.0.5: 400",
    "10.0.0.7: 0",
  ]);
  assert.equal(heading(summed.svg), "Bytes out");

  const counted = withoutWarnings(() =>
    topBars({ ...raw, columns: ["day", "client", "note"] }, {
      label: "day",
      value: undefined,
      limit: 2,
    })
  );
  // No value given: the first numeric column, "note", is used ...
  assert.deepEqual(tooltips(counted.svg, "bar"), [
    "2026-11-02: 1,100",
    "2026-11-03: 250",
  ]);
  assert.equal(heading(counted.svg), "note by day (top 2 of 3)");

  // ... and without any, rows are counted.
  const texts: Result = {
    columns: ["client"],
    rows: [["a"], ["b"], ["a"], ["a"], [null]],
  };
  const rows = topBars(texts);
  assert.deepEqual(tooltips(rows.svg, "bar"), ["a: 3", "b: 1", "(null): 1"]);
  assert.equal(heading(rows.svg), "rows by client");
});

Deno.test("hostile labels are escaped text, never markup", () => {
  const hostile: Result = {
    title: "proxy <b>hits</b>",
    columns: ["host", "hits"],
    rows: [
      ["<script>alert(1)</script>", 9],
      ['"><img src=x onerror=alert(2)>', 5],
      ["evil\x1b[2J\x00.example\u202e", 3],
      ["a&b", 1],
    ],
  };
  const charts = [
    topBars(hostile),
    timeline({
      columns: ["ts", "host"],
      rows: hostile.rows.map((row, i) => [stamp(START + i * 1000), row[0]]),
    }, { label: "host", title: "<script>x</script>" }),
  ];
  for (const { svg, html } of charts) {
    assert.deepEqual(
      [...elementNames(svg)].filter((name) => !SVG_ELEMENTS.has(name)),
      [],
    );
    assert.doesNotMatch(svg, /<script|<img|<b>/i);
    // deno-lint-ignore no-control-regex -- raw controls are what must not be
    assert.doesNotMatch(svg, /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e]/);
    assert.equal(html, `<div class="gummer-chart">${svg}</div>`);
  }
  const [bars, dots] = charts;
  assert.ok(bars.svg.includes("&lt;script&gt;alert(1)&lt;/script&gt;: 9"));
  assert.ok(bars.svg.includes('"&gt;&lt;img src=x onerror=alert(2)&gt;: 5'));
  assert.ok(bars.svg.includes(String.raw`evil\x1b[2J\x00.example\u{202e}: 3`));
  assert.ok(bars.svg.includes("a&amp;b: 1"));
  assert.equal(
    heading(bars.svg),
    "proxy &lt;b&gt;hits&lt;/b&gt;: hits by host",
  );
  assert.equal(heading(dots.svg), "&lt;script&gt;x&lt;/script&gt;");
});

Deno.test("long labels are cut beside the bar and whole in the tooltip", () => {
  const long = "a".repeat(60) + ".example";
  const { svg } = topBars({ columns: ["host", "n"], rows: [[long, 1]] });
  assert.deepEqual(ticks(svg, "y"), ["a".repeat(39) + "…"]);
  assert.deepEqual(tooltips(svg, "bar"), [`${long}: 1`]);
});

// timeline

/** Connections of two clients to one server, and one row without a time. */
const CONNECTIONS: Result = {
  title: "conn",
  columns: ["ts", "client", "server", "bytes"],
  rows: [
    ["2026-11-02 00:00:00.000", "10.0.0.5", "203.0.113.9", 100],
    ["2026-11-02 06:00:00.000", "10.0.0.6", "203.0.113.9", 200],
    ["2026-11-02 12:00:00.000", "10.0.0.5", "203.0.113.9", 300],
    [null, "10.0.0.5", "203.0.113.9", 400],
    ["2026-11-03 00:00:00.000", "10.0.0.5", "198.51.100.7", 500],
  ],
};

Deno.test("timeline draws a dot per time, placed by its time", () => {
  const { svg } = withoutWarnings(() => timeline(CONNECTIONS));
  const dots = marks(svg, "dot", "circle");
  assert.equal(dots.length, 4);

  // 0 h, 6 h, 12 h and 24 h: the gaps between the dots are 1 : 1 : 2.
  const xs = dots.map((dot) => attribute(dot, "cx"));
  assert.ok(Math.abs((xs[1] - xs[0]) - (xs[2] - xs[1])) < 1e-6, String(xs));
  assert.ok(Math.abs((xs[3] - xs[2]) - 2 * (xs[2] - xs[1])) < 1e-6);
  assert.deepEqual(tooltips(svg, "dot"), [
    "2026-11-02 00:00:00.000",
    "2026-11-02 06:00:00.000",
    "2026-11-02 12:00:00.000",
    "2026-11-03 00:00:00.000",
  ]);
  assert.equal(heading(svg), "conn: 4 times (ts)");
});

Deno.test("timeline gives each label a lane, and where keeps a pair", () => {
  const lanes = timeline(CONNECTIONS, { label: "client" });
  assert.deepEqual(ticks(lanes.svg, "y"), ["10.0.0.5", "10.0.0.6"]);
  const ys = marks(lanes.svg, "dot", "circle").map((dot) =>
    attribute(dot, "cy")
  );
  assert.equal(ys[0], ys[2]);
  assert.notEqual(ys[0], ys[1]);
  assert.equal(heading(lanes.svg), "conn: 4 times (ts), by client");

  const pair = timeline(CONNECTIONS, {
    where: { client: "10.0.0.5", server: "203.0.113.9" },
  });
  assert.deepEqual(tooltips(pair.svg, "dot"), [
    "2026-11-02 00:00:00.000",
    "2026-11-02 12:00:00.000",
  ]);
});

Deno.test("time stamps are read and drawn as UTC in any time zone", async () => {
  // The 2026-11-03 midnight tick must sit on the dot of that midnight; a
  // stamp read as local time would put the dot hours away from it.
  const code = `
    import { timeline } from "${ROOT}engine/charts.ts";
    const { svg } = timeline({ columns: ["ts"], rows: [
      ["2026-11-02 00:00:00.000"], ["2026-11-03 00:00:00.000"],
    ] });
    const dot = /<circle [^>]*cx="([^"]+)"[^>]*><title>2026-11-03/.exec(svg);
    const tick = /translate\\(([\\d.]+),[\\d.]+\\)"><tspan[^>]*>12 AM<\\/tspan><tspan[^>]*>Nov 3/
      .exec(svg);
    console.log(JSON.stringify([dot?.[1], tick?.[1]]));
  `;
  for (const zone of ["America/New_York", "Pacific/Kiritimati"]) {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", code],
      cwd: ROOT,
      env: { TZ: zone },
      stderr: "inherit",
    }).output();
    const [dot, tick] = JSON.parse(new TextDecoder().decode(run.stdout));
    assert.ok(dot !== undefined && dot === tick, `${zone}: ${dot} ${tick}`);
  }
});

// gapHistogram

/** One connection every `seconds`, from START, as rows of ts and pair. */
function series(
  count: number,
  seconds: (i: number) => number,
  pair = ["10.0.0.5", "203.0.113.9"],
  start = START,
): (string | null)[][] {
  const rows = [];
  let ms = start;
  for (let i = 0; i < count; i++) {
    rows.push([stamp(ms), ...pair]);
    ms += seconds(i) * 1000;
  }
  return rows;
}

Deno.test("a perfect 300-second beacon puts every gap in one bin", () => {
  const beacon = {
    columns: ["ts", "client", "server"],
    rows: series(50, () => 300),
  };
  const { svg } = withoutWarnings(() => gapHistogram(beacon));
  assert.equal(marks(svg, "rect", "rect").length, 1);
  assert.deepEqual(tooltips(svg, "rect"), ["49 gaps of 300 to 310 s"]);
  assert.equal(
    heading(svg),
    "49 gaps between consecutive times (ts), median 300 s",
  );
});

Deno.test("a jittered beacon is a narrow peak among human gaps", () => {
  // 300 s, give or take 20 s, for 100 calls; 200 days later, pauses of
  // 3,600, 7,200 and 4,000 s.
  const jitter = [-20, -7, 0, 6, 19];
  const beacon = series(100, (i) => 300 + jitter[i % 5]);
  const later = START + 200 * 86_400_000;
  const pauses = series(4, (i) => [3600, 7200, 4000][i], undefined, later);
  const result = {
    columns: ["ts", "client", "server"],
    rows: [...beacon, ...pauses],
  };
  const { svg } = gapHistogram(result, { maxGap: 3600 });

  // Bins of 100 s (3,600 / 40 bins, rounded up): the 99 beacon gaps of 280,
  // 293, 300, 306 and 319 s fall in 200-300 and 300-400, the hour's pause
  // in the last bin; the 200-day jump, 7,200 and 4,000 are over maxGap.
  assert.deepEqual(tooltips(svg, "rect"), [
    "40 gaps of 200 to 300 s",
    "59 gaps of 300 to 400 s",
    "1 gap of 3,600 to 3,700 s",
  ]);
  assert.equal(
    heading(svg),
    "100 gaps between consecutive times (ts), median 300 s, 3 over 3,600 s " +
      "left out",
  );
});

Deno.test("gaps are measured within each group, and where keeps a pair", () => {
  // Two clients beaconing every 300 s, 100 s apart: all rows together give
  // gaps of 100 and 200 s; each client alone gives 300 s.
  const a = series(10, () => 300, ["10.0.0.5", "203.0.113.9"]);
  const b = series(10, () => 300, ["10.0.0.6", "203.0.113.9"], START + 100_000);
  const result = { columns: ["ts", "client", "server"], rows: [...a, ...b] };

  assert.deepEqual(tooltips(gapHistogram(result).svg, "rect"), [
    "10 gaps of 100 to 105 s",
    "9 gaps of 200 to 205 s",
  ]);
  assert.deepEqual(
    tooltips(gapHistogram(result, { group: ["client", "server"] }).svg, "rect"),
    ["18 gaps of 300 to 310 s"],
  );
  assert.deepEqual(
    tooltips(
      gapHistogram(result, { where: { client: "10.0.0.6" } }).svg,
      "rect",
    ),
    ["9 gaps of 300 to 310 s"],
  );
});

// heatmap

Deno.test("heatmap counts rows per hour and day, in UTC", () => {
  const result: Result = {
    columns: ["ts", "bytes"],
    rows: [
      ["2026-11-02 08:15:00.000", 10],
      ["2026-11-02 08:45:00.000", 20],
      ["2026-11-02 23:59:59.999", 5],
      ["2026-11-04 00:00:00.000", 1],
      [null, 1000],
    ],
  };
  const { svg } = withoutWarnings(() => heatmap(result));
  assert.equal(marks(svg, "cell", "rect").length, 3);
  assert.deepEqual(tooltips(svg, "cell"), [
    "2026-11-02 08:00 to 08:59: 2 rows",
    "2026-11-02 23:00 to 23:59: 1 row",
    "2026-11-04 00:00 to 00:59: 1 row",
  ]);
  // The day without rows keeps its row; the hours run 00 to 23.
  assert.deepEqual(ticks(svg, "y"), ["2026-11-02", "2026-11-03", "2026-11-04"]);
  assert.equal(ticks(svg, "x").length, 24);
  assert.equal(heading(svg), "rows by hour of day (UTC) and day");

  const summed = heatmap(result, { value: "bytes" });
  assert.deepEqual(tooltips(summed.svg, "cell"), [
    "2026-11-02 08:00 to 08:59: 30 bytes",
    "2026-11-02 23:00 to 23:59: 5 bytes",
    "2026-11-04 00:00 to 00:59: 1 bytes",
  ]);
  // The fullest cell is the darkest.
  const fills = marks(summed.svg, "cell", "rect").map((cell) =>
    /fill="([^"]+)"/.exec(cell)?.[1]
  );
  assert.equal(fills[0], "rgb(8, 48, 107)");
});

// chart

Deno.test("chart picks bars for a ranking, a timeline for events", () => {
  const ranking = chart({
    ...HOSTS,
    columns: ["host", "hits", "first_seen"],
    rows: HOSTS.rows.map(([host, hits]) => [host, hits, stamp(START)]),
  });
  assert.equal(marks(ranking.svg, "bar", "rect").length, 4);
  assert.equal(heading(ranking.svg), "apt_ips: hits by host");

  const events = chart(CONNECTIONS);
  assert.equal(marks(events.svg, "dot", "circle").length, 4);
  assert.deepEqual(ticks(events.svg, "y"), ["10.0.0.5", "10.0.0.6"]);

  const sizes = chart(
    { columns: ["client", "bytes"], rows: [["a", 1], ["a", 2], ["b", 5]] },
    { title: "Bytes", width: 500, height: 300 },
  );
  assert.deepEqual(tooltips(sizes.svg, "bar"), ["b: 5", "a: 3"]);
  assert.match(sizes.svg, /^<svg [^>]*viewBox="0 0 500 300"/);
  assert.match(sizes.svg, /^<svg [^>]*width="500"/);
  assert.equal(heading(sizes.svg), "Bytes");
});

Deno.test("chart names a ranking of pairs by source and destination", () => {
  const beacons: Result = {
    title: "beacons",
    columns: ["source", "destination", "connections", "first_seen"],
    rows: [
      ["10.0.0.5", "c2.example", 300, stamp(START)],
      ["10.0.0.5", "cdn.example", 40, stamp(START)],
      ["10.0.0.6", "c2.example", 12, stamp(START)],
    ],
  };
  const drawn = chart(beacons);
  assert.equal(marks(drawn.svg, "bar", "rect").length, 3);
  assert.deepEqual(tooltips(drawn.svg, "bar"), [
    "10.0.0.5 → c2.example: 300",
    "10.0.0.5 → cdn.example: 40",
    "10.0.0.6 → c2.example: 12",
  ]);
  assert.equal(heading(drawn.svg), "beacons: connections by pair");
  // The result itself is left as it was.
  assert.deepEqual(beacons.columns, [
    "source",
    "destination",
    "connections",
    "first_seen",
  ]);

  // A pair that repeats cannot name its rows: the times are drawn instead.
  const repeated = chart({
    ...beacons,
    rows: [beacons.rows[0], beacons.rows[0]],
  });
  assert.equal(marks(repeated.svg, "dot", "circle").length, 2);
});

Deno.test("a chart carries its SVG as image/svg+xml and text/html", () => {
  const drawn = chart(HOSTS);
  const display = Symbol.for("Jupyter.display");
  const bundle = (drawn as unknown as Record<symbol, () => unknown>)[display]();
  assert.deepEqual(bundle, {
    "image/svg+xml": drawn.svg,
    "text/html": drawn.html,
  });
  assert.deepEqual(Object.keys(drawn), ["svg", "html"]);
  assert.deepEqual(JSON.parse(JSON.stringify(drawn)), {
    svg: drawn.svg,
    html: drawn.html,
  });
});

// errors

function assertUsage(draw: () => unknown, message: string | RegExp): void {
  assert.throws(draw, (error) => {
    assert.ok(error instanceof UsageError, String(error));
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

Deno.test("errors name the column, the columns there are and the fix", () => {
  assertUsage(
    () => topBars(HOSTS, { label: "domain" }),
    'Cannot chart the column "domain": the apt_ips result has no such ' +
      "column. Its columns: host, hits, clients.",
  );
  assertUsage(
    () => gapHistogram(CONNECTIONS, { group: ["client", "port"] }),
    /"port": the conn result has no such column\. Its columns: ts, client, server, bytes\./,
  );
  assertUsage(
    () => timeline(CONNECTIONS, { where: { proto: "tcp" } }),
    /"proto".*Its columns: ts, client, server, bytes\./,
  );
  assertUsage(
    () => timeline(CONNECTIONS, { time: "client" }),
    'Cannot read the column "client" as time stamps: row 1 holds ' +
      '"10.0.0.5", not a UTC time like 2026-11-02 08:15:00.000.',
  );
  assertUsage(
    () => topBars(CONNECTIONS, { label: "client", value: "server" }),
    'Cannot add up the column "server": row 1 holds "203.0.113.9", not a ' +
      "number.",
  );
  assertUsage(
    () => heatmap(HOSTS),
    "Cannot draw a heat map of the apt_ips result: it needs a column of " +
      "time stamps (text like 2026-11-02 08:15:00.000), and none of its " +
      "columns (host, hits, clients) is one.",
  );
  assertUsage(
    () => chart({ columns: ["client", "agent"], rows: [["a", "curl"]] }),
    "Cannot chart the result (columns: client, agent): a chart needs a " +
      "column of time stamps (for a timeline), or a text column and a " +
      "numeric column (for top bars).",
  );
  assertUsage(
    () => chart({ title: "beacons", columns: ["a", "b"], rows: [] }),
    "Cannot draw a chart of the beacons result: it has no rows.",
  );
  assertUsage(
    () => gapHistogram({ columns: ["ts"], rows: [[stamp(START)]] }),
    'Cannot draw a gap histogram of "ts": it needs two or more times to ' +
      "measure a gap, and the 1 row give none.",
  );
  assertUsage(
    () => topBars(HOSTS, { limit: 0 }),
    /limit 0: it must be a whole/,
  );
  assertUsage(() => chart(HOSTS, { width: 10 }), /10 pixels in width/);

  const many = { columns: ["ts"], rows: series(20_001, () => 1) };
  assertUsage(
    () => timeline(many),
    "Cannot draw 20,001 times on a timeline: it draws at most 20,000. " +
      "Narrow the rows first (where, or the query), or draw a heatmap.",
  );
});
