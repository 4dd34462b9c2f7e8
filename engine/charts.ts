/**
 * Charts of results, drawn by Observable Plot on a DOM from linkedom: top-N
 * bars, a timeline, a histogram of the gaps between times (the picture of
 * a beacon), an hour-by-day heat map, and `chart`, which picks one of them
 * for any result.
 *
 * Each chart is one SVG with its title drawn in it, so that it reads the
 * same in a notebook, in an exported page and in a report. Values reach
 * the SVG as text nodes, which the serializer escapes, after their control
 * characters are spelled out as in the terminal table: XML forbids most of
 * them, and a log line must never become markup.
 *
 * Time stamps are Gummer's UTC text (`2026-11-02 08:15:00.123`) and are
 * read and drawn as UTC.
 *
 * @module
 */

import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { escapeControls, valueText } from "../modules/outputs/_format.ts";
import { timestampSeconds } from "./analysis.ts";
import { formatCount, JUPYTER_DISPLAY, rowCount } from "./display.ts";
import { UsageError } from "./errors.ts";
import type { Result, SqlValue } from "./types.ts";

/** A drawn chart: the SVG, and the same SVG ready to put in HTML. */
export interface Chart {
  /** A standalone SVG document (`image/svg+xml`). */
  svg: string;
  /** The SVG inside a `<div>`, for pages and notebook exports. */
  html: string;
  /**
   * The bundle a notebook cell shows. It carries the SVG as `text/html`
   * too: `jupyter nbconvert --to html` blanks an `image/svg+xml` output.
   */
  [JUPYTER_DISPLAY](): { "image/svg+xml": string; "text/html": string };
}

/** Options every chart takes. */
export interface ChartOptions {
  /** The heading drawn above the chart. Default: what the chart shows. */
  title?: string;
  /** Width in pixels. Default 640. */
  width?: number;
  /** Height in pixels, heading included. Default: what the data needs. */
  height?: number;
}

/** Rows to keep: each named column must hold the given value. */
export type RowFilter = Record<string, SqlValue>;

/** Options of `topBars`. */
export interface TopBarsOptions extends ChartOptions {
  /** The column naming each bar. Default: the first text column. */
  label?: string;
  /**
   * The numeric column giving each bar's length, summed over rows with
   * the same label. Default: the first numeric column; without one, the
   * rows of each label are counted.
   */
  value?: string;
  /** Bars drawn, largest first. Default 20. */
  limit?: number;
  /** Only the rows whose columns hold these values. */
  where?: RowFilter;
}

/** Options of `timeline`. */
export interface TimelineOptions extends ChartOptions {
  /** The column of time stamps. Default: the first time column. */
  time?: string;
  /** A column whose values each get a lane of their own. Default: none. */
  label?: string;
  /** Only the rows whose columns hold these values (a pair, a host). */
  where?: RowFilter;
}

/** Options of `gapHistogram`. */
export interface GapHistogramOptions extends ChartOptions {
  /** The column of time stamps. Default: the first time column. */
  time?: string;
  /**
   * Columns that tell series apart (a client and a server): gaps are
   * measured between consecutive times of the same series. Default: all
   * rows are one series.
   */
  group?: string | string[];
  /** Only the rows whose columns hold these values (a pair, a host). */
  where?: RowFilter;
  /** About how many bins span the gaps. Default 40. */
  bins?: number;
  /** Longer gaps (seconds) are left out and counted in the title. */
  maxGap?: number;
}

/** Options of `heatmap`. */
export interface HeatmapOptions extends ChartOptions {
  /** The column of time stamps. Default: the first time column. */
  time?: string;
  /**
   * A numeric column summed in each cell (bytes, say). Default: the rows
   * of each hour are counted.
   */
  value?: string;
  /** Only the rows whose columns hold these values. */
  where?: RowFilter;
}

const WIDTH = 640;

/** Room above the plot for the heading, in pixels. */
const TITLE_SPACE = 28;

/** Characters of a label drawn beside a bar or lane; the tooltip has all. */
const LABEL_CHARS = 40;

/** Pixels per character of a 10 px label, to leave room for the longest. */
const PIXELS_PER_CHAR = 6;

/**
 * More points than this make an SVG of megabytes that a notebook chokes
 * on, and a timeline of that many dots reads as a smear anyway.
 */
const MAX_POINTS = 20_000;

/** More lanes than this make a timeline taller than a screen. */
const MAX_LANES = 60;

/** More days than this make a heat map taller than a screen. */
const MAX_DAYS = 400;

/** Lanes `chart` gives a timeline; with more labels it draws one lane. */
const AUTO_LANES = 20;

const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?$/;
const SVG_NS = "http://www.w3.org/2000/svg";
const BAR_COLOR = "#4269d0";

/**
 * Bars for the largest values of a label column: the top talkers, the
 * hosts with most hits. Rows with the same label are added up, so raw rows
 * can be charted as well as an analyzer's ranking; ties keep the result's
 * order.
 *
 * @example
 * ```ts
 * import { topBars } from "./charts.ts";
 *
 * const chart = topBars({
 *   columns: ["host", "hits"],
 *   rows: [["203.0.113.9", 120], ["198.51.100.7", 45]],
 * }, { title: "Hits by host" });
 * if (chart.svg.match(/<rect /g)?.length !== 2) throw new Error(chart.svg);
 * ```
 */
export function topBars(result: Result, options: TopBarsOptions = {}): Chart {
  const rows = selectRows(result, options.where);
  const label = options.label ?? firstColumn(result, "text", "top bars");
  const labelAt = columnIndex(result, label);
  const value = options.value ?? findColumn(result, "number");
  const valueAt = value === undefined ? -1 : numericColumn(result, value);
  const limit = options.limit ?? 20;
  if (!(Number.isInteger(limit) && limit > 0)) {
    throw new UsageError(
      `Cannot draw top bars with limit ${limit}: it must be a whole ` +
        "number above 0.",
    );
  }

  // A Map keeps the order labels first appear in, so the stable sort below
  // leaves ties in the result's own order (an analyzer's ranking).
  const totals = new Map<string, number>();
  for (const row of rows) {
    const name = labelText(row[labelAt] ?? null);
    const amount = valueAt < 0 ? 1 : numberOf(row[valueAt] ?? null);
    totals.set(name, (totals.get(name) ?? 0) + amount);
  }
  const bars = [...totals].map(([name, total]) => ({ name, total }))
    .sort((a, b) => b.total - a.total);
  const shown = bars.slice(0, limit);
  if (shown.length === 0) throw noRows(result, "top bars");

  const measure = value ?? "rows";
  const top = bars.length > limit
    ? ` (top ${shown.length} of ${formatCount(bars.length)})`
    : "";
  const title = options.title ??
    heading(result, `${measure} by ${label}${top}`);
  const labels = shown.map((bar) => bar.name);
  const longest = Math.max(...labels.map((name) => shortLabel(name).length));
  return draw(
    {
      marginLeft: Math.min(longest, LABEL_CHARS) * PIXELS_PER_CHAR + 14,
      marginRight: 56,
      x: { label: safe(measure), grid: true, tickFormat: formatNumber },
      y: { type: "band", domain: labels, label: null, tickFormat: shortLabel },
      marks: [
        Plot.barX(shown, {
          x: "total",
          y: "name",
          fill: BAR_COLOR,
          title: (bar: Bar) => `${bar.name}: ${formatNumber(bar.total)}`,
        }),
        Plot.text(shown, {
          x: "total",
          y: "name",
          text: (bar: Bar) => formatNumber(bar.total),
          dx: 4,
          textAnchor: "start",
        }),
        Plot.ruleX([0]),
      ],
    },
    options,
    title,
  );
}

interface Bar {
  name: string;
  total: number;
}

/**
 * A dot for each time stamp along a UTC time axis, optionally one lane per
 * value of a label column: the connections of a pair, the logons of a
 * user. Rows without a time are left out.
 *
 * @example
 * ```ts
 * import { timeline } from "./charts.ts";
 *
 * const chart = timeline({
 *   columns: ["ts", "client"],
 *   rows: [
 *     ["2026-11-02 08:00:00.000", "10.0.0.5"],
 *     ["2026-11-02 08:05:00.000", "10.0.0.5"],
 *     ["2026-11-02 08:10:00.000", "10.0.0.6"],
 *   ],
 * }, { label: "client" });
 * if (chart.svg.match(/<circle /g)?.length !== 3) throw new Error(chart.svg);
 * ```
 */
export function timeline(
  result: Result,
  options: TimelineOptions = {},
): Chart {
  const rows = selectRows(result, options.where);
  const time = options.time ?? firstColumn(result, "time", "a timeline");
  const timeAt = timeColumn(result, time);
  const labelAt = options.label === undefined
    ? -1
    : columnIndex(result, options.label);

  const points = [];
  for (const row of rows) {
    const stamp = row[timeAt];
    if (stamp === null || stamp === undefined) continue;
    const lane = labelAt < 0 ? "" : labelText(row[labelAt] ?? null);
    points.push({ date: dateOf(stamp as string), lane, stamp });
  }
  if (points.length === 0) throw noRows(result, "a timeline", time);
  if (points.length > MAX_POINTS) {
    throw new UsageError(
      `Cannot draw ${formatCount(points.length)} times on a timeline: it ` +
        `draws at most ${formatCount(MAX_POINTS)}. Narrow the rows first ` +
        "(where, or the query), or draw a heatmap.",
    );
  }
  const lanes = [...new Set(points.map((point) => point.lane))];
  if (lanes.length > MAX_LANES) {
    throw new UsageError(
      `Cannot give each of the ${formatCount(lanes.length)} values of ` +
        `"${options.label}" a lane: a timeline has at most ${MAX_LANES}. ` +
        "Narrow the rows first, or leave out label.",
    );
  }

  const lanesOf = options.label === undefined ? "" : `, by ${options.label}`;
  const count = `${formatCount(points.length)} ${
    points.length === 1 ? "time" : "times"
  }`;
  const title = options.title ??
    heading(result, `${count} (${time})${lanesOf}`);
  const longest = Math.max(...lanes.map((lane) => shortLabel(lane).length));
  const lanesShown = labelAt >= 0;
  return draw(
    {
      marginLeft: lanesShown
        ? Math.min(longest, LABEL_CHARS) * PIXELS_PER_CHAR + 14
        : 20,
      marginRight: 20,
      x: { type: "utc", label: safe(`${time} (UTC)`), grid: true },
      y: lanesShown
        ? { type: "band", domain: lanes, label: null, tickFormat: shortLabel }
        : undefined,
      marks: [
        Plot.dot(points, {
          x: "date",
          y: lanesShown ? "lane" : undefined,
          r: 3,
          fill: BAR_COLOR,
          fillOpacity: 0.6,
          title: (point: Point) =>
            lanesShown ? `${point.lane}: ${point.stamp}` : point.stamp,
        }),
      ],
    },
    options,
    title,
  );
}

interface Point {
  date: Date;
  lane: string;
  stamp: string;
}

/**
 * A histogram of the seconds between consecutive times of a series. A
 * beacon calling home on a timer shows as one tall, narrow peak at its
 * interval; people browse in bursts and pauses, which spread out. The bins
 * start at 0 s and share one round width.
 *
 * @example A perfect five-minute beacon: every gap falls in one bin
 * ```ts
 * import { gapHistogram } from "./charts.ts";
 *
 * const rows = [0, 5, 10, 15].map((minute) =>
 *   [`2026-11-02 08:${String(minute).padStart(2, "0")}:00.000`]
 * );
 * const chart = gapHistogram({ columns: ["ts"], rows });
 * if (!chart.svg.includes("<title>3 gaps of 300 to 310 s</title>")) {
 *   throw new Error(chart.svg);
 * }
 * ```
 */
export function gapHistogram(
  result: Result,
  options: GapHistogramOptions = {},
): Chart {
  const rows = selectRows(result, options.where);
  const time = options.time ?? firstColumn(result, "time", "a gap histogram");
  const timeAt = timeColumn(result, time);
  const groups = typeof options.group === "string"
    ? [options.group]
    : options.group ?? [];
  const groupAt = groups.map((column) => columnIndex(result, column));
  const bins = options.bins ?? 40;
  if (!(Number.isInteger(bins) && bins > 0)) {
    throw new UsageError(
      `Cannot draw a gap histogram with ${bins} bins: bins must be a whole ` +
        "number above 0.",
    );
  }
  if (options.maxGap !== undefined && !(options.maxGap >= 0)) {
    throw new UsageError(
      `Cannot leave out gaps over ${options.maxGap} s: maxGap must be a ` +
        "number of seconds, 0 or more.",
    );
  }

  const all = seriesGaps(rows, timeAt, groupAt);
  const maxGap = options.maxGap ?? Infinity;
  const gaps = all.filter((gap) => gap <= maxGap);
  if (gaps.length === 0) {
    const within = groups.length > 0 ? ` of one ${groups.join(" and ")}` : "";
    const why = all.length > 0
      ? `every gap is over maxGap ${maxGap} s`
      : `the ${rowCount(rows.length)} give none`;
    throw new UsageError(
      `Cannot draw a gap histogram of "${time}": it needs two or more ` +
        `times${within} to measure a gap, and ${why}.`,
    );
  }

  const drawn = binGaps(gaps, bins);
  const median = medianOf(gaps);
  const over = all.length - gaps.length;
  const left = over > 0
    ? `, ${formatCount(over)} over ${formatNumber(maxGap)} s left out`
    : "";
  const title = options.title ?? heading(
    result,
    `${formatCount(gaps.length)} ${gaps.length === 1 ? "gap" : "gaps"} ` +
      `between consecutive times (${time}), ` +
      `median ${formatNumber(median)} s${left}`,
  );
  return draw(
    {
      marginLeft: 48,
      marginRight: 20,
      x: {
        domain: [0, drawn.end],
        label: "seconds between consecutive times",
        tickFormat: formatNumber,
      },
      y: { label: "gaps", grid: true, tickFormat: formatNumber },
      marks: [
        Plot.rectY(drawn.bins, {
          x1: "from",
          x2: "to",
          y: "count",
          fill: BAR_COLOR,
          insetLeft: 0.5,
          insetRight: 0.5,
          title: binTitle,
        }),
        Plot.ruleY([0]),
      ],
    },
    options,
    title,
  );
}

interface Bin {
  from: number;
  to: number;
  count: number;
}

/**
 * The seconds between consecutive times of each series, a series being
 * the rows whose `groupAt` columns hold the same values.
 */
function seriesGaps(
  rows: SqlValue[][],
  timeAt: number,
  groupAt: number[],
): number[] {
  const series = new Map<string, number[]>();
  for (const row of rows) {
    const stamp = row[timeAt];
    if (stamp === null || stamp === undefined) continue;
    const key = JSON.stringify(groupAt.map((i) => valueText(row[i] ?? null)));
    let times = series.get(key);
    if (!times) series.set(key, times = []);
    times.push(dateOf(stamp as string).getTime());
  }

  const gaps: number[] = [];
  for (const times of series.values()) {
    times.sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      gaps.push((times[i] - times[i - 1]) / 1000);
    }
  }
  return gaps;
}

function binTitle(bin: Bin): string {
  const gaps = `${formatCount(bin.count)} ${bin.count === 1 ? "gap" : "gaps"}`;
  return `${gaps} of ${formatNumber(bin.from)} to ${formatNumber(bin.to)} s`;
}

/**
 * Gaps in bins of one round width (1, 2 or 5 times a power of ten) from
 * 0 s, about `bins` of them up to the longest gap; only the bins that hold
 * a gap are returned.
 */
function binGaps(gaps: number[], bins: number): { bins: Bin[]; end: number } {
  let longest = 0;
  for (const gap of gaps) longest = Math.max(longest, gap);
  const width = longest > 0 ? roundStep(longest / bins) : 1;

  // The tolerance keeps a gap that lies on an edge (0.3 s with bins of
  // 0.1 s) in the bin it starts, despite floating-point division.
  const counts = new Map<number, number>();
  for (const gap of gaps) {
    const index = Math.floor(gap / width + 1e-9);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  const last = Math.floor(longest / width + 1e-9);
  const drawn = [...counts].sort(([a], [b]) => a - b).map(([index, count]) => ({
    from: index * width,
    to: (index + 1) * width,
    count,
  }));
  return { bins: drawn, end: (last + 1) * width };
}

/** The round step (1, 2 or 5 times a power of ten) at or above `step`. */
function roundStep(step: number): number {
  const power = 10 ** Math.floor(Math.log10(step));
  const scaled = step / power;
  const factor = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10;
  return factor * power;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Activity by hour of day (UTC) across, and by day down: working hours,
 * weekends and a night-time job stand out. Each cell counts its rows, or
 * sums `value`; days without rows keep their empty row so that the weeks
 * read evenly.
 *
 * @example
 * ```ts
 * import { heatmap } from "./charts.ts";
 *
 * const chart = heatmap({
 *   columns: ["ts"],
 *   rows: [
 *     ["2026-11-02 08:15:00.000"],
 *     ["2026-11-02 08:45:00.000"],
 *     ["2026-11-03 23:59:59.999"],
 *   ],
 * });
 * if (!chart.svg.includes("<title>2026-11-02 08:00 to 08:59: 2 rows</title>")) {
 *   throw new Error(chart.svg);
 * }
 * ```
 */
export function heatmap(result: Result, options: HeatmapOptions = {}): Chart {
  const rows = selectRows(result, options.where);
  const time = options.time ?? firstColumn(result, "time", "a heat map");
  const timeAt = timeColumn(result, time);
  const valueAt = options.value === undefined
    ? -1
    : numericColumn(result, options.value);

  const totals = new Map<string, Cell>();
  let first = Infinity;
  let last = -Infinity;
  for (const row of rows) {
    const stamp = row[timeAt];
    if (stamp === null || stamp === undefined) continue;
    const text = stamp as string;
    const day = text.slice(0, 10);
    const hour = Number(text.slice(11, 13));
    const key = `${day} ${hour}`;
    const amount = valueAt < 0 ? 1 : numberOf(row[valueAt] ?? null);
    const cell = totals.get(key) ?? { day, hour, total: 0 };
    cell.total += amount;
    totals.set(key, cell);
    const ms = dateOf(text).getTime();
    first = Math.min(first, ms);
    last = Math.max(last, ms);
  }
  if (totals.size === 0) throw noRows(result, "a heat map", time);

  const days = daysBetween(first, last);
  if (days.length > MAX_DAYS) {
    throw new UsageError(
      `Cannot draw a heat map of ${formatCount(days.length)} days: it ` +
        `draws at most ${MAX_DAYS}. Narrow the rows to fewer days first.`,
    );
  }
  const cells = [...totals.values()];
  const measure = options.value ?? "rows";
  const title = options.title ??
    heading(result, `${measure} by hour of day (UTC) and day`);
  let most = 0;
  for (const cell of cells) most = Math.max(most, cell.total);
  return draw(
    {
      marginLeft: 76,
      marginRight: 12,
      padding: 0.05,
      x: {
        type: "band",
        domain: HOURS,
        label: "hour of day (UTC)",
        tickFormat: (hour: number) => twoDigits(hour),
      },
      y: { type: "band", domain: days, label: null },
      color: { type: "linear", domain: [0, most], range: HEAT_RANGE },
      marks: [
        Plot.cell(cells, {
          x: "hour",
          y: "day",
          fill: "total",
          title: (cell: Cell) => {
            const hour = twoDigits(cell.hour);
            const unit = options.value === undefined
              ? (cell.total === 1 ? "row" : "rows")
              : safe(options.value);
            return `${cell.day} ${hour}:00 to ${hour}:59: ` +
              `${formatNumber(cell.total)} ${unit}`;
          },
        }),
      ],
    },
    options,
    title,
  );
}

interface Cell {
  day: string;
  hour: number;
  total: number;
}

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);

/** From a light blue that still shows on white, for a cell of one. */
const HEAT_RANGE = ["#c6dbef", "#08306b"];

/** Every UTC day from the one holding `first` to the one holding `last`. */
function daysBetween(first: number, last: number): string[] {
  const DAY = 86_400_000;
  const days: string[] = [];
  for (
    let day = Math.floor(first / DAY);
    day <= Math.floor(last / DAY);
    day++
  ) {
    days.push(new Date(day * DAY).toISOString().slice(0, 10));
    if (days.length > MAX_DAYS) break;
  }
  return days;
}

/**
 * A chart that suits the result. A ranking (each label once, with a
 * number: most analyzers' results) gets top bars of its first numeric
 * column; rows with a time column get a timeline, in lanes when a text
 * column has few values; other rows with a text and a numeric column get
 * top bars of their totals. Anything else is an error that says what a
 * chart needs.
 *
 * @example
 * ```ts
 * import { chart } from "./charts.ts";
 *
 * const ranked = chart({
 *   columns: ["host", "hits", "first_seen"],
 *   rows: [["203.0.113.9", 12, "2026-11-02 08:15:00.000"]],
 * });
 * if (!ranked.svg.includes('aria-label="bar"')) throw new Error(ranked.svg);
 * ```
 */
export function chart(result: Result, options: ChartOptions = {}): Chart {
  if (result.rows.length === 0) throw noRows(result, "a chart");
  const time = findColumn(result, "time");
  const label = findColumn(result, "text");
  const value = findColumn(result, "number");

  const names = label === undefined ? 0 : distinctCount(result, label);
  const ranking = names === result.rows.length;

  if (label !== undefined && value !== undefined && (ranking || !time)) {
    return topBars(result, { ...options, label, value });
  }
  // Most analyzers rank pairs (a source and a destination): one source
  // repeats, but the two together name each row once.
  const paired = value === undefined ? undefined : pairLabels(result);
  if (paired && value !== undefined) {
    return topBars(paired, { ...options, label: PAIR_COLUMN, value });
  }
  if (time !== undefined) {
    const lanes = names <= AUTO_LANES ? label : undefined;
    return timeline(result, { ...options, time, label: lanes });
  }
  throw new UsageError(
    `Cannot chart ${resultName(result)} (columns: ${
      listColumns(result)
    }): a chart needs a column of time stamps (for a timeline), or a text ` +
      "column and a numeric column (for top bars).",
  );
}

/** The label column `chart` adds for a ranking of pairs. */
const PAIR_COLUMN = "pair";

/**
 * The result with a first column naming each row by its first two text
 * columns (`source → destination`), when that names every row once.
 */
function pairLabels(result: Result): Result | undefined {
  const text = result.columns
    .map((_, i) => i)
    .filter((i) => kindOf(result, i) === "text");
  if (text.length < 2 || result.columns.includes(PAIR_COLUMN)) return;
  const [first, second] = text;
  const labels = result.rows.map((row) =>
    `${valueText(row[first] ?? null)} → ${valueText(row[second] ?? null)}`
  );
  if (new Set(labels).size !== labels.length) return;
  return {
    ...result,
    columns: [PAIR_COLUMN, ...result.columns],
    rows: result.rows.map((row, i) => [labels[i], ...row]),
  };
}

function distinctCount(result: Result, column: string): number {
  const at = result.columns.indexOf(column);
  return new Set(result.rows.map((row) => valueText(row[at] ?? null))).size;
}

/** Plots, puts the heading above the plot, and wraps the SVG. */
function draw(
  plot: Plot.PlotOptions,
  options: ChartOptions,
  title: string,
): Chart {
  const width = checkSize(options.width, "width") ?? WIDTH;
  const height = checkSize(options.height, "height");
  const document = dom();
  const svg = Plot.plot({
    ...plot,
    width,
    ...(height === undefined ? {} : { height: height - TITLE_SPACE }),
    document,
  } as Plot.PlotOptions) as unknown as SvgElement;

  // The plot moves down under the heading; its style sheet stays first.
  const plotHeight = Number(svg.getAttribute("height"));
  const body = document.createElementNS(SVG_NS, "g");
  body.setAttribute("transform", `translate(0,${TITLE_SPACE})`);
  for (const child of Array.from(svg.childNodes)) {
    if (child.nodeName.toLowerCase() !== "style") body.appendChild(child);
  }
  const text = safe(title);
  const name = document.createElementNS(SVG_NS, "title");
  name.textContent = text;
  const heading = document.createElementNS(SVG_NS, "text");
  for (
    const [key, value] of Object.entries({
      x: 8,
      y: 19,
      "font-size": 14,
      "font-weight": "bold",
      "text-anchor": "start",
    })
  ) heading.setAttribute(key, String(value));
  heading.textContent = text;
  svg.append(name, heading, body);

  const total = plotHeight + TITLE_SPACE;
  svg.setAttribute("xmlns", SVG_NS);
  svg.setAttribute("height", String(total));
  svg.setAttribute("viewBox", `0 0 ${width} ${total}`);
  svg.setAttribute("role", "img");
  return chartOf(svg.outerHTML);
}

function chartOf(svg: string): Chart {
  const html = `<div class="gummer-chart">${svg}</div>`;
  const drawn = { svg, html } as Chart;
  Object.defineProperty(drawn, JUPYTER_DISPLAY, {
    value: () => ({ "image/svg+xml": svg, "text/html": html }),
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return drawn;
}

/** The little of the DOM that `draw` uses; linkedom provides it. */
interface SvgElement {
  readonly childNodes: ArrayLike<SvgElement>;
  readonly nodeName: string;
  readonly outerHTML: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  appendChild(child: SvgElement): void;
  append(...children: SvgElement[]): void;
}

interface SvgDocument {
  createElementNS(namespace: string, name: string): SvgElement;
}

let sharedDocument: SvgDocument | undefined;

/** One DOM for every chart: Plot only creates elements in it. */
function dom(): SvgDocument {
  if (sharedDocument) return sharedDocument;
  const window = parseHTML("<!DOCTYPE html><html><body></body></html>");
  sharedDocument = (window as unknown as { document: SvgDocument }).document;
  return sharedDocument;
}

function checkSize(size: number | undefined, what: string) {
  if (size === undefined) return undefined;
  const least = what === "height" ? TITLE_SPACE + 40 : 100;
  if (!(Number.isFinite(size) && size >= least)) {
    throw new UsageError(
      `Cannot draw a chart ${size} pixels in ${what}: give at least ${least}.`,
    );
  }
  return size;
}

/** The default heading: the result's title, then what the chart shows. */
function heading(result: Result, what: string): string {
  return result.title ? `${result.title}: ${what}` : what;
}

/** A value as a label; null and the empty string get a name. */
function labelText(value: SqlValue): string {
  if (value === null) return "(null)";
  const text = valueText(value);
  return text === "" ? "(empty)" : safe(text);
}

/**
 * Text that XML can carry: control characters spelled out as the terminal
 * table spells them, lone surrogates replaced. The serializer escapes the
 * rest (`<`, `&`).
 */
function safe(text: string): string {
  return escapeControls(text).toWellFormed();
}

/** A label short enough to sit beside a bar; the tooltip has it whole. */
function shortLabel(label: string): string {
  const chars = Array.from(label);
  return chars.length <= LABEL_CHARS
    ? label
    : chars.slice(0, LABEL_CHARS - 1).join("") + "…";
}

function formatNumber(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

function twoDigits(hour: number): string {
  return String(hour).padStart(2, "0");
}

function numberOf(value: SqlValue): number {
  return typeof value === "number" || typeof value === "bigint"
    ? Number(value)
    : 0;
}

function dateOf(stamp: string): Date {
  return new Date(timestampSeconds(stamp) * 1000);
}

type ColumnKind = "time" | "number" | "text";

/** What a column holds, judged on its non-null values; none: undefined. */
function kindOf(result: Result, at: number): ColumnKind | undefined {
  let kind: ColumnKind | undefined;
  for (const row of result.rows) {
    const value = row[at] ?? null;
    if (value === null) continue;
    const seen: ColumnKind = typeof value === "number" ||
        typeof value === "bigint"
      ? "number"
      : typeof value === "string" && TIMESTAMP.test(value)
      ? "time"
      : "text";
    if (kind === undefined) kind = seen;
    else if (kind !== seen) return "text";
  }
  return kind;
}

function findColumn(result: Result, kind: ColumnKind): string | undefined {
  return result.columns.find((_, i) => kindOf(result, i) === kind);
}

/** The first column of a kind, or an error saying the chart needs one. */
function firstColumn(result: Result, kind: ColumnKind, chart: string) {
  const found = findColumn(result, kind);
  if (found !== undefined) return found;
  if (result.rows.length === 0) throw noRows(result, chart);
  const needs = {
    time: "a column of time stamps (text like 2026-11-02 08:15:00.000)",
    number: "a numeric column",
    text: "a text column to label its bars",
  }[kind];
  throw new UsageError(
    `Cannot draw ${chart} of ${resultName(result)}: it needs ${needs}, ` +
      `and none of its columns (${listColumns(result)}) is one.`,
  );
}

/** The index of a named column, or an error listing those there are. */
function columnIndex(result: Result, column: string): number {
  const at = result.columns.indexOf(column);
  if (at >= 0) return at;
  throw new UsageError(
    `Cannot chart the column "${escapeControls(column)}": ` +
      `${resultName(result)} has no such column. Its columns: ` +
      `${listColumns(result)}.`,
  );
}

function timeColumn(result: Result, column: string): number {
  const at = columnIndex(result, column);
  const bad = result.rows.findIndex((row) => {
    const value = row[at] ?? null;
    return value !== null &&
      !(typeof value === "string" && TIMESTAMP.test(value));
  });
  if (bad < 0) return at;
  throw new UsageError(
    `Cannot read the column "${column}" as time stamps: row ${bad + 1} ` +
      `holds "${escapeControls(valueText(result.rows[bad][at]))}", not a ` +
      "UTC time like 2026-11-02 08:15:00.000.",
  );
}

function numericColumn(result: Result, column: string): number {
  const at = columnIndex(result, column);
  const bad = result.rows.findIndex((row) => {
    const value = row[at] ?? null;
    return value !== null && typeof value !== "number" &&
      typeof value !== "bigint";
  });
  if (bad < 0) return at;
  throw new UsageError(
    `Cannot add up the column "${column}": row ${bad + 1} holds ` +
      `"${escapeControls(valueText(result.rows[bad][at]))}", not a number.`,
  );
}

/** The rows whose columns hold the values `where` gives. */
function selectRows(result: Result, where: RowFilter | undefined) {
  if (where === undefined) return result.rows;
  const tests = Object.entries(where).map(([column, wanted]) => ({
    at: columnIndex(result, column),
    text: wanted === null ? null : valueText(wanted),
  }));
  return result.rows.filter((row) =>
    tests.every(({ at, text }) => {
      const value = row[at] ?? null;
      return text === null ? value === null : value !== null &&
        valueText(value) === text;
    })
  );
}

function noRows(result: Result, chart: string, column?: string): UsageError {
  const where = column === undefined ? "" : ` with a time in "${column}"`;
  return new UsageError(
    `Cannot draw ${chart} of ${resultName(result)}: it has no rows${where}.`,
  );
}

function resultName(result: Result): string {
  return result.title
    ? `the ${escapeControls(result.title)} result`
    : "the result";
}

function listColumns(result: Result): string {
  return result.columns.length === 0
    ? "none"
    : result.columns.map(escapeControls).join(", ");
}
