/**
 * The beacon score's parts on series small enough to work out by hand;
 * each expected value is derived in the comment beside it.
 */

import assert from "node:assert/strict";
import {
  binCount,
  deviationScore,
  durationScore,
  gaps,
  histogram,
  histogramScore,
  longestRun,
  median,
  quartiles,
  regularityScore,
  scoreBeacon,
  scoreCeiling,
  skewScore,
} from "../modules/analyzers/network/_beacon_score.ts";

const HOUR = 3600;
const DAY = 86_400;

/** A map of bin to count from a list of counts, empty bins left out. */
function bins(counts: number[]): Map<number, number> {
  return new Map(
    counts.flatMap((count, bin) => count > 0 ? [[bin, count]] : []),
  );
}

Deno.test("median and Tukey's hinges, odd and even counts", () => {
  assert.equal(median([1, 2, 3]), 2);
  assert.equal(median([1, 2, 3, 4]), 2.5);
  // Odd: the middle value (4) is left out of both halves.
  assert.deepEqual(quartiles([1, 2, 3, 4, 5, 6, 7]), [2, 4, 6]);
  // Even: halves [1, 2] and [3, 4].
  assert.deepEqual(quartiles([1, 2, 3, 4]), [1.5, 2.5, 3.5]);
});

Deno.test("Bowley skew: symmetric, skewed, and too narrow to count", () => {
  // Q1 15, Q2 30, Q3 80: skew (15 + 80 - 60) / 65 = 7/13, score 6/13.
  assert.equal(skewScore([10, 20, 30, 60, 100]), 1 - 35 / 65);
  // Q1 3200, Q2 3600, Q3 4000: symmetric.
  assert.equal(skewScore([3000, 3200, 3400, 3600, 3800, 4000, 4200]), 1);
  // Q1 100.5, Q3 105: a spread of 4.5 is under 10, so no skew.
  assert.equal(skewScore([100, 101, 102, 108]), 1);
  // Q2 equals Q1 (both 60): no skew, however wide the spread.
  assert.equal(skewScore([60, 60, 60, 60, 600, 900, 3600]), 1);
});

Deno.test("median absolute deviation against the median", () => {
  // Median 10, deviations 2 1 0 1 2, MAD 1: (10 - 1) / 10.
  assert.equal(deviationScore([8, 9, 10, 11, 12], 1), 0.9);
  // Four of five equal the median: MAD 0.
  assert.equal(deviationScore([10, 10, 10, 10, 20], 1), 1);
  // A median under 1 says nothing: the fallback.
  assert.equal(deviationScore([0, 0, 0, 5], 0), 0);
  assert.equal(deviationScore([0, 0, 0, 5], 1), 1);
  // Median 1, deviations 1 1 0 999 999, MAD 1: nothing left.
  assert.equal(deviationScore([0, 0, 1, 1000, 1000], 1), 0);
});

Deno.test("regularity: the mean of skew and deviation, to 3 decimals", () => {
  // Symmetric (1); MAD 400 of median 3600 (0.8889): 0.9444 -> 0.944.
  const jittered = [3000, 3200, 3400, 3600, 3800, 4000, 4200];
  assert.equal(regularityScore(jittered, 1), 0.944);
  // Q1 60, Q2 120, Q3 600: skew 420/540, score 0.2222; MAD 60 of 120:
  // 0.5; mean 0.3611 -> 0.361.
  assert.equal(regularityScore([60, 60, 60, 120, 300, 600, 3600], 1), 0.361);
  // Nothing sent: no skew (1), median 0 falls back to 0 for sizes.
  assert.equal(regularityScore([0, 0, 0, 0], 0), 0.5);
});

Deno.test("gaps are between distinct seconds, three at least", () => {
  assert.deepEqual([...gaps([0, 0, 10, 20, 30])!], [10, 10, 10]);
  assert.deepEqual([...gaps([0, 5, 5, 20, 22])!], [2, 5, 15]);
  assert.equal(gaps([0, 0, 10, 20]), undefined);
});

Deno.test("histogram: 24 bins up to a day, one an hour beyond", () => {
  assert.equal(binCount({ start: 0, end: 100 }), 24);
  assert.equal(binCount({ start: 0, end: DAY }), 24);
  assert.equal(binCount({ start: 0, end: DAY + 1 }), 25);
  assert.equal(binCount({ start: 0, end: 7 * DAY }), 168);
  // Edges at 0, 3600, ...; before the start goes to bin 0, the end to 23.
  const counts = histogram(
    [-5, 0, 3599, 3600, 7200, DAY],
    { start: 0, end: DAY },
    24,
  );
  assert.deepEqual([...counts], [[0, 3], [1, 1], [2, 1], [23, 1]]);
});

Deno.test("longest run of busy bins, wrapping from the end to the start", () => {
  const busy = bins([1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1]);
  // Runs 3, 1, 4 and a last run of 2 that wraps onto the first: 5.
  assert.equal(longestRun(busy, 14), 5);
  assert.equal(longestRun(bins([0, 1, 1, 0]), 4), 2);
  assert.equal(longestRun(bins([1, 1, 1, 1]), 4), 4);
});

Deno.test("histogram part: flatness, or a fit to two levels", () => {
  // All 24 bins equal: variation 0.
  assert.equal(histogramScore(bins(Array(24).fill(6)), 24), 1);
  // 12 bins of 10 and 12 of 2: variation 4/6, flatness 0.333; two
  // levels hold all 24 bars of 23 counted (one outlier dropped): 1.
  const twoLevels = [...Array(12).fill(10), ...Array(12).fill(2)];
  assert.equal(histogramScore(bins(twoLevels), 24), 1);
  // Three levels of 8 bins (1, 2, 3): variation sqrt(2/3)/2, flatness
  // 0.592; the two largest levels hold 16 of 23 bars: 0.696.
  const three = [...Array(8).fill(1), ...Array(8).fill(2), ...Array(8).fill(3)];
  assert.equal(histogramScore(bins(three), 24), 0.696);
  // One busy bin is too few for the fit, and its variation is over 1.
  assert.equal(histogramScore(bins([48]), 24), 0);
});

Deno.test("duration part: coverage or consistency, from 6 busy bins", () => {
  const day = { start: 0, end: DAY };
  // Half the day covered; a run of 3 of 12 ideal: 0.5.
  assert.equal(durationScore(0, DAY / 2, day, 6, 3), 0.5);
  // A run of 12 busy bins scores 1 whatever the coverage.
  assert.equal(durationScore(0, HOUR, day, 12, 12), 1);
  // Coverage rounds up: 1/3 of the day is 0.334.
  assert.equal(durationScore(0, DAY / 3, day, 6, 1), 0.334);
  assert.equal(durationScore(0, DAY, day, 5, 5), 0);
});

Deno.test("a perfect beacon scores 1, a jittered one less", () => {
  const day = { start: 0, end: DAY };
  // One connection in the middle of each hour, 512 bytes each.
  const perfect = Array.from({ length: 24 }, (_, i) => 1800 + i * HOUR);
  const steady = scoreBeacon([...perfect], perfect.map(() => 512), day)!;
  assert.deepEqual(steady, {
    ts: 1,
    size: 1,
    duration: 1,
    histogram: 1,
    score: 1,
    medianGap: HOUR,
  });

  // Gaps cycle through 3000 ... 4200 three times (21 gaps): hinges
  // 3200, 3600, 4000 (no skew), MAD 400: ts 0.944. Of 22 sizes, 17 are
  // 500 and 5 are 600: every hinge is 500 and the MAD 0: size 1.
  const cycle = [3000, 3200, 3400, 3600, 3800, 4000, 4200];
  const seconds = [0];
  for (let i = 0; i < 21; i++) seconds.push(seconds[i] + cycle[i % 7]);
  const sizes = seconds.map((_, i) => (i % 4 === 3 ? 600 : 500));
  const window = { start: 0, end: seconds.at(-1)! };
  const jittered = scoreBeacon(seconds, sizes, window)!;
  assert.equal(jittered.ts, 0.944);
  assert.equal(jittered.size, 1);
  assert.equal(jittered.medianGap, 3600);
  assert.ok(jittered.score < steady.score);
});

Deno.test("the ceiling of a pair's score from its count alone", () => {
  // Under 6 connections: no duration part, no histogram part.
  assert.equal(scoreCeiling(5, 24), 0.5);
  // 6 to 10 in 24 bins: duration possible; 12 bins of 24 busy at most
  // give a variation of at least 1 and too few bars to fit two levels.
  assert.equal(scoreCeiling(6, 24), 0.75);
  assert.equal(scoreCeiling(10, 24), 0.75);
  assert.equal(scoreCeiling(11, 24), 1);
  // In 8 bins, 5 connections can be flat enough but last too short.
  assert.equal(scoreCeiling(5, 8), 0.75);
  // Ten steady checks from the window's start to its end reach it.
  const ten = Array.from({ length: 10 }, (_, i) => i * (DAY / 9));
  const scored = scoreBeacon(ten, ten.map(() => 64), { start: 0, end: DAY })!;
  assert.equal(scored.score, 0.75);
});

Deno.test("too few distinct seconds or no window: not scored", () => {
  const day = { start: 0, end: DAY };
  assert.equal(scoreBeacon([0, 0, 600, 1200], [1, 1, 1, 1], day), undefined);
  assert.equal(
    scoreBeacon([0, 600, 1200, 1800], [1, 1, 1, 1], { start: 5, end: 5 }),
    undefined,
  );
  // Fewer than three known sizes: a size part of 0.
  const two = scoreBeacon([0, 600, 1200, 1800], [100, 100], day)!;
  assert.equal(two.size, 0);
  assert.equal(two.ts, 1);
});
