/**
 * The contracts between the engine and its four kinds of module.
 *
 * A module is one TypeScript file whose exports form a small typed object:
 * `aid`, `name`, `desc` and `launch`, plus what its kind declares beside
 * them. The `define*` helpers return their argument unchanged; they exist so
 * that a module author gets type errors in the editor and in `deno check`.
 *
 * @module
 */

import type { Logger } from "./logger.ts";

/** A value that crosses the boundary between Gummer and a database. */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

/** The SQL dialects Gummer's connectors speak. */
export type Dialect = "sqlite" | "postgres" | "mysql";

/** Rows as returned by a query: column names, then one array per row. */
export interface Result {
  /** Column names, in order. */
  columns: string[];
  /** One array of values per row, in the order of `columns`. */
  rows: SqlValue[][];
  /** What produced the result, for titles and reports (an analyzer's aid). */
  title?: string;
  /** Remarks a hunter should read beside the rows (missing data, caveats). */
  notes?: string[];
}

/** The portable column types a collector's table may use. */
export type ColumnType = "text" | "integer" | "real" | "timestamp";

/** One column of a collector's table. */
export interface ColumnSpec {
  /** A plain lower-case SQL name. */
  name: string;
  /** The portable type; each connector maps it to its dialect. */
  type: ColumnType;
  /** What the column holds, in the hunter's terms. */
  desc?: string;
}

/** A table as a collector declares it, once, for every dialect. */
export interface TableSpec {
  /** A plain lower-case SQL name, unique across collectors. */
  name: string;
  /** The columns, in the order rows give their values. */
  columns: ColumnSpec[];
  /** Each index is a list of column names, created with the table. */
  indexes?: string[][];
}

/** A statement with its bound parameters. */
export interface Statement {
  /** SQL with `?` placeholders. */
  sql: string;
  /** Values for the statement's `?` placeholders, in order. */
  params?: readonly SqlValue[];
}

/**
 * Rows on their way into a table. A batch that carries `commit` ends a
 * transaction: its statements run after its rows, and all the rows since
 * the previous commit become durable together with them. That is how a
 * collector records how far it got in the same breath as the rows.
 */
export interface Batch {
  /** Values in the order of the table's columns. */
  rows: SqlValue[][];
  /** Statements to run, then commit, after these rows. */
  commit?: Statement[];
}

/** An open database connection, owned by whoever launched the connector. */
export interface Connection {
  /** The SQL dialect this connection speaks. */
  readonly dialect: Dialect;
  /**
   * Runs one statement. Parameters are bound, never spliced: write `?` for
   * each and the connector translates the placeholders for its dialect.
   */
  query(sql: string, params?: readonly SqlValue[]): Promise<Result>;
  /** Whether the database has a table of that name. */
  hasTable(name: string): Promise<boolean>;
  /**
   * Creates a table and its indexes unless they already exist, and adds
   * the declared columns an existing table lacks (`missingColumns` in
   * engine/sql.ts), so that a table made by an older collector takes the
   * rows of a newer one.
   */
  ensureTable(table: TableSpec): Promise<void>;
  /**
   * Inserts rows into a table created by `ensureTable`, through the fastest
   * path the database has (a bulk loader where there is one). Batches are
   * written as they arrive, so the source may stream. A batch with `commit`
   * ends a transaction; rows after the last such batch are committed when
   * the batches end. On an error, rows since the last commit are rolled
   * back. Returns the rows inserted.
   */
  load(
    table: TableSpec,
    batches: AsyncIterable<Batch> | Iterable<Batch>,
  ): Promise<number>;
  /** Releases the connection. Further calls fail. */
  close(): Promise<void>;
}

/** A declared setting of a connector or parameter of an analyzer. */
export interface ParamSpec {
  /**
   * How text from the command line is read. A `time` is ISO 8601 (UTC
   * unless it names a zone) or relative to now (`-24h`, `-7d`); the module
   * receives it as a Gummer time stamp, or "" when not given.
   */
  type: "string" | "integer" | "number" | "boolean" | "time";
  /** Used when nobody gives a value. No default means the value is needed. */
  default?: string | number | boolean;
  /** What the value means, shown by `-l -v`. */
  desc: string;
  /** The smallest value an integer or number may take. */
  min?: number;
  /** The largest value an integer or number may take. */
  max?: number;
  /** For settings: the environment variable that may give the value. */
  env?: string;
}

/** Declared parameters, by name. */
export type ParamSpecs = Record<string, ParamSpec>;

/** Parameter values after validation, by name. */
export type Params = Record<string, string | number | boolean>;

/** What every module exports. */
export interface ModuleBase {
  /** Unique id within the module's kind: lower case, digits, `_`, `-`. */
  aid: string;
  /** A short human name. */
  name: string;
  /** What the module does; for analyzers, what the anomaly suggests. */
  desc: string;
}

/** Options the engine hands to a connector's `launch`. */
export interface ConnectorOptions {
  /** The connector's settings, resolved from config file, env and default. */
  settings: Params;
  /** Where the connector's diagnostics go. */
  logger: Logger;
}

/** A database connector: opens a connection in its dialect. */
export interface ConnectorModule extends ModuleBase {
  /** Settings read from the config file or environment. */
  settings?: ParamSpecs;
  /** Where these settings point, for `-ldb`; never shows a password. */
  target?(settings: Params): string;
  /** Opens a connection; the caller closes it. */
  launch(options: ConnectorOptions): Promise<Connection>;
}

/** One log input: a file on disk or standard input. */
export interface Input {
  /** The name shown in reports: the path as given, or `-` for stdin. */
  name: string;
  /** Opens the raw bytes; gzip is not yet undone. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/** A line a collector could not use, with where and why. */
export interface Failure {
  /** The input's name, as in `Input.name`. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** Why the line is not a row, in words a hunter can act on. */
  reason: string;
}

/** A rejected line with its raw bytes, as handed to the reject sink. */
export interface Rejection extends Failure {
  /** The line as read, without its end of line; cut if it was huge. */
  raw: Uint8Array;
  /** Bytes the line really had, when `raw` was cut. */
  length: number;
}

/** How far a collection has got, for a progress line. */
export interface Progress {
  /** The input being read. */
  file: string;
  /** Lines read from it so far, in this run. */
  lines: number;
  /** Lines set aside from it so far. */
  failed: number;
  /** Whether the input is finished. */
  done: boolean;
}

/** What one input file gave. */
export interface FileReport {
  /** The input's name. */
  file: string;
  /** Lines read, blank ones included. */
  lines: number;
  /** Rows inserted from the file. */
  inserted: number;
  /** Lines set aside. */
  failed: number;
  /** Lines an earlier collection of the same content already loaded. */
  skipped?: number;
  /** Lines that were headers or comments: neither rows nor failures. */
  headers?: number;
  /** Collector-specific facts about the file, such as the format it used. */
  detail?: string;
}

/** What a collection did, returned by every collector. */
export interface CollectReport {
  /** Rows inserted, over all inputs. */
  inserted: number;
  /** Lines set aside, over all inputs. */
  failed: number;
  /** One report per input, in the order read. */
  files: FileReport[];
  /** The first failures, in order; all of them reach the reject sink. */
  failures: Failure[];
}

/** Options the engine hands to a collector's `launch`. */
export interface CollectOptions {
  /** Where the collector's diagnostics go. */
  logger: Logger;
  /** Receives every rejected line; the engine writes them to a file. */
  reject(rejection: Rejection): void;
  /** Rows per batch handed to `Connection.load`. */
  batchSize?: number;
  /** Seconds of work between commits; default 2. */
  commitSeconds?: number;
  /** The collector's parameters, checked against its `params`. */
  params?: Params;
  /** Told how a collection is going, after each batch and each file. */
  progress?(progress: Progress): void;
  /** Stops the collection between batches when aborted. */
  signal?: AbortSignal;
}

/** A collector: parses logs and inserts their rows. */
export interface CollectorModule extends ModuleBase {
  /**
   * The tables the collector writes; empty when they come from parameters
   * and input (a generic CSV collector's).
   */
  tables: TableSpec[];
  /** Parameters `-p key=value` may set, such as the year of syslog lines. */
  params?: ParamSpecs;
  /**
   * Name patterns (`*.log`, `*.json`) of the files this collector reads
   * when given a folder; other files there are passed over and listed.
   * Default: every file.
   */
  files?: string[];
  /** Parses the inputs, inserts their rows and reports what it did. */
  launch(
    connection: Connection,
    inputs: Input[],
    options: CollectOptions,
  ): Promise<CollectReport>;
}

/** An analyzer: one anomaly, one query. */
export interface AnalyzerModule extends ModuleBase {
  /** What the analyzer tests: the attacker behaviour that would show. */
  hypothesis?: string;
  /** MITRE ATT&CK technique ids it relates to, such as `T1071.001`. */
  mitre?: string[];
  /** What else produces the same signal, and how to tell it apart. */
  falsePositives?: string;
  /**
   * The tables the analyzer reads. It runs when at least one exists; it
   * must check the others with `Connection.hasTable` before reading them,
   * and the engine adds a note naming each missing one to the result.
   */
  tables?: string[];
  /** Parameters `-p key=value` may set, validated before `launch`. */
  params?: ParamSpecs;
  /** Runs the analysis with validated parameters. */
  launch(connection: Connection, params: Params): Promise<Result>;
}

/** Where an output sends its text. */
export interface OutputOptions {
  /** Writes text to stdout, a file or a string, in order. */
  write(text: string): Promise<void>;
  /** Columns the output may use; unset when there is no terminal. */
  width?: number;
}

/** An output: renders or forwards a result. */
export interface OutputModule extends ModuleBase {
  /** Renders the result through `options.write`. */
  launch(result: Result, options: OutputOptions): Promise<void>;
}

/** The four kinds of module, by the folder that holds them. */
export interface ModuleKinds {
  /** Modules in `collectors/`. */
  collectors: CollectorModule;
  /** Modules in `analyzers/`. */
  analyzers: AnalyzerModule;
  /** Modules in `connectors/`. */
  connectors: ConnectorModule;
  /** Modules in `outputs/`. */
  outputs: OutputModule;
}

/** A kind of module, named after its folder under `modules/`. */
export type Kind = keyof ModuleKinds;

/** Type-checks a collector module's exports. */
export function defineCollector(module: CollectorModule): CollectorModule {
  return module;
}

/** Type-checks an analyzer module's exports. */
export function defineAnalyzer(module: AnalyzerModule): AnalyzerModule {
  return module;
}

/** Type-checks a connector module's exports. */
export function defineConnector(module: ConnectorModule): ConnectorModule {
  return module;
}

/** Type-checks an output module's exports. */
export function defineOutput(module: OutputModule): OutputModule {
  return module;
}
