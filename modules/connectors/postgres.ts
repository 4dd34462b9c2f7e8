/**
 * PostgreSQL through `npm:postgres`, with bulk loads by `COPY ... FROM
 * STDIN` streamed from the parser.
 *
 * Text columns use the "C" collation so that ORDER BY and GROUP BY treat
 * text byte by byte, as SQLite does, whatever the server's locale: ties in
 * a ranking then break the same way on every database. Time stamps are
 * `timestamptz(3)` read and written in UTC.
 *
 * @module
 */

import { once } from "node:events";
import net from "node:net";
import type postgres from "postgres";
import { GummerError, messageOf } from "../../engine/errors.ts";
import { timestampFromDatabase } from "../../engine/time.ts";
import {
  indexName,
  loaderText,
  maskUrl,
  missingColumns,
  numberedPlaceholders,
  POSTGRES_TEXT_KEY_CHARACTERS,
  quoteName as quote,
  redact,
} from "../../engine/sql.ts";
import type {
  Batch,
  ColumnType,
  Connection,
  ConnectorOptions,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
  Statement,
  TableSpec,
} from "../../engine/types.ts";
import {
  connectFailure,
  connectionUrl,
  SERVER_SETTINGS,
  serverTarget,
  Transactions,
} from "./_server.ts";

export const aid = "postgres";
export const name = "PostgreSQL";
export const desc =
  "A PostgreSQL server, loaded with COPY. The URL comes from a profile, " +
  "the config file or GUMMER_POSTGRES_URL; a password may be given as the " +
  "name of an environment variable (password_env).";

export const settings: ParamSpecs = {
  ...SERVER_SETTINGS,
  url: { ...SERVER_SETTINGS.url, env: "GUMMER_POSTGRES_URL" },
  schema: {
    type: "string",
    default: "",
    desc: "schema for Gummer's tables, created when missing (default: public)",
  },
};

/** What `-ldb` shows: where the connector goes, password masked. */
export function target(values: Params): string {
  return serverTarget(values, "postgres");
}

const COLUMN_TYPES: Record<ColumnType, string> = {
  text: 'text COLLATE "C"',
  integer: "bigint",
  real: "double precision",
  timestamp: "timestamptz(3)",
};

/** PostgreSQL type oids whose text Gummer reads its own way. */
const OID = { int8: 20, numeric: 1700, timestamp: 1114, timestamptz: 1184 };

/**
 * postgres.js 3.4 may flush a small pending write on a timer after the
 * server closed the connection, and throw on the missing socket (seen when
 * the server ends a backend in the middle of a COPY). The load has already
 * failed with the server's own message by then; this stray TypeError would
 * only crash the process, so it is set aside.
 * TODO(gummer): remove when postgres.js checks its socket in nextWrite.
 */
function ignoreWritesAfterClose(logger: ConnectorOptions["logger"]): void {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("error", (event) => {
    const stack = String((event.error as Error)?.stack ?? "");
    if (event.error instanceof TypeError && stack.includes("nextWrite")) {
      event.preventDefault();
      logger.debug(`PostgreSQL connection already closed: ${event.message}`);
    }
  });
}
let guarded = false;

/** What postgres.js hands a socket factory: where to connect. */
interface SocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * A connected socket with Nagle's algorithm off. postgres.js leaves it on
 * when it makes the socket itself, and the small last packets of a COPY
 * then wait for the server's delayed acknowledgement: every transaction of
 * a load took 88 ms, where it takes 1.5 ms without (measured with a
 * one-row COPY), so a folder of two hundred small Zeek logs took 27 s.
 */
function openSocket(
  where: SocketOptions,
  seconds: number,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = where.path
      ? net.connect(where.path)
      : net.connect(where.port[0], where.host[0]);
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect ETIMEDOUT after ${seconds} s`));
    }, seconds * 1000);
    const failed = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", failed);
      resolve(socket);
    });
  });
}

export async function launch(options: ConnectorOptions): Promise<Connection> {
  ignoreWritesAfterClose(options.logger);
  const { url, password, secrets } = connectionUrl(
    options.settings,
    "postgres",
  );
  const shown = maskUrl(url);
  const schema = String(options.settings.schema ?? "");
  // Loaded on first use, as every command imports every connector.
  const { default: connect } = await import("postgres");
  const sql = connect(url, {
    max: 1,
    password: password || undefined,
    connect_timeout: Number(options.settings.connect_timeout),
    // A documented option that the package's types leave out.
    ...{
      socket: (found: SocketOptions) =>
        openSocket(found, Number(options.settings.connect_timeout)),
    } as object,
    onnotice: () => {},
    connection: { application_name: "gummer", TimeZone: "UTC" },
    types: {
      gummer_int8: {
        to: OID.int8,
        from: [OID.int8],
        serialize: (value: unknown) => String(value),
        parse: integerValue,
      },
      gummer_numeric: {
        to: OID.numeric,
        from: [OID.numeric],
        serialize: (value: unknown) => String(value),
        parse: Number,
      },
      gummer_time: {
        to: OID.timestamptz,
        from: [OID.timestamptz, OID.timestamp],
        serialize: (value: unknown) => String(value),
        parse: timestampFromDatabase,
      },
    },
  });

  const fail = (what: string, error: unknown) =>
    new GummerError(`${what}: ${redact(messageOf(error), secrets)}`);
  try {
    await sql`SELECT 1`;
    if (schema) {
      await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`);
      await sql.unsafe(`SET search_path TO ${quote(schema)}`);
    }
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    const seconds = Number(options.settings.connect_timeout);
    throw fail(
      `Cannot connect to PostgreSQL at ${shown}`,
      connectFailure(error, seconds),
    );
  }
  options.logger.debug(`connected to PostgreSQL at ${shown}`);
  return new PostgresConnection(sql, (error) => fail("PostgreSQL", error));
}

class PostgresConnection implements Connection {
  readonly dialect = "postgres" as const;
  readonly #sql: postgres.Sql;
  readonly #fail: (error: unknown) => GummerError;

  constructor(sql: postgres.Sql, fail: (error: unknown) => GummerError) {
    this.#sql = sql;
    this.#fail = fail;
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Result> {
    try {
      return await run(this.#sql, { sql, params });
    } catch (error) {
      throw this.#fail(error);
    }
  }

  async hasTable(name: string): Promise<boolean> {
    const found = await this.query("SELECT to_regclass(?) IS NOT NULL", [
      quote(name),
    ]);
    return found.rows[0][0] === true;
  }

  async ensureTable(table: TableSpec): Promise<void> {
    const columns = table.columns
      .map((column) => `${quote(column.name)} ${COLUMN_TYPES[column.type]}`)
      .join(", ");
    await this.query(
      `CREATE TABLE IF NOT EXISTS ${quote(table.name)} (${columns})`,
    );
    const found = await this.query(
      "SELECT column_name FROM information_schema.columns " +
        "WHERE table_schema = current_schema() AND table_name = ?",
      [table.name],
    );
    const names = found.rows.map(([name]) => String(name));
    for (const column of missingColumns(table, names)) {
      await this.query(
        `ALTER TABLE ${quote(table.name)} ADD COLUMN IF NOT EXISTS ${
          quote(column.name)
        } ${COLUMN_TYPES[column.type]}`,
      );
    }
    const types = new Map(table.columns.map((c) => [c.name, c.type]));
    for (const index of table.indexes ?? []) {
      const keys = index.map((name) =>
        types.get(name) === "text"
          ? `(left(${quote(name)}, ${POSTGRES_TEXT_KEY_CHARACTERS}))`
          : quote(name)
      );
      await this.query(
        `CREATE INDEX IF NOT EXISTS ${quote(indexName(table.name, index))} ON ${
          quote(table.name)
        } (${keys.join(", ")})`,
      );
    }
  }

  /**
   * One COPY per transaction: rows stream into it batch by batch until a
   * batch asks for a commit, whose statements then run in the same
   * transaction before it commits.
   */
  async load(
    table: TableSpec,
    batches: AsyncIterable<Batch> | Iterable<Batch>,
  ): Promise<number> {
    const copy = `COPY ${quote(table.name)} (${
      table.columns.map((column) => quote(column.name)).join(", ")
    }) FROM STDIN`;
    const transactions = new Transactions(batches);
    let inserted = 0;
    while (!transactions.finished) {
      const transaction = transactions.next();
      try {
        await this.#sql.begin(async (tx) => {
          await copyIn(tx, copy, transaction.rows);
          for (const statement of transaction.commit) await run(tx, statement);
        });
      } catch (error) {
        if (transactions.sourceError !== undefined) {
          throw transactions.sourceError;
        }
        throw new GummerError(
          `Cannot load into ${table.name}: ${this.#fail(error).message}`,
        );
      }
      inserted += transaction.sent;
    }
    return inserted;
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}

/**
 * Streams rows into a COPY and waits until the server has taken them.
 *
 * postgres.js 3.4 never finishes the COPY stream when the server refuses
 * its data after the last byte was sent (a value that does not fit its
 * column): the stream's final callback waits forever. So the end is not
 * awaited. Once the stream has handed over its last bytes (its final step
 * has begun, and postgres.js takes queries again), a `SELECT 1` queued
 * behind the COPY is awaited instead: it fails when the COPY failed,
 * because the transaction is then aborted.
 * TODO(gummer): await the stream again when postgres.js reports the error.
 */
async function copyIn(
  tx: postgres.TransactionSql,
  copy: string,
  rows: AsyncIterable<SqlValue[][]>,
): Promise<void> {
  const writable = await tx.unsafe(copy).writable();
  const final = writable._final!.bind(writable);
  const handedOver = new Promise<void>((resolve) => {
    writable._final = (callback) => {
      final(callback);
      resolve();
    };
  });
  let failure: unknown;
  writable.on("error", (error) => failure = error);
  const stopped = new Promise<void>((resolve) =>
    writable.once("close", resolve)
  );

  try {
    for await (const batch of rows) {
      if (failure !== undefined) throw failure;
      if (!writable.write(loaderText(batch))) {
        await Promise.race([once(writable, "drain"), stopped]);
      }
    }
  } catch (error) {
    // Our side failed (the source, or a value that cannot be sent): end
    // the COPY with CopyFail, or the connection stays stuck in it.
    writable.destroy(error as Error);
    await stopped;
    throw error;
  }
  if (failure !== undefined) throw failure;
  writable.end();
  await Promise.race([handedOver, stopped]);
  if (failure !== undefined) throw failure;

  try {
    await tx.unsafe("SELECT 1");
  } catch (error) {
    if (failure !== undefined) throw failure;
    throw new Error(
      `the server refused the rows (${messageOf(error)}); a value did not ` +
        "fit its column",
    );
  }
}

/** Runs a statement and returns Gummer's result shape. */
async function run(
  sql: postgres.Sql | postgres.TransactionSql,
  statement: Statement,
): Promise<Result> {
  const rows = await sql.unsafe(
    numberedPlaceholders(statement.sql),
    (statement.params ?? []) as postgres.ParameterOrJSON<never>[],
    { prepare: true },
  ).values();
  return {
    columns: (rows.columns ?? []).map((column) => column.name),
    // A plain array: postgres.js returns its own Array subclass.
    rows: Array.from(rows) as unknown as SqlValue[][],
  };
}

/** int8 as a number while exact, else as a bigint: counts must not round. */
function integerValue(text: string): number | bigint {
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : BigInt(text);
}
