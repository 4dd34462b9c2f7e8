/**
 * The beacon score of one source and destination pair, computed from its
 * connections' start times and the bytes the source sent, after the scoring
 * that RITA (Active Countermeasures' Real Intelligence Threat Analytics)
 * publishes. Four parts, each from 0 to 1, and their mean:
 *
 * - timestamps: the gaps between connections are steady when their
 *   quartiles are symmetric (Bowley skew near 0) and their median absolute
 *   deviation is small beside the median gap;
 * - sizes: the same two measures over the bytes sent per connection;
 * - duration: how much of the observation window lies between the pair's
 *   first and last connection, or how long its longest run of consecutive
 *   busy histogram bins is;
 * - histogram: how flat the count of connections per bin is (coefficient
 *   of variation), or how well the bins fall into one or two levels (a
 *   beacon that alternates between a busy and a quiet rate).
 *
 * Every constant is RITA's default (its `default_config.hjson` and
 * `analysis/beacons.go`); the names below say what each one does. Times
 * are whole seconds, as RITA truncates them. This module does no I/O: the
 * beacons analyzer gathers each pair's series in SQL and hands it here.
 *
 * @module
 */

import { round3 } from "../../../engine/analysis.ts";

/** RITA's defaults for beacon scoring. */
export const BEACON_DEFAULTS = {
  /** Fewer distinct connection seconds than this and a pair is skipped. */
  minDistinctSeconds: 4,
  /** Below this quartile spread (seconds or bytes) skew counts as zero. */
  minSkewSpread: 10,
  /** Histogram bins over a window of up to a day. */
  dayBins: 24,
  /** A bar height bucket for the two-level fit, as a share of the tallest. */
  modeSensitivity: 0.05,
  /** Bars the two-level fit may throw away as outliers. */
  bimodalOutliers: 1,
  /** Busy bars needed before the two-level fit counts. */
  bimodalMinBars: 11,
  /** Busy bars needed before the duration part counts at all. */
  durationMinBars: 6,
  /** A run of this many consecutive busy bars scores 1 for consistency. */
  consistencyIdealBars: 12,
  /** Connections per day (one a second) from which a pair is a strobe. */
  strobePerDay: 86_400,
} as const;

/** Seconds in an hour: beyond a day, the histogram has a bin per hour. */
const HOUR_SECONDS = 3_600;

/** The observation window, in whole seconds since 1970. */
export interface BeaconWindow {
  /** The first second of the window (the earliest connection seen). */
  start: number;
  /** The last second of the window (the latest connection seen). */
  end: number;
}

/** The parts of a pair's beacon score and the score itself. */
export interface BeaconScore {
  /** Regularity of the gaps between connections. */
  ts: number;
  /** Regularity of the bytes sent per connection. */
  size: number;
  /** Coverage of the window, or the longest run of busy bins. */
  duration: number;
  /** Flatness of the connections-per-bin histogram. */
  histogram: number;
  /** The mean of the four parts, to three decimals. */
  score: number;
  /** The median gap between distinct connection seconds. */
  medianGap: number;
}

/** Rounds up to three decimals, as RITA does for the duration part. */
function ceil3(value: number): number {
  return Math.ceil(value * 1000) / 1000;
}

/** The median of `sorted[from, to)`, which must not be empty. */
export function median(
  sorted: ArrayLike<number>,
  from = 0,
  to = sorted.length,
): number {
  const length = to - from;
  const middle = from + Math.floor(length / 2);
  return length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Tukey's hinges: the medians of the lower and upper halves (the middle
 * value left out of both when the count is odd) and the median. Needs at
 * least two values, sorted.
 */
export function quartiles(sorted: ArrayLike<number>): [number, number, number] {
  const n = sorted.length;
  const lowerEnd = n % 2 === 0 ? n / 2 : (n - 1) / 2;
  const upperStart = n % 2 === 0 ? n / 2 : lowerEnd + 1;
  return [
    median(sorted, 0, lowerEnd),
    median(sorted, 0, n),
    median(sorted, upperStart, n),
  ];
}

/**
 * One minus the absolute Bowley skew, (Q1 + Q3 - 2 Q2) / (Q3 - Q1): 1 for
 * symmetric quartiles. A spread under `minSkewSpread`, or a median equal to
 * a quartile, counts as no skew, since a few seconds or bytes of jitter on
 * a steady series would otherwise read as strong skew.
 */
export function skewScore(sorted: ArrayLike<number>): number {
  const [q1, q2, q3] = quartiles(sorted);
  const spread = q3 - q1;
  const skewed = spread >= BEACON_DEFAULTS.minSkewSpread && q2 !== q1 &&
    q2 !== q3;
  const skew = skewed ? (q1 + q3 - 2 * q2) / spread : 0;
  return 1 - Math.abs(skew);
}

/**
 * (median - MAD) / median, where MAD is the median absolute deviation from
 * the median: 1 when most values equal the median. A median under 1 says
 * nothing about spread, so `fallback` is returned (RITA gives 1 for gaps,
 * where that cannot happen once duplicates are gone, and 0 for sizes,
 * where it means nothing was sent).
 */
export function deviationScore(
  sorted: ArrayLike<number>,
  fallback: number,
): number {
  const middle = median(sorted);
  const deviations = Float64Array.from(
    sorted as ArrayLike<number>,
    (value) => Math.abs(value - middle),
  ).sort();
  const mad = median(deviations);
  const score = middle >= 1 ? (middle - mad) / middle : fallback;
  return score > 0 ? score : 0;
}

/**
 * How regular a sorted series is: the mean of its skew and deviation
 * scores, to three decimals. `fallback` is the deviation score for a
 * median under 1.
 */
export function regularityScore(
  sorted: ArrayLike<number>,
  fallback: number,
): number {
  return round3((skewScore(sorted) + deviationScore(sorted, fallback)) / 2);
}

/**
 * The gaps between consecutive distinct seconds, sorted, or undefined when
 * there are fewer than three of them. `seconds` must be sorted.
 */
export function gaps(seconds: ArrayLike<number>): Float64Array | undefined {
  const found: number[] = [];
  for (let i = 1; i < seconds.length; i++) {
    const gap = seconds[i] - seconds[i - 1];
    if (gap > 0) found.push(gap);
  }
  if (found.length < BEACON_DEFAULTS.minDistinctSeconds - 1) return undefined;
  return Float64Array.from(found).sort();
}

/**
 * How many bins the histogram of a window has: RITA's 24 for a window of
 * up to a day, and one an hour beyond, so that a week of logs still shows
 * the hours a beacon kept.
 */
export function binCount(window: BeaconWindow): number {
  const hours = Math.ceil((window.end - window.start) / HOUR_SECONDS);
  return Math.max(BEACON_DEFAULTS.dayBins, hours);
}

/**
 * Connections per bin, as a map from bin number to count (empty bins are
 * left out, so that a year-long window costs nothing). Bins split the
 * window evenly; a second before the window falls in the first bin and one
 * at or after its end in the last. `seconds` must be sorted.
 */
export function histogram(
  seconds: ArrayLike<number>,
  window: BeaconWindow,
  bins: number,
): Map<number, number> {
  const step = (window.end - window.start) / bins;
  const edge = (i: number) => window.start + i * step;
  const counts = new Map<number, number>();
  for (let i = 0; i < seconds.length; i++) {
    const second = seconds[i];
    let bin = Math.floor((second - window.start) / step);
    // The division may land one off an edge; the edges decide.
    while (bin + 1 < bins && second >= edge(bin + 1)) bin++;
    while (bin > 0 && second < edge(bin)) bin--;
    bin = Math.min(Math.max(bin, 0), bins - 1);
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  return counts;
}

/**
 * The longest run of consecutive busy bins, the run that wraps from the
 * last bin to the first included (a beacon that runs overnight across the
 * window's edge is one run).
 */
export function longestRun(counts: Map<number, number>, bins: number): number {
  if (counts.size >= bins) return bins;
  const busy = [...counts.keys()].sort((a, b) => a - b);
  const runs: number[] = [];
  let run = 0;
  for (let i = 0; i < busy.length; i++) {
    run = i > 0 && busy[i] === busy[i - 1] + 1 ? run + 1 : 1;
    if (i + 1 === busy.length || busy[i + 1] !== busy[i] + 1) runs.push(run);
  }
  let longest = Math.max(0, ...runs);
  if (runs.length > 1 && busy[0] === 0 && busy.at(-1) === bins - 1) {
    longest = Math.max(longest, runs[0] + runs.at(-1)!);
  }
  return longest;
}

/**
 * The histogram part: the better of a flatness score, one minus the
 * coefficient of variation of the counts over every bin (0 when it is over
 * 1), and a two-level fit, the share of busy bars (less one outlier) whose
 * heights fall into the two most common height buckets, a bucket being 5 %
 * of the tallest bar.
 */
export function histogramScore(
  counts: Map<number, number>,
  bins: number,
): number {
  let total = 0;
  let tallest = 0;
  for (const count of counts.values()) {
    total += count;
    tallest = Math.max(tallest, count);
  }
  const mean = total / bins;
  let squares = (bins - counts.size) * mean * mean;
  for (const count of counts.values()) squares += (count - mean) ** 2;
  const variation = Math.sqrt(squares / bins) / mean;
  const flatness = variation > 1 ? 0 : round3(1 - variation);

  let levels = 0;
  if (counts.size >= BEACON_DEFAULTS.bimodalMinBars) {
    const bucket = Math.ceil(tallest * BEACON_DEFAULTS.modeSensitivity);
    const heights = new Map<number, number>();
    for (const count of counts.values()) {
      const level = Math.floor(count / bucket) * bucket;
      heights.set(level, (heights.get(level) ?? 0) + 1);
    }
    const [first = 0, second = 0] = [...heights.values()]
      .sort((a, b) => b - a);
    const bars = Math.max(counts.size - BEACON_DEFAULTS.bimodalOutliers, 1);
    levels = Math.min(round3((first + second) / bars), 1);
  }
  return Math.max(flatness, levels);
}

/**
 * The duration part, once at least six bins are busy: the better of the
 * share of the window between the pair's first and last second and the
 * longest run of busy bins over twelve, each at most 1.
 */
export function durationScore(
  first: number,
  last: number,
  window: BeaconWindow,
  busyBins: number,
  run: number,
): number {
  if (busyBins < BEACON_DEFAULTS.durationMinBars) return 0;
  const span = window.end - window.start;
  const coverage = Math.min(ceil3((last - first) / span), 1);
  const consistency = Math.min(
    ceil3(run / BEACON_DEFAULTS.consistencyIdealBars),
    1,
  );
  return Math.max(coverage, consistency);
}

/**
 * The highest score a pair of `connections` can reach in a window of
 * `bins` bins, whatever their times and sizes: the duration part needs 6
 * busy bins, so 6 connections; the histogram part needs 11 busy bins for
 * the two-level fit, or more connections than half the bins for any
 * flatness (with n of B bins busy at most, the coefficient of variation is
 * at least the square root of B/n - 1). Lets the analyzer skip fetching
 * pairs that cannot rank.
 *
 * @example
 * ```ts
 * import { scoreCeiling } from "./_beacon_score.ts";
 * if (scoreCeiling(5, 24) !== 0.5 || scoreCeiling(10, 24) !== 0.75) throw 0;
 * ```
 */
export function scoreCeiling(connections: number, bins: number): number {
  const duration = connections >= BEACON_DEFAULTS.durationMinBars ? 1 : 0;
  const histogram = connections >= BEACON_DEFAULTS.bimodalMinBars ||
      2 * connections > bins
    ? 1
    : 0;
  return round3((2 + duration + histogram) / 4);
}

/**
 * Scores one pair. `seconds` holds each connection's start in whole
 * seconds and `sizes` the bytes the source sent in each connection whose
 * size is known; both in any order, and both are sorted in place. Returns
 * undefined for a pair with fewer than four distinct seconds or a window
 * without length. Fewer than three known sizes give a size part of 0.
 *
 * @example
 * ```ts
 * import { scoreBeacon } from "./_beacon_score.ts";
 * const seconds = Array.from({ length: 48 }, (_, i) => i * 1800);
 * const sizes = seconds.map(() => 512);
 * const beacon = scoreBeacon(seconds, sizes, { start: 0, end: 47 * 1800 });
 * if (beacon?.score !== 1) throw new Error("a perfect beacon scores 1");
 * ```
 */
export function scoreBeacon(
  seconds: number[] | Float64Array,
  sizes: number[] | Float64Array,
  window: BeaconWindow,
): BeaconScore | undefined {
  if (window.end <= window.start) return undefined;
  seconds.sort((a, b) => a - b);
  const between = gaps(seconds);
  if (!between) return undefined;
  sizes.sort((a, b) => a - b);

  const ts = regularityScore(between, 1);
  const size = sizes.length >= 3 ? regularityScore(sizes, 0) : 0;
  const bins = binCount(window);
  const counts = histogram(seconds, window, bins);
  const histogramPart = histogramScore(counts, bins);
  const duration = durationScore(
    seconds[0],
    seconds[seconds.length - 1],
    window,
    counts.size,
    longestRun(counts, bins),
  );
  return {
    ts,
    size,
    duration,
    histogram: histogramPart,
    score: round3((ts + size + duration + histogramPart) / 4),
    medianGap: median(between),
  };
}
