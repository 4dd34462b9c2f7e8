/**
 * The network analyzers' part of `deno task bench`: each analyzer that
 * reads zeek_conn runs on generated conn rows and is timed against a plain
 * `GROUP BY` of the same rows on the same database, the cost of one scan.
 * Run at two sizes, ten times apart, to show how time grows with rows.
 * Targets: at most 5 times the scan; ten times the rows, at most twelve
 * times the time. Each time is the median of three runs, and the scan's
 * own growth is shown beside the analyzer's: where the scan grows faster
 * than the rows (caches outgrown), so does every analyzer.
 *
 * @module
 */

import { join } from "node:path";
import type { Workbench } from "../engine/workbench.ts";
import { ZEEK_CONN_HEADER } from "./bench_formats.ts";
import { createTarget, type Kind, unavailable } from "./test_targets.ts";

const START_SECONDS = Date.UTC(2026, 10, 2) / 1000;
const DAY_SECONDS = 86_400;
const SOURCES = 2_000;
const DESTINATIONS = 1_000;
const BEACONS = 200;

/** A 32-bit mix of a number, so that rows spread evenly but reproducibly. */
function mix(i: number): number {
  let x = (i + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A day of conn rows: a fifth from 200 pairs that check in at a steady
 * interval with steady sizes (beacons), the rest spread over 2,000 sources
 * and 1,000 destinations at random times, in time order overall enough for
 * Zeek (each row's time follows its index).
 */
export function connRow(i: number, count: number): string {
  const ts = START_SECONDS + (i / count) * DAY_SECONDS;
  const r = mix(i);
  const beacon = r % 5 === 0;
  const pair = beacon ? (r >>> 3) % BEACONS : -1;
  const source = beacon ? pair * 7 % SOURCES : (r >>> 3) % SOURCES;
  const destination = beacon
    ? pair
    : BEACONS + (mix(r) % (DESTINATIONS - BEACONS));
  const bytes = beacon ? 512 + (pair % 7) : mix(i + 1) % 200_000;
  return [
    ts.toFixed(6),
    `C${r.toString(36)}${i.toString(36)}`,
    `10.1.${source >> 8}.${source & 255}`,
    String(1024 + (r % 60_000)),
    `203.0.${destination >> 8}.${destination & 255}`,
    beacon ? "443" : String([80, 443, 53, 22, 8080][r % 5]),
    "tcp",
    beacon ? "ssl" : "-",
    ((r % 5000) / 100).toFixed(6),
    String(bytes),
    String(mix(i + 2) % 500_000),
    ["SF", "S0", "REJ", "RSTO", "SH"][r % 5],
    "T",
    "F",
    "0",
    "ShADadFf",
    "10",
    "800",
    "12",
    "9000",
    "(empty)",
  ].join("\t");
}

/** Writes `count` conn rows as a Zeek TSV log. */
export function writeConnLog(dir: string, count: number): string {
  const path = join(dir, `conn-${count}.log`);
  const file = Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  file.writeSync(encoder.encode(`${ZEEK_CONN_HEADER}\n`));
  for (let start = 0; start < count; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(count, start + 10_000); i++) {
      lines.push(connRow(i, count));
    }
    file.writeSync(encoder.encode(lines.join("\n") + "\n"));
  }
  file.close();
  return path;
}

/** The plain scan every analyzer is compared with. */
const SCAN = `SELECT id_orig_h, id_resp_h, COUNT(*) AS connections,
  SUM(orig_bytes) AS sent FROM zeek_conn GROUP BY id_orig_h, id_resp_h`;

/** One analyzer's time against the scan, at one size. */
export interface AnalyzerTiming {
  kind: Kind;
  rows: number;
  analyzer: string;
  seconds: number;
  scanSeconds: number;
}

/** Runs per measurement; the median is kept, so one hiccup does not count. */
const RUNS = 3;

/** The median seconds of `RUNS` runs of `work`. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await work();
    seconds.push((performance.now() - started) / 1000);
  }
  return seconds.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

/** Times every analyzer that reads zeek_conn on one database, one size. */
async function timeOn(
  kind: Kind,
  log: string,
  rows: number,
  only?: string[],
): Promise<AnalyzerTiming[]> {
  const target = await createTarget(kind);
  const bench: Workbench = await target.open();
  try {
    const report = await bench.collect("zeek", [log], {
      rejectFile: join(Deno.makeTempDirSync(), "rejects.ndjson"),
    });
    if (report.inserted !== rows) {
      throw new Error(`collected ${report.inserted} of ${rows} conn rows`);
    }
    const analyzers = bench.list("analyzers")
      .map(({ module }) => module)
      .filter((module) => module.tables?.includes("zeek_conn"))
      .filter((module) => !only || only.includes(module.aid));
    // Warm the caches the same way for both sides.
    await bench.query(SCAN);
    const timings: AnalyzerTiming[] = [];
    for (const module of analyzers) {
      const scanSeconds = await timed(() => bench.query(SCAN));
      const seconds = await timed(() => bench.analyze(module.aid));
      timings.push({ kind, rows, analyzer: module.aid, seconds, scanSeconds });
    }
    return timings;
  } finally {
    await bench.close();
    await target.drop();
  }
}

/**
 * Times the network analyzers at `count / 10` and `count` rows on each
 * database and returns the table's rows: analyzer, database, seconds at
 * both sizes, the scan's seconds and the ratio to it at the larger size,
 * the analyzer's growth and the scan's.
 */
export async function benchAnalyzers(
  dir: string,
  count: number,
  kinds: Kind[],
  say: (text: string) => void,
  only?: string[],
): Promise<string[][]> {
  const small = Math.max(1, Math.floor(count / 10));
  const logs = {
    small: writeConnLog(dir, small),
    large: writeConnLog(dir, count),
  };
  const rows: string[][] = [];
  for (const kind of kinds) {
    const skip = unavailable(kind);
    if (skip) {
      say(`analyzers on ${kind}: ${skip}\n`);
      continue;
    }
    say(`analyzers on ${kind}: ${small} and ${count} conn rows ...\n`);
    const before = await timeOn(kind, logs.small, small, only);
    const after = await timeOn(kind, logs.large, count, only);
    for (const timing of after) {
      const earlier = before.find((t) => t.analyzer === timing.analyzer)!;
      rows.push([
        timing.analyzer,
        kind,
        earlier.seconds.toFixed(2),
        timing.seconds.toFixed(2),
        timing.scanSeconds.toFixed(2),
        (timing.seconds / timing.scanSeconds).toFixed(2),
        (timing.seconds / earlier.seconds).toFixed(1),
        (timing.scanSeconds / earlier.scanSeconds).toFixed(1),
      ]);
    }
  }
  return rows;
}

/** The header of the table `benchAnalyzers` returns. */
export function analyzerHeader(count: number): string[] {
  return [
    "analyzer",
    "database",
    `s at ${Math.floor(count / 10)}`,
    `s at ${count}`,
    "scan s",
    "x scan",
    "growth",
    "scan growth",
  ];
}
