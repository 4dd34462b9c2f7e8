/**
 * Diagnostics. Library code never prints: it takes a `Logger` and the caller
 * decides where messages go. The CLI's logger writes to stderr, and to a
 * file when `GUMMER_LOG_FILE` names one.
 *
 * @module
 */

/** Message levels, most detailed first. */
export type Level = "debug" | "info" | "warn" | "error";

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Where diagnostics go. Every method may be called from library code. */
export interface Logger {
  /** Every query and step, for finding out what happened. */
  debug(message: string): void;
  /** Progress a hunter may want to see with -v. */
  info(message: string): void;
  /** Something was skipped or may be wrong; the run goes on. */
  warn(message: string): void;
  /** The run cannot do what was asked. */
  error(message: string): void;
}

/** A logger that drops everything: the default for library callers. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** One place a logger writes to, with the lowest level it accepts. */
export interface LogSink {
  /** The least severe level written. */
  level: Level;
  /** Receives each formatted line, without its line end. */
  write(line: string): void;
  /** Prefix each line with an ISO time stamp (for files). */
  timestamps?: boolean;
}

/**
 * Builds a logger that writes each message to every sink whose level
 * admits it.
 */
export function createLogger(sinks: LogSink[]): Logger {
  const emit = (level: Level, message: string) => {
    for (const sink of sinks) {
      if (RANK[level] < RANK[sink.level]) continue;
      const stamp = sink.timestamps ? `${new Date().toISOString()} ` : "";
      sink.write(`${stamp}${level}: ${message}`);
    }
  };
  return {
    debug: (message) => emit("debug", message),
    info: (message) => emit("info", message),
    warn: (message) => emit("warn", message),
    error: (message) => emit("error", message),
  };
}

/** A logger that keeps messages in memory, for tests and notebooks. */
export function memoryLogger(level: Level = "debug"): Logger & {
  lines: string[];
} {
  const lines: string[] = [];
  return { lines, ...createLogger([{ level, write: (l) => lines.push(l) }]) };
}
