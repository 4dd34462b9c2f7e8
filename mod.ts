/**
 * Gummer as a library: the same registry and operations as the command
 * line, for scripts and notebook cells.
 *
 * @example A hunt on generated Squid logs, in memory
 * ```ts
 * import { Workbench } from "./mod.ts";
 * import { squidSample } from "./tools/squid_sample.ts";
 *
 * const env = (name: string) =>
 *   name === "GUMMER_SQLITE" ? ":memory:" : undefined;
 * const bench = await Workbench.open({ env });
 * const lines = [...squidSample({ days: 1, clients: 10 })].join("\n");
 * const input = {
 *   name: "sample.log",
 *   open: () => Promise.resolve(new Blob([lines]).stream()),
 * };
 * await bench.collect("squid", [input]);
 * const result = await bench.analyze("apt_ips", { params: { limit: 3 } });
 * console.log(await bench.render(result, { output: "table" }));
 * await bench.close();
 * ```
 *
 * @example In a notebook: results show as tables, charts as SVG
 * ```ts
 * import { Workbench, gapHistogram } from "./mod.ts";
 * import { squidSample } from "./tools/squid_sample.ts";
 *
 * const bench = await Workbench.open({ connector: ":memory:" });
 * const lines = [...squidSample({ days: 1, clients: 10 })].join("\n");
 * const input = {
 *   name: "sample.log",
 *   open: () => Promise.resolve(new Blob([lines]).stream()),
 * };
 * await bench.collect("squid", [input], { rejectFile: "/dev/null" });
 * const top = await bench.analyze("apt_ips", { params: { limit: 1 } });
 * const calls = await bench.query(
 *   "SELECT time, client_ip FROM squid WHERE host = ? ORDER BY time",
 *   { params: [top.rows[0][0]] },
 * );
 * await bench.close();
 * // The last value of a cell is what the notebook shows:
 * gapHistogram(calls, { group: "client_ip", title: "The beacon's rhythm" });
 * ```
 *
 * @module
 */

export {
  type CollectCallOptions,
  type CollectionReport,
  type DatabaseInfo,
  type RenderOptions,
  Workbench,
  type WorkbenchOptions,
} from "./engine/workbench.ts";
export {
  KINDS,
  type Loaded,
  loadRegistry,
  type Problem,
  Registry,
  type RegistryOptions,
} from "./engine/registry.ts";
export {
  displayable,
  type DisplayableResult,
  type DisplayOptions,
  JUPYTER_DISPLAY,
  type MimeBundle,
} from "./engine/display.ts";
export {
  type Chart,
  chart,
  type ChartOptions,
  gapHistogram,
  type GapHistogramOptions,
  heatmap,
  type HeatmapOptions,
  type RowFilter,
  timeline,
  type TimelineOptions,
  topBars,
  type TopBarsOptions,
} from "./engine/charts.ts";
export { type CliIO, runCli } from "./engine/cli.ts";
export {
  type Config,
  type ConfigFile,
  type Env,
  loadConfig,
  type Profile,
  targetProfile,
} from "./engine/config.ts";
export { GummerError, UsageError } from "./engine/errors.ts";
export {
  fileInput,
  fileMatcher,
  type ResolvedInputs,
  resolveInputs,
  type ResolveOptions,
  stdinInput,
} from "./engine/inputs.ts";
export {
  createLogger,
  type Level,
  type Logger,
  type LogSink,
  memoryLogger,
  silentLogger,
} from "./engine/logger.ts";
export {
  collectLines,
  type LineCollectorSpec,
  type LineParser,
  sniffed,
} from "./engine/collect.ts";
export {
  type GivenValue,
  LIMIT,
  parseAssignments,
  resolveParams,
  SINCE,
  UNTIL,
} from "./engine/params.ts";
export { formatTimestamp, parseTimeBound } from "./engine/time.ts";
export {
  compareText,
  type Condition,
  epochSeconds,
  timestampSeconds,
  timeWindow,
} from "./engine/analysis.ts";
export * from "./engine/types.ts";
