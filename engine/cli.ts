/**
 * The command line: the original tool's flags over the workbench. Data goes
 * to stdout (or `--out`), diagnostics to stderr. Exit status 0 on success,
 * 1 on a failure at run time, 2 on a usage error; a user's mistake never
 * shows a stack trace.
 *
 * @module
 */

import { createLogger, type Level, type LogSink } from "./logger.ts";
import { GummerError, messageOf, UsageError } from "./errors.ts";
import { parseAssignments } from "./params.ts";
import { displayPath, type Problem } from "./registry.ts";
import type { CollectionReport } from "./workbench.ts";
import { Workbench } from "./workbench.ts";
import type { AnalyzerModule, Kind, ModuleBase, Progress } from "./types.ts";

/** The version the CLI reports. */
export const VERSION = "0.1.0";

const USAGE = `Usage: gummer [options] [log files]

Hunts malware through anomalies in logs kept in a database.

  -h,   --help                 show this help and exit
  -l,   --list_anal            list the analyzers (-l -v: all they declare)
        --describe ID          what an analyzer tests, its ATT&CK
                               techniques, tables, parameters and false
                               positives
  -ldb, --list_databases       list the database connectors
  -lo,  --list_outputs         list the outputs
  -lc,  --list_collectors      list the collectors
  -a,   --analyzer ID          run an analyzer
  -db,  --dbconnector ID       database connector (default: sqlite)
  -o,   --output ID            output of the analyzer (default: table)
  -c,   --collector ID         collect the log files given as arguments
                               (- for standard input, .gz read as is)
  -p,   --param KEY=VALUE      set an analyzer parameter (repeatable)
        --out FILE             write the output to FILE instead of stdout
        --modules DIR          also load modules from DIR (repeatable)
  -v,   --verbose              more diagnostics; -v -v logs every query
  -q,   --quiet                only errors on stderr
        --version              print the version and exit

With -c and -a together, the logs are collected first, then analyzed.
Environment: GUMMER_SQLITE (database file), GUMMER_PATH (module folders),
GUMMER_CONFIG (config file, default ./gummer.json), GUMMER_LOG_FILE.
`;

/** What the command line asked for, after parsing. */
export interface CliArgs {
  help: boolean;
  version: boolean;
  list: Kind[];
  describe?: string;
  analyzer?: string;
  connector?: string;
  output?: string;
  collector?: string;
  params: string[];
  out?: string;
  modules: string[];
  verbosity: number;
  quiet: boolean;
  files: string[];
}

type Flag =
  | { kind: "switch"; apply: (args: CliArgs) => void }
  | { kind: "value"; apply: (args: CliArgs, value: string) => void };

const sw = (apply: (args: CliArgs) => void): Flag => ({
  kind: "switch",
  apply,
});
const val = (apply: (args: CliArgs, value: string) => void): Flag => ({
  kind: "value",
  apply,
});

// The original tool's flags include multi-letter short forms (-ldb, -lo,
// -lc, -db), which node:util parseArgs cannot express; hence a table.
const FLAGS: Record<string, Flag> = {
  "-h": sw((a) => a.help = true),
  "--help": sw((a) => a.help = true),
  "-l": sw((a) => a.list.push("analyzers")),
  "--list_anal": sw((a) => a.list.push("analyzers")),
  "-ldb": sw((a) => a.list.push("connectors")),
  "--list_databases": sw((a) => a.list.push("connectors")),
  "-lo": sw((a) => a.list.push("outputs")),
  "--list_outputs": sw((a) => a.list.push("outputs")),
  "-lc": sw((a) => a.list.push("collectors")),
  "--list_collectors": sw((a) => a.list.push("collectors")),
  "--describe": val((a, v) => a.describe = v),
  "-a": val((a, v) => a.analyzer = v),
  "--analyzer": val((a, v) => a.analyzer = v),
  "-db": val((a, v) => a.connector = v),
  "--dbconnector": val((a, v) => a.connector = v),
  "-o": val((a, v) => a.output = v),
  "--output": val((a, v) => a.output = v),
  "-c": val((a, v) => a.collector = v),
  "--collector": val((a, v) => a.collector = v),
  "-p": val((a, v) => a.params.push(v)),
  "--param": val((a, v) => a.params.push(v)),
  "--out": val((a, v) => a.out = v),
  "--modules": val((a, v) => a.modules.push(v)),
  "-v": sw((a) => a.verbosity++),
  "--verbose": sw((a) => a.verbosity++),
  "-q": sw((a) => a.quiet = true),
  "--quiet": sw((a) => a.quiet = true),
  "--version": sw((a) => a.version = true),
};

/**
 * Parses the command line. Throws `UsageError` for an unknown flag, a flag
 * without its value, or a combination that makes no sense.
 */
export function parseCli(argv: string[]): CliArgs {
  const args: CliArgs = {
    help: false,
    version: false,
    list: [],
    params: [],
    modules: [],
    verbosity: 0,
    quiet: false,
    files: [],
  };

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === "--") {
      args.files.push(...argv.slice(i + 1));
      break;
    }
    if (word === "-" || !word.startsWith("-")) {
      args.files.push(word);
      continue;
    }

    const equals = word.startsWith("--") ? word.indexOf("=") : -1;
    const key = equals > 0 ? word.slice(0, equals) : word;
    const flag = FLAGS[key];
    if (!flag) throw new UsageError(`Unknown option ${word}. ${HELP_HINT}`);
    if (flag.kind === "switch") {
      if (equals > 0) throw new UsageError(`${key} takes no value.`);
      flag.apply(args);
      continue;
    }
    const value = equals > 0 ? word.slice(equals + 1) : argv[++i];
    if (value === undefined || (equals < 0 && isFlag(value))) {
      throw new UsageError(`${key} needs a value. ${HELP_HINT}`);
    }
    flag.apply(args, value);
  }

  return checkCombination(args);
}

const HELP_HINT = "Run with -h for help.";

function isFlag(word: string): boolean {
  return word.startsWith("-") && word !== "-";
}

function checkCombination(args: CliArgs): CliArgs {
  if (args.quiet && args.verbosity > 0) {
    throw new UsageError("-q and -v cannot be used together.");
  }
  if (args.files.length > 0 && !args.collector) {
    throw new UsageError(
      `Log files (${args.files[0]}) were given without a collector: add ` +
        "-c ID (see -lc).",
    );
  }
  if (args.collector && args.files.length === 0) {
    throw new UsageError(
      `-c ${args.collector} needs log files to collect (- for standard ` +
        "input).",
    );
  }
  if (args.params.length > 0 && !args.analyzer && !args.collector) {
    throw new UsageError(
      "-p sets parameters of an analyzer or a collector: add -a ID or -c ID.",
    );
  }
  const acts = args.help || args.version || args.list.length > 0 ||
    args.describe || args.analyzer || args.collector;
  if (!acts) {
    throw new UsageError(
      "Nothing to do: give -a ID to analyze, -c ID to collect, or -l to " +
        `list. ${HELP_HINT}`,
    );
  }
  return args;
}

/** The streams the CLI writes to; tests may pass their own. */
export interface CliIO {
  /** Receives results, in order. */
  stdout: (text: string) => Promise<void>;
  /** Receives diagnostics. */
  stderr: (text: string) => void;
  /** The terminal's width when stdout is a terminal. */
  width?: number;
  /** Whether stderr is a terminal, where a progress line may be drawn. */
  stderrIsTerminal?: boolean;
}

/**
 * Runs the command line and returns its exit status. Never throws: every
 * error becomes a message on stderr and a status.
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (error) {
    io.stderr(`gummer: ${messageOf(error)}\n`);
    return 2;
  }
  if (args.help) {
    await io.stdout(USAGE);
    return 0;
  }
  if (args.version) {
    await io.stdout(`gummer ${VERSION}\n`);
    return 0;
  }

  const level: Level = args.quiet
    ? "error"
    : args.verbosity >= 2
    ? "debug"
    : args.verbosity === 1
    ? "info"
    : "warn";
  const logger = createLogger(logSinks(level, io));

  let bench: Workbench | undefined;
  try {
    bench = await Workbench.open({
      modules: args.modules,
      logger,
      connector: args.connector,
    });
    reportProblems(bench.registry.problems, logger.warn);
    for (const [i, kind] of args.list.entries()) {
      if (i > 0) await io.stdout("\n");
      await io.stdout(
        kind === "connectors"
          ? formatDatabases(bench)
          : formatList(bench, kind, args.verbosity > 0),
      );
    }
    if (args.describe) {
      if (args.list.length > 0) await io.stdout("\n");
      await io.stdout(describeAnalyzer(bench, args.describe));
    }
    if (args.collector) {
      const progress = io.stderrIsTerminal && !args.quiet
        ? progressLine(io)
        : undefined;
      const report = await bench.collect(args.collector, args.files, {
        progress: progress?.update,
        params: routeParams(bench, args).collector,
      });
      progress?.clear();
      if (!args.quiet) io.stderr(formatReport(args.collector, report));
    }
    if (args.analyzer) await analyzeAndRender(bench, args, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`gummer: ${error.message}\n`);
      return 2;
    }
    if (error instanceof GummerError) {
      io.stderr(`gummer: ${error.message}\n`);
      logger.debug(`cause: ${causeChain(error)}`);
      return 1;
    }
    // Not a user's mistake: a defect. Show the stack only when asked to.
    io.stderr(`gummer: unexpected error: ${messageOf(error)}\n`);
    const stack = error instanceof Error ? error.stack : undefined;
    if (args.verbosity > 0 && stack) io.stderr(`${stack}\n`);
    else io.stderr("Run again with -v for details.\n");
    return 1;
  } finally {
    await bench?.close();
  }
}

async function analyzeAndRender(
  bench: Workbench,
  args: CliArgs,
  io: CliIO,
): Promise<void> {
  const output = args.output ?? bench.config.output;
  bench.registry.get("outputs", output);
  const params = routeParams(bench, args).analyzer;
  const result = await bench.analyze(args.analyzer!, { params });
  for (const note of result.notes ?? []) io.stderr(`note: ${note}\n`);

  if (!args.out) {
    await bench.render(result, { output, write: io.stdout, width: io.width });
    return;
  }
  const file = await openOut(args.out);
  const encoder = new TextEncoder();
  const writer = file.writable.getWriter();
  try {
    await bench.render(result, {
      output,
      write: (text) => writer.write(encoder.encode(text)),
    });
  } finally {
    await writer.close();
  }
}

async function openOut(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new GummerError(`Cannot write "${path}": ${messageOf(error)}`);
  }
}

/**
 * Sends each `-p key=value` to the module that declares the key. With only
 * -a or only -c, that module gets them all and checks them itself; with
 * both, a key goes to whichever declares it (to both when both do).
 */
function routeParams(
  bench: Workbench,
  args: CliArgs,
): { analyzer: Record<string, string>; collector: Record<string, string> } {
  const given = parseAssignments(args.params);
  if (!args.analyzer || !args.collector) {
    return { analyzer: given, collector: given };
  }

  const analyzer = bench.registry.get("analyzers", args.analyzer);
  const collector = bench.registry.get("collectors", args.collector);
  const routed = { analyzer: {}, collector: {} } as ReturnType<
    typeof routeParams
  >;
  for (const [key, value] of Object.entries(given)) {
    const toAnalyzer = key in (analyzer.params ?? {});
    const toCollector = key in (collector.params ?? {});
    if (!toAnalyzer && !toCollector) {
      throw new UsageError(
        `Neither the analyzer ${args.analyzer} nor the collector ` +
          `${args.collector} has a parameter "${key}".`,
      );
    }
    if (toAnalyzer) routed.analyzer[key] = value;
    if (toCollector) routed.collector[key] = value;
  }
  return routed;
}

/** A list as the original printed it: `[aid] name`, description beneath. */
export function formatList(bench: Workbench, kind: Kind, verbose: boolean) {
  const lines: string[] = [];
  for (const { module, file } of bench.list(kind)) {
    lines.push(`[${module.aid}] ${module.name}`);
    lines.push(...wrap(module.desc, 76).map((line) => `    ${line}`));
    if (verbose) {
      lines.push(...details(module, displayPath(file), kind === "analyzers"));
    }
  }
  if (lines.length === 0) lines.push(`(no ${kind})`);
  return `${lines.join("\n")}\n`;
}

/**
 * The connectors and the config file's profiles, each with where it
 * points; passwords are masked by the connectors themselves.
 */
export function formatDatabases(bench: Workbench): string {
  const lines: string[] = [];
  for (const database of bench.databases()) {
    lines.push(`[${database.id}] ${database.name}`);
    lines.push(...wrap(database.desc, 76).map((line) => `    ${line}`));
    if (database.target) lines.push(`    target: ${database.target}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Everything an analyzer declares, for `--describe ID`. */
export function describeAnalyzer(bench: Workbench, aid: string): string {
  const module = bench.registry.get("analyzers", aid);
  const { file } = bench.registry.list("analyzers")
    .find((loaded) => loaded.module === module)!;
  const lines = [`[${module.aid}] ${module.name}`];
  lines.push(...wrap(module.desc, 76).map((line) => `    ${line}`));
  lines.push(...details(module, displayPath(file), true));
  return `${lines.join("\n")}\n`;
}

function details(
  module: ModuleBase,
  file: string,
  analyzer: boolean,
): string[] {
  const lines = [`    file: ${file}`];
  if (analyzer) lines.push(...declared(module as AnalyzerModule));
  const specs = "params" in module
    ? module.params
    : "settings" in module
    ? module.settings
    : undefined;
  for (const [key, spec] of Object.entries(specs ?? {})) {
    const given = spec.default === undefined ? "" : ` = ${spec.default}`;
    const env = spec.env ? ` (env ${spec.env})` : "";
    lines.push(`    -p ${key}${given}: ${spec.type}, ${spec.desc}${env}`);
  }
  return lines;
}

/** An analyzer's declarations beyond its description, as text lines. */
function declared(module: AnalyzerModule): string[] {
  const lines: string[] = [];
  const block = (title: string, text: string | undefined) => {
    if (!text) return;
    lines.push(`    ${title}:`);
    lines.push(...wrap(text, 72).map((line) => `      ${line}`));
  };
  block("hypothesis", module.hypothesis);
  if (module.mitre?.length) {
    lines.push(`    ATT&CK: ${module.mitre.join(", ")}`);
  }
  if (module.tables?.length) {
    lines.push(`    tables: ${module.tables.join(", ")}`);
  }
  block("false positives", module.falsePositives);
  return lines;
}

/** The collection summary printed on stderr. */
export function formatReport(aid: string, report: CollectionReport): string {
  const lines = [];
  for (const file of report.files) {
    const skipped =
      (file.skipped ? `, ${file.skipped} lines already collected` : "") +
      (file.headers ? `, ${file.headers} header lines` : "");
    const detail = file.detail ? ` (${file.detail})` : "";
    lines.push(
      `${file.file}: ${file.inserted} inserted, ${file.failed} failed` +
        `${skipped}${detail}`,
    );
  }
  lines.push(`${aid}: ${report.inserted} inserted, ${report.failed} failed`);
  for (const failure of report.failures.slice(0, 10)) {
    lines.push(`  ${failure.file}:${failure.line}: ${failure.reason}`);
  }
  if (report.failed > 10) {
    lines.push(`  ... and ${report.failed - 10} more`);
  }
  if (report.passedOver) {
    const shown = report.passedOver.slice(0, 5).join(", ");
    const more = report.passedOver.length > 5
      ? ` and ${report.passedOver.length - 5} more`
      : "";
    lines.push(`Passed over, not ${aid} logs: ${shown}${more}`);
  }
  if (report.rejectFile) {
    lines.push(`Rejected lines were appended to ${report.rejectFile}`);
  }
  return `${lines.join("\n")}\n`;
}

/** How often the progress line is redrawn, at most. */
const PROGRESS_MS = 250;

/**
 * A line on the terminal, redrawn in place, saying how a collection goes:
 * the file, lines read, lines per second and lines set aside. Only drawn
 * when stderr is a terminal, so pipes and logs stay clean.
 */
export function progressLine(io: CliIO): {
  update(progress: Progress): void;
  clear(): void;
} {
  const started = performance.now();
  let files = 0;
  let drawn = 0;
  let total = 0;
  let current = "";
  let shown = false;

  return {
    update(progress) {
      if (progress.file !== current) {
        current = progress.file;
        files++;
      }
      const now = performance.now();
      if (!progress.done && now - drawn < PROGRESS_MS) return;
      drawn = now;
      const lines = total + progress.lines;
      if (progress.done) total = lines;
      const rate = Math.round(lines / Math.max((now - started) / 1000, 0.001));
      io.stderr(
        `\r\x1b[K${files} files, ${lines} lines, ${rate} lines/s, ` +
          `${progress.failed} rejected in ${progress.file}`,
      );
      shown = true;
    },
    clear() {
      if (shown) io.stderr("\r\x1b[K");
    },
  };
}

function reportProblems(
  problems: Problem[],
  warn: (message: string) => void,
): void {
  for (const problem of problems) {
    warn(`skipped module ${displayPath(problem.file)}: ${problem.reason}`);
  }
}

/**
 * Diagnostics go to stderr at the chosen level and, when GUMMER_LOG_FILE
 * names a file, to it as well with every query: the file is for finding out
 * afterwards what a run did.
 */
function logSinks(level: Level, io: CliIO): LogSink[] {
  const stderr: LogSink = { level, write: (line) => io.stderr(`${line}\n`) };
  const logFile = Deno.env.get("GUMMER_LOG_FILE");
  if (!logFile) return [stderr];

  let file: Deno.FsFile;
  try {
    file = Deno.openSync(logFile, { append: true, create: true });
  } catch (error) {
    stderr.write(
      `warn: cannot write the log file "${logFile}": ${messageOf(error)}`,
    );
    return [stderr];
  }
  const encoder = new TextEncoder();
  const toFile: LogSink = {
    level: "debug",
    timestamps: true,
    write: (line) => void file.writeSync(encoder.encode(`${line}\n`)),
  };
  return [stderr, toFile];
}

function causeChain(error: Error): string {
  const causes: string[] = [];
  for (let e: unknown = error.cause; e; e = (e as Error).cause) {
    causes.push(messageOf(e));
  }
  return causes.join(" <- ") || "none";
}

/** Wraps prose at word boundaries for the lists. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
