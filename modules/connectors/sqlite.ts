/**
 * The embedded database: one file, no server, Deno's built-in `node:sqlite`.
 *
 * Timestamps are stored as UTC text (`2026-11-02 08:15:00.123`), which sorts
 * in time order and which SQLite's date functions read.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { GummerError, messageOf } from "../../engine/errors.ts";
import { missingColumns, quoteName as quote } from "../../engine/sql.ts";
import type {
  Batch,
  ColumnType,
  Connection,
  ConnectorOptions,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
  TableSpec,
} from "../../engine/types.ts";
import {
  bindable,
  createIndexes,
  exec,
  type Load,
  loadBatches,
  openDatabase,
  prepare,
} from "./_sqlite_load.ts";
import type { LoaderReply, LoaderRequest } from "./_sqlite_worker.ts";

export const aid = "sqlite";
export const name = "SQLite (embedded)";
export const desc =
  "An embedded database in one file: nothing to install or start. The file " +
  "is gummer.db in the working folder unless GUMMER_SQLITE or the config " +
  "file names another.";

export const settings: ParamSpecs = {
  path: {
    type: "string",
    default: "gummer.db",
    env: "GUMMER_SQLITE",
    desc: "the database file, created when missing (:memory: for none)",
  },
};

/** What `-ldb` shows: the database file. */
export function target(values: Params): string {
  return String(values.path);
}

/**
 * Batches posted to the loader worker and not yet inserted, at most: the
 * parser stays a batch or two ahead, and memory stays flat when the
 * database is the slower side.
 */
const BATCHES_IN_FLIGHT = 2;

/** Batches a load may have and still run on the calling thread. */
const WORKER_AFTER_BATCHES = 2;

const COLUMN_TYPES: Record<ColumnType, string> = {
  text: "TEXT",
  integer: "INTEGER",
  real: "REAL",
  timestamp: "TEXT",
};

export function launch(options: ConnectorOptions): Promise<Connection> {
  return settle(() => open(String(options.settings.path)));
}

function open(path: string): Connection {
  try {
    return new SqliteConnection(openDatabase(path), path);
  } catch (error) {
    throw new GummerError(
      `Cannot open the SQLite database "${path}": ${messageOf(error)}`,
      { cause: error },
    );
  }
}

class SqliteConnection implements Connection {
  readonly dialect = "sqlite" as const;
  readonly #db: DatabaseSync;
  readonly #path: string;

  constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#path = path;
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<Result> {
    return settle(() => this.#query(sql, params));
  }

  #query(sql: string, params: readonly SqlValue[]): Result {
    const statement = prepare(this.#db, sql);
    try {
      if (statement.columns().length === 0) {
        statement.run(...params.map(bindable));
        return { columns: [], rows: [] };
      }
      (statement as ArrayStatement).setReturnArrays(true);
      const rows = statement.all(...params.map(bindable)) as unknown[];
      const columns = statement.columns().map((column) => column.name);
      return { columns, rows: rows as SqlValue[][] };
    } catch (error) {
      throw new GummerError(`SQLite: ${messageOf(error)}`, { cause: error });
    }
  }

  async hasTable(name: string): Promise<boolean> {
    const found = await this.query(
      "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
      [name],
    );
    return found.rows.length > 0;
  }

  ensureTable(table: TableSpec): Promise<void> {
    const columns = table.columns
      .map((column) => `${quote(column.name)} ${COLUMN_TYPES[column.type]}`)
      .join(", ");
    return settle(() => {
      exec(
        this.#db,
        `CREATE TABLE IF NOT EXISTS ${quote(table.name)} (${columns})`,
      );
      const found = prepare(this.#db, `PRAGMA table_info(${quote(table.name)})`)
        .all() as { name: string }[];
      for (const column of missingColumns(table, found.map((c) => c.name))) {
        exec(
          this.#db,
          `ALTER TABLE ${quote(table.name)} ADD COLUMN ${quote(column.name)} ${
            COLUMN_TYPES[column.type]
          }`,
        );
      }
      createIndexes(this.#db, table);
    });
  }

  /**
   * Loads the batches. A load of more than two batches into a database
   * file goes to a worker with its own connection, so that the log is
   * parsed on one core while SQLite inserts on the other: a million Squid
   * lines took 8.5 s on one thread, whose parsing alone took 3 s. A small
   * load, or one into `:memory:` (which another connection cannot see),
   * runs here.
   */
  async load(
    table: TableSpec,
    batches: AsyncIterable<Batch> | Iterable<Batch>,
  ): Promise<number> {
    if (this.#path === ":memory:" || this.#path === "") {
      return await loadBatches(this.#db, { table, batches });
    }
    const peeked = await peek(batches, WORKER_AFTER_BATCHES + 1);
    const load = { table, batches: peeked.batches };
    return peeked.more
      ? await loadInWorker(this.#path, load)
      : await loadBatches(this.#db, load);
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }
}

/**
 * Reads up to `count` batches ahead, to learn whether there are that many,
 * and gives back all the batches still to come, those read ahead first. A
 * failure while reading ahead comes out of the batches in its turn, where
 * the loader reports it. The source is closed however the loader stops.
 */
async function peek(
  batches: AsyncIterable<Batch> | Iterable<Batch>,
  count: number,
): Promise<{ more: boolean; batches: AsyncGenerator<Batch> }> {
  const source = Symbol.asyncIterator in batches
    ? batches[Symbol.asyncIterator]()
    : batches[Symbol.iterator]();
  const head: IteratorResult<Batch>[] = [];
  let failure: { error: unknown } | undefined;
  try {
    while (head.length < count && !head.at(-1)?.done) {
      head.push(await source.next());
    }
  } catch (error) {
    failure = { error };
  }

  const replay = async function* (): AsyncGenerator<Batch> {
    try {
      for (const step of head) {
        if (step.done) return;
        yield step.value;
      }
      if (failure) throw failure.error;
      for (let step = await source.next(); !step.done;) {
        yield step.value;
        step = await source.next();
      }
    } finally {
      await source.return?.();
    }
  };
  const more = !failure && head.length === count && !head[count - 1].done;
  return { more, batches: replay() };
}

/**
 * Posts the batches to a loader worker on the database file, a few at a
 * time, and returns the rows it inserted. When the batches fail (the log
 * cannot be read, the run is stopped), the worker rolls back what it has
 * not committed before the error goes on, so the database is never left
 * locked; when the worker fails, its error stops the batches.
 */
async function loadInWorker(
  path: string,
  { table, batches }: Load,
): Promise<number> {
  const worker = new Worker(
    new URL("./_sqlite_worker.ts", import.meta.url).href,
    { type: "module" },
  );
  const replies = new Replies(worker);
  const post = (request: LoaderRequest) => worker.postMessage(request);
  try {
    post({ start: { path, table } });
    let inFlight = 0;
    try {
      for await (const batch of batches) {
        for (; inFlight >= BATCHES_IN_FLIGHT; inFlight--) await replies.ack();
        post({ batch });
        inFlight++;
      }
    } catch (error) {
      post({ abort: messageOf(error) });
      await replies.done().catch(() => undefined);
      throw error instanceof GummerError ? error : new GummerError(
        `Cannot insert into ${table.name}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    post({ end: true });
    return await replies.done();
  } finally {
    worker.terminate();
  }
}

/**
 * The loader worker's replies: acknowledgements in order, then its last
 * word (the rows inserted, or why it failed), which every later call
 * sees again.
 */
class Replies {
  #acks = 0;
  #last?: { done: number } | { error: string };
  #wake?: () => void;

  constructor(worker: Worker) {
    worker.onmessage = (event: MessageEvent<LoaderReply>) => {
      const reply = event.data;
      if ("ack" in reply) this.#acks++;
      else this.#last ??= reply;
      this.#wake?.();
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#last ??= { error: `the loader failed: ${event.message}` };
      this.#wake?.();
    };
  }

  async #until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Waits for one batch to be inserted; a failure is thrown. */
  async ack(): Promise<void> {
    await this.#until(() => this.#acks > 0 || this.#last !== undefined);
    if (this.#acks > 0) {
      this.#acks--;
      return;
    }
    const last = this.#last!;
    throw new GummerError(
      "error" in last ? last.error : "The loader ended before its batches.",
    );
  }

  /** The rows inserted, once the worker is done; a failure is thrown. */
  async done(): Promise<number> {
    await this.#until(() => this.#last !== undefined);
    const last = this.#last!;
    if ("error" in last) throw new GummerError(last.error);
    return last.done;
  }
}

/** Deno's node:sqlite has this method; the bundled Node types lag behind. */
type ArrayStatement = StatementSync & { setReturnArrays(on: boolean): void };

/**
 * Runs node:sqlite's synchronous work as a promise, so that its errors
 * reject rather than throw at the caller.
 */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
