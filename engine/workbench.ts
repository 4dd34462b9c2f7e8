/**
 * The workbench: everything the command line does, as a library. A script
 * or a notebook cell opens one, then lists modules, collects logs, runs
 * analyzers and renders results through it; the CLI is a thin layer on top.
 *
 * @module
 */

import {
  type Config,
  type Env,
  loadConfig,
  type Profile,
  targetProfile,
} from "./config.ts";
import { displayable } from "./display.ts";
import { GummerError, messageOf, UsageError } from "./errors.ts";
import { resolveInputs } from "./inputs.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { type GivenValue, resolveParams } from "./params.ts";
import { type Loaded, loadRegistry, type Registry } from "./registry.ts";
import { rejectFile } from "./rejects.ts";
import { maskUrl } from "./sql.ts";
import type {
  CollectReport,
  Connection,
  ConnectorModule,
  Input,
  Kind,
  Params,
  Progress,
  Result,
  SqlValue,
} from "./types.ts";

/** How to open a workbench. Every field is optional. */
export interface WorkbenchOptions {
  /** Extra module roots, searched after `GUMMER_PATH` and the config file's. */
  modules?: string[];
  /** Where diagnostics go. Default: nowhere. */
  logger?: Logger;
  /** Environment lookup. Default: the process environment. */
  env?: Env;
  /**
   * The database used when a call names none: a connector id, a profile's
   * name, a database URL (`postgres://`, `mysql://`) or the path of a
   * SQLite file (`cases/acme.db`). Default: from the config, sqlite.
   */
  connector?: string;
}

/** What a collection did, and where its rejected lines went. */
export interface CollectionReport extends CollectReport {
  /** The reject file, when any line was rejected. */
  rejectFile?: string;
  /** Files in named folders that the collector does not read. */
  passedOver?: string[];
}

/** Options of `Workbench.collect`. */
export interface CollectCallOptions {
  /** The connector to collect into. Default: the workbench's. */
  connector?: string;
  /** Where rejected lines go. Default: beside the SQLite file, or here. */
  rejectFile?: string;
  /** Rows per batch handed to the database. */
  batchSize?: number;
  /** Stops the collection between batches when aborted. */
  signal?: AbortSignal;
  /** Told how the collection is going, after each batch and each file. */
  progress?: (progress: Progress) => void;
  /** The collector's parameters, as text or typed, checked on the way. */
  params?: Record<string, GivenValue | undefined>;
}

/** A database `-db` can name, as `-ldb` lists it. */
export interface DatabaseInfo {
  /** What `-db` takes: a connector's aid or a profile's name. */
  id: string;
  /** The connector behind it. */
  driver: string;
  /** The connector's name, or what kind of profile it is. */
  name: string;
  /** What it is. */
  desc: string;
  /** Where it points, passwords masked; empty when there is nothing to say. */
  target: string;
}

/** Options of `Workbench.render`. */
export interface RenderOptions {
  /** The output's aid. Default: from the config, else table. */
  output?: string;
  /** Where the text goes. Default: returned as a string. */
  write?: (text: string) => Promise<void>;
  /** The terminal's width for outputs that fit it; unset means no limit. */
  width?: number;
}

/**
 * The registry, the resolved configuration and the open connections, with
 * the operations of the command line.
 *
 * @example Collecting a log and running an analyzer, in memory
 * ```ts
 * import { Workbench } from "./workbench.ts";
 *
 * const line = "1762071300.000 10 10.20.1.5 TCP_MISS/200 500 GET " +
 *   "http://203.0.113.9/a - HIER_DIRECT/203.0.113.9 text/html\n";
 * const input = {
 *   name: "access.log",
 *   open: () => Promise.resolve(new Blob([line]).stream()),
 * };
 * const env = (name: string) =>
 *   name === "GUMMER_SQLITE" ? ":memory:" : undefined;
 *
 * const bench = await Workbench.open({ env });
 * await bench.collect("squid", [input], { rejectFile: "/dev/null" });
 * const result = await bench.analyze("apt_ips", { params: { limit: 5 } });
 * await bench.close();
 * if (result.rows[0][0] !== "203.0.113.9") throw new Error("not found");
 * ```
 */
export class Workbench {
  /** Every module found, by kind and aid. */
  readonly registry: Registry;
  /** Options from the config file and the environment. */
  readonly config: Config;
  /** Where diagnostics go. */
  readonly logger: Logger;
  readonly #defaultConnector: string;
  readonly #connections = new Map<string, Promise<Connection>>();

  private constructor(
    registry: Registry,
    config: Config,
    options: WorkbenchOptions,
  ) {
    this.registry = registry;
    this.config = config;
    this.logger = options.logger ?? silentLogger;
    this.#defaultConnector = options.connector ?? config.connector;
  }

  /**
   * Reads the configuration and loads every module it can find. A URL of
   * an unknown scheme given as `connector` fails here, before any work.
   */
  static async open(options: WorkbenchOptions = {}): Promise<Workbench> {
    const config = loadConfig({ env: options.env });
    const connector = options.connector ?? config.connector;
    if (!config.profiles[connector]) targetProfile(connector);
    const roots = [...config.modules, ...options.modules ?? []];
    const registry = await loadRegistry({ roots });
    return new Workbench(registry, config, options);
  }

  /** The modules of one kind, sorted by aid, with the files they came from. */
  list<K extends Kind>(kind: K): Loaded<K>[] {
    return this.registry.list(kind);
  }

  /**
   * The open connection of a connector, opened on first use and kept until
   * `close`. Every query through it is logged at debug level with its time.
   */
  connect(aid: string = this.#defaultConnector): Promise<Connection> {
    let connection = this.#connections.get(aid);
    if (!connection) {
      connection = this.#open(aid);
      this.#connections.set(aid, connection);
      connection.catch(() => this.#connections.delete(aid));
    }
    return connection;
  }

  /**
   * Runs a collector over log files (`-` is standard input; gzip is read
   * transparently). Lines that do not parse are counted, listed in the
   * report and appended to the reject file; the rest go in.
   */
  async collect(
    aid: string,
    inputs: (string | Input)[],
    options: CollectCallOptions = {},
  ): Promise<CollectionReport> {
    const collector = this.registry.get("collectors", aid);
    const params = resolveParams(
      collector.params,
      options.params ?? {},
      `collector ${aid}`,
    );
    const { inputs: resolved, passedOver } = resolveInputs(inputs, {
      folderFiles: collector.files,
    });
    const connectorAid = options.connector ?? this.#defaultConnector;
    const connection = await this.connect(connectorAid);
    const path = options.rejectFile ?? this.#rejectPath(connectorAid);
    const sink = rejectFile(path, { collector: aid });

    try {
      const report = await collector.launch(connection, resolved, {
        logger: this.logger,
        reject: (rejection) => sink.reject(rejection),
        batchSize: options.batchSize,
        commitSeconds: this.config.commitSeconds,
        signal: options.signal,
        progress: options.progress,
        params,
      });
      return {
        ...report,
        ...(sink.count > 0 ? { rejectFile: path } : {}),
        ...(passedOver.length > 0 ? { passedOver } : {}),
      };
    } catch (error) {
      throw wrap(error, `The ${aid} collector failed`);
    } finally {
      sink.close();
    }
  }

  /**
   * Runs an analyzer. Parameters are checked against its declaration and
   * may be given as text, as the command line does. The result shows
   * itself as a table in a notebook cell.
   */
  async analyze(
    aid: string,
    options: {
      params?: Record<string, GivenValue | undefined>;
      connector?: string;
    } = {},
  ): Promise<Result> {
    const analyzer = this.registry.get("analyzers", aid);
    const params = resolveParams(
      analyzer.params,
      options.params ?? {},
      `analyzer ${aid}`,
    );
    const connection = await this.connect(options.connector);
    const missing = await this.#checkTables(
      aid,
      analyzer.tables ?? [],
      connection,
    );
    const started = performance.now();
    try {
      const result = await analyzer.launch(connection, params);
      const ms = (performance.now() - started).toFixed(1);
      this.logger.info(`${aid}: ${result.rows.length} rows in ${ms} ms`);
      const notes = [...missing, ...result.notes ?? []];
      return displayable({
        ...result,
        title: result.title ?? aid,
        ...(notes.length > 0 ? { notes } : {}),
      });
    } catch (error) {
      const wrapped = wrap(error, `The ${aid} analyzer failed`);
      if (
        !(wrapped instanceof GummerError) ||
        !MISSING_COLUMN.test(wrapped.message)
      ) throw wrapped;
      throw new GummerError(`${wrapped.message}. ${OLDER_TABLE}`, {
        cause: error,
      });
    }
  }

  /**
   * Runs any SQL with bound parameters (`?` placeholders). The result shows
   * itself as a table in a notebook cell.
   */
  async query(
    sql: string,
    options: { params?: SqlValue[]; connector?: string } = {},
  ): Promise<Result> {
    const connection = await this.connect(options.connector);
    return displayable(await connection.query(sql, options.params ?? []));
  }

  /**
   * Hands a result to an output. Without `write`, the text is returned;
   * with it, the text is streamed and an empty string is returned.
   */
  async render(result: Result, options: RenderOptions = {}): Promise<string> {
    const output = this.registry.get(
      "outputs",
      options.output ?? this.config.output,
    );
    const parts: string[] = [];
    const write = options.write ??
      ((text: string) => Promise.resolve(void parts.push(text)));
    await output.launch(result, { write, width: options.width });
    return parts.join("");
  }

  /** Closes every connection the workbench opened. */
  async close(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    for (const pending of connections) {
      await (await pending.catch(() => undefined))?.close();
    }
  }

  /**
   * The databases `-db` accepts: every connector, then every profile of
   * the config file, each with where it points (passwords masked), then
   * the URL or SQLite file the workbench was opened on, if it was.
   */
  databases(): DatabaseInfo[] {
    const connectors = this.list("connectors").map(({ module }) => ({
      id: module.aid,
      driver: module.aid,
      name: module.name,
      desc: module.desc,
      target: this.#describe(module.aid),
    }));
    const profiles = Object.entries(this.config.profiles).map(
      ([id, profile]) => ({
        id,
        driver: profile.driver,
        name: `${profile.driver} profile`,
        desc: `A profile of ${this.config.file ?? "the config file"}.`,
        target: this.#describe(id),
      }),
    );
    const id = this.#defaultConnector;
    const given = this.config.profiles[id] ? undefined : targetProfile(id);
    const opened = given
      ? [{
        id: given.driver === "sqlite" ? id : maskUrl(id),
        driver: given.driver,
        name: given.driver === "sqlite" ? "SQLite file" : `${given.driver} URL`,
        desc: "The database this session was opened on.",
        target: this.#describe(id),
      }]
      : [];
    return [...connectors, ...profiles, ...opened];
  }

  /**
   * The connector module and settings behind a connector id, a profile,
   * a database URL or a SQLite file's path.
   */
  #resolve(id: string): { connector: ConnectorModule; settings: Params } {
    const given = this.#profile(id);
    if (!given) {
      const connector = this.#connector(id);
      const settings = this.config.connectorSettings(id, connector.settings);
      return { connector, settings };
    }
    const { driver, ...values } = given.profile;
    const connector = this.#connector(driver);
    const settings = resolveParams(connector.settings, values, given.name);
    return { connector, settings };
  }

  /**
   * The profile an id names, from the config file or, for a URL or a path,
   * made up on the spot; with the name messages give it, password masked.
   */
  #profile(id: string): { profile: Profile; name: string } | undefined {
    const named = this.config.profiles[id];
    if (named) return { profile: named, name: `profile ${id}` };
    const profile = targetProfile(id);
    if (!profile) return undefined;
    const name = profile.driver === "sqlite"
      ? `SQLite file ${id}`
      : `database ${maskUrl(id)}`;
    return { profile, name };
  }

  #connector(id: string): ConnectorModule {
    try {
      return this.registry.get("connectors", id);
    } catch (error) {
      const names = Object.keys(this.config.profiles);
      if (!(error instanceof UsageError) || names.length === 0) throw error;
      throw new UsageError(`${error.message} Profiles: ${names.join(", ")}.`);
    }
  }

  #describe(id: string): string {
    try {
      const { connector, settings } = this.#resolve(id);
      return connector.target?.(settings) ?? "";
    } catch (error) {
      return `not usable: ${messageOf(error)}`;
    }
  }

  async #open(aid: string): Promise<Connection> {
    const { connector, settings } = this.#resolve(aid);
    const connection = await connector.launch({
      settings,
      logger: this.logger,
    });
    return logged(connection, this.logger);
  }

  /**
   * Fails early, with what to do, when none of the tables an analyzer reads
   * exists yet; the database's own message would only say "no such table".
   * An analyzer that reads several sources (Zeek and a proxy) runs on those
   * there are, and its result names the ones that are missing.
   */
  async #checkTables(
    aid: string,
    tables: string[],
    connection: Connection,
  ): Promise<string[]> {
    const missing: string[] = [];
    for (const table of tables) {
      if (!(await connection.hasTable(table))) missing.push(table);
    }
    const how = (table: string) => {
      const writers = this.list("collectors")
        .filter((c) => c.module.tables.some((t) => t.name === table))
        .map((c) => `-c ${c.module.aid}`);
      return writers.length > 0
        ? `collect logs into it first (${writers.join(" or ")})`
        : "no installed collector writes it";
    };
    if (missing.length === 0) return [];
    if (missing.length === tables.length) {
      const [first] = missing;
      throw new GummerError(
        tables.length === 1
          ? `The ${aid} analyzer reads the table ${first}, which this ` +
            `database does not have: ${how(first)}.`
          : `The ${aid} analyzer reads the tables ${tables.join(", ")}, ` +
            `none of which this database has: ${how(first)}, for example.`,
      );
    }
    return missing.map((table) =>
      `No table ${table} here, so its rows are not part of this result: ` +
      `${how(table)}.`
    );
  }

  #rejectPath(connectorAid: string): string {
    const { connector, settings } = this.#resolve(connectorAid);
    if (connector.aid !== "sqlite") return "gummer-rejects.ndjson";
    const path = String(settings.path);
    const base = path === ":memory:" ? "gummer" : path.replace(/\.db$/, "");
    return `${base}.rejects.ndjson`;
  }
}

/** Wraps a connection so that every query is logged with its time. */
function logged(connection: Connection, logger: Logger): Connection {
  return {
    dialect: connection.dialect,
    async query(sql, params) {
      const started = performance.now();
      try {
        return await connection.query(sql, params);
      } finally {
        const ms = (performance.now() - started).toFixed(1);
        const oneLine = sql.replace(/\s+/g, " ").trim();
        logger.debug(`query (${ms} ms): ${oneLine}`);
      }
    },
    hasTable: (name) => connection.hasTable(name),
    ensureTable: (table) => connection.ensureTable(table),
    async load(table, batches) {
      const started = performance.now();
      const rows = await connection.load(table, batches);
      const ms = (performance.now() - started).toFixed(1);
      logger.debug(`load ${table.name}: ${rows} rows in ${ms} ms`);
      return rows;
    },
    close: () => connection.close(),
  };
}

/** Adds context to an error, keeping user-facing errors user-facing. */
/** A missing column, as SQLite, PostgreSQL and MariaDB or MySQL say it. */
const MISSING_COLUMN =
  /no such column|column "[^"]*" does not exist|unknown column/i;

const OLDER_TABLE = "Its table may have been made by an older Gummer, " +
  "before its collector had that column: collect any of its logs again " +
  "(one already collected adds no rows) and the column is added.";

function wrap(error: unknown, context: string): Error {
  if (!(error instanceof GummerError)) return error as Error;
  if (error.message.startsWith(context)) return error;
  return new GummerError(`${context}: ${messageOf(error)}`, { cause: error });
}
