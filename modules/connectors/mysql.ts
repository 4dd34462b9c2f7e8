/**
 * MySQL and MariaDB through `npm:mysql2`, with bulk loads by `LOAD DATA
 * LOCAL INFILE` streamed from the parser, or multi-row INSERTs where the
 * server forbids local files.
 *
 * Tables use utf8mb4 with the binary collation, so that grouping and
 * ordering treat text byte by byte as SQLite does (the server's default
 * collation would fold case and merge `Example.com` into `example.com`).
 * Time stamps are DATETIME(3) in UTC.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import type mysql from "mysql2/promise";
import { GummerError, messageOf } from "../../engine/errors.ts";
import type { Logger } from "../../engine/logger.ts";
import {
  indexName,
  loaderText,
  maskUrl,
  missingColumns,
  redact,
} from "../../engine/sql.ts";
import { timestampFromDatabase } from "../../engine/time.ts";
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

export const aid = "mysql";
export const name = "MySQL / MariaDB";
export const desc =
  "A MySQL or MariaDB server, loaded with LOAD DATA LOCAL INFILE (or " +
  "multi-row INSERTs where the server forbids it). The URL comes from a " +
  "profile, the config file or GUMMER_MYSQL_URL.";

export const settings: ParamSpecs = {
  ...SERVER_SETTINGS,
  url: { ...SERVER_SETTINGS.url, env: "GUMMER_MYSQL_URL" },
  local_infile: {
    type: "boolean",
    default: true,
    desc: "offer LOAD DATA LOCAL INFILE; when off, rows go by INSERT",
  },
};

/** What `-ldb` shows: where the connector goes, password masked. */
export function target(values: Params): string {
  return serverTarget(values, "mysql");
}

const COLUMN_TYPES: Record<ColumnType, string> = {
  text: "MEDIUMTEXT",
  integer: "BIGINT",
  real: "DOUBLE",
  timestamp: "DATETIME(3)",
};

/** Index key bytes per text column: 191 characters of utf8mb4 fit InnoDB. */
const TEXT_KEY_PREFIX = 191;

/** Rows per INSERT when LOAD DATA LOCAL is refused; 17 columns stay far
 * below the 65,535 placeholders a statement may have. */
const INSERT_ROWS = 1000;

/** The largest piece of a LOAD DATA stream sent as one packet. */
const PACKET_BYTES = 1 << 20;

/** Bytes of values one INSERT carries at most, well under the packet limit. */
const INSERT_BYTES = 4 << 20;

/**
 * Rows in groups for multi-row INSERTs: at most INSERT_ROWS rows, and no
 * more than INSERT_BYTES of text, so that wide rows stay in one packet.
 */
function* insertSlices(rows: SqlValue[][]): Generator<SqlValue[][]> {
  let slice: SqlValue[][] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = row.reduce(
      (sum: number, value) =>
        sum + (typeof value === "string" ? value.length * 3 : 8),
      0,
    );
    if (
      slice.length > 0 &&
      (slice.length >= INSERT_ROWS || bytes + size > INSERT_BYTES)
    ) {
      yield slice;
      slice = [];
      bytes = 0;
    }
    slice.push(row);
    bytes += size;
  }
  if (slice.length > 0) yield slice;
}

/** Errors that mean the server or client will not take a local file. */
const LOCAL_INFILE_REFUSED = new Set([1148, 3948, 4166]);

export async function launch(options: ConnectorOptions): Promise<Connection> {
  const { url, password, secrets } = connectionUrl(options.settings, "mysql");
  const shown = maskUrl(url);
  const fail = (what: string, error: unknown) =>
    new GummerError(`${what}: ${redact(messageOf(error), secrets)}`);

  const loader = { stream: Readable.from([]) as Readable };
  let connection: mysql.Connection;
  try {
    // Loaded here, not at the top: every command imports every connector,
    // and mysql2 alone added 80 ms to each start.
    const { createConnection } = await import("mysql2/promise");
    connection = await createConnection({
      uri: url,
      password: password || undefined,
      connectTimeout: Number(options.settings.connect_timeout) * 1000,
      dateStrings: true,
      decimalNumbers: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: "Z",
      charset: "UTF8MB4_BIN",
      infileStreamFactory: () => loader.stream,
      // Without the flag the server refuses LOAD DATA LOCAL, as a server
      // with local_infile off does, and rows fall back to INSERTs.
      flags: options.settings.local_infile ? [] : ["-LOCAL_FILES"],
    });
    await connection.query("SET time_zone = '+00:00'");
    await connection.query(
      "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
    );
  } catch (error) {
    const seconds = Number(options.settings.connect_timeout);
    throw fail(
      `Cannot connect to MySQL at ${shown}`,
      connectFailure(error, seconds),
    );
  }
  options.logger.debug(`connected to MySQL at ${shown}`);
  return new MysqlConnection(
    connection,
    loader,
    (error) => fail("MySQL", error),
    options.logger,
  );
}

class MysqlConnection implements Connection {
  readonly dialect = "mysql" as const;
  readonly #db: mysql.Connection;
  readonly #loader: { stream: Readable };
  readonly #fail: (error: unknown) => GummerError;
  readonly #logger: Logger;
  #localInfile = true;

  constructor(
    db: mysql.Connection,
    loader: { stream: Readable },
    fail: (error: unknown) => GummerError,
    logger: Logger,
  ) {
    this.#db = db;
    this.#loader = loader;
    this.#fail = fail;
    this.#logger = logger;
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Result> {
    try {
      return await this.#run({ sql, params });
    } catch (error) {
      throw this.#fail(error);
    }
  }

  async hasTable(name: string): Promise<boolean> {
    const found = await this.query(
      "SELECT COUNT(*) FROM information_schema.tables " +
        "WHERE table_schema = DATABASE() AND table_name = ?",
      [name],
    );
    return Number(found.rows[0][0]) > 0;
  }

  async ensureTable(table: TableSpec): Promise<void> {
    const columns = table.columns
      .map((column) => `${quote(column.name)} ${COLUMN_TYPES[column.type]}`)
      .join(", ");
    await this.query(
      `CREATE TABLE IF NOT EXISTS ${quote(table.name)} (${columns}) ` +
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    );
    const found = await this.query(
      "SELECT column_name FROM information_schema.columns " +
        "WHERE table_schema = DATABASE() AND table_name = ?",
      [table.name],
    );
    const names = found.rows.map(([name]) => String(name));
    for (const column of missingColumns(table, names)) {
      await this.query(
        `ALTER TABLE ${quote(table.name)} ADD COLUMN ${quote(column.name)} ${
          COLUMN_TYPES[column.type]
        }`,
      );
    }

    // MySQL 8 has no CREATE INDEX IF NOT EXISTS; ask the catalogue first.
    const types = new Map(table.columns.map((c) => [c.name, c.type]));
    for (const index of table.indexes ?? []) {
      const name = indexName(table.name, index);
      const found = await this.query(
        "SELECT COUNT(*) FROM information_schema.statistics WHERE " +
          "table_schema = DATABASE() AND table_name = ? AND index_name = ?",
        [table.name, name],
      );
      if (Number(found.rows[0][0]) > 0) continue;
      const keys = index.map((column) =>
        types.get(column) === "text"
          ? `${quote(column)}(${TEXT_KEY_PREFIX})`
          : quote(column)
      );
      await this.query(
        `CREATE INDEX ${quote(name)} ON ${quote(table.name)} (${
          keys.join(", ")
        })`,
      );
    }
  }

  /**
   * One LOAD DATA per transaction: rows stream into it batch by batch until
   * a batch asks for a commit, whose statements run in the same
   * transaction before it commits.
   */
  async load(
    table: TableSpec,
    batches: AsyncIterable<Batch> | Iterable<Batch>,
  ): Promise<number> {
    const columns = table.columns.map((column) => quote(column.name));
    const transactions = new Transactions(batches);
    let inserted = 0;
    while (!transactions.finished) {
      const transaction = transactions.next();
      try {
        await this.#db.beginTransaction();
        const loaded = await this.#loadRows(
          table.name,
          columns,
          transaction.rows,
        );
        if (loaded !== transaction.sent) {
          throw new Error(
            `the server took ${loaded} of ${transaction.sent} rows`,
          );
        }
        for (const statement of transaction.commit) await this.#run(statement);
        await this.#db.commit();
      } catch (error) {
        await this.#db.rollback().catch(() => {});
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
    await this.#db.end();
  }

  /** Streams rows through LOAD DATA, or INSERTs when that is refused. */
  async #loadRows(
    table: string,
    columns: string[],
    rows: AsyncGenerator<SqlValue[][]>,
  ): Promise<number> {
    if (this.#localInfile) {
      let pulled = false;
      const text = async function* () {
        pulled = true;
        // mysql2 sends each chunk as one packet, and the server refuses a
        // packet over max_allowed_packet (16 MiB by default): a batch of
        // 10,000 Windows events came to 30 MB. Chunks stay at 1 MiB. They
        // are Buffers, because mysql2 copies them as such.
        for await (const batch of rows) {
          const bytes = Buffer.from(loaderText(batch));
          for (let start = 0; start < bytes.length; start += PACKET_BYTES) {
            yield bytes.subarray(start, start + PACKET_BYTES);
          }
        }
      };
      this.#loader.stream = Readable.from(text());
      try {
        const [header] = await this.#db.query<mysql.ResultSetHeader>(
          `LOAD DATA LOCAL INFILE 'gummer' INTO TABLE ${quote(table)} ` +
            "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' " +
            "ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
            `(${columns.join(", ")})`,
        );
        return header.affectedRows;
      } catch (error) {
        const code = (error as { errno?: number }).errno ?? 0;
        if (pulled || !LOCAL_INFILE_REFUSED.has(code)) throw error;
        // Refused before a byte was read: the same rows go by INSERT.
        this.#localInfile = false;
        this.#logger.info(
          `LOAD DATA LOCAL INFILE refused (${messageOf(error)}); loading ` +
            "by multi-row INSERT instead",
        );
      }
    }
    return await this.#insertRows(table, columns, rows);
  }

  async #insertRows(
    table: string,
    columns: string[],
    rows: AsyncGenerator<SqlValue[][]>,
  ): Promise<number> {
    const row = `(${columns.map(() => "?").join(", ")})`;
    let inserted = 0;
    for await (const batch of rows) {
      for (const slice of insertSlices(batch)) {
        const [header] = await this.#db.query<mysql.ResultSetHeader>(
          `INSERT INTO ${quote(table)} (${columns.join(", ")}) VALUES ${
            slice.map(() => row).join(", ")
          }`,
          slice.flat().map(bindable),
        );
        inserted += header.affectedRows;
      }
    }
    return inserted;
  }

  async #run(statement: Statement): Promise<Result> {
    const params = (statement.params ?? []).map(bindable);
    // Reads go through the binary protocol even without parameters: the
    // text protocol prints a DOUBLE with 15 digits, so 95.19288492202759
    // came back as 95.1928849220276, unlike on SQLite and PostgreSQL.
    const [rows, fields] = params.length > 0 || READ.test(statement.sql)
      ? await this.#db.execute(
        { sql: statement.sql, rowsAsArray: true },
        params,
      )
      : await this.#db.query({ sql: statement.sql, rowsAsArray: true });
    if (!Array.isArray(rows)) return { columns: [], rows: [] };
    const readers = (fields ?? []).map((field) =>
      field.columnType === LONGLONG
        ? wideInteger
        : field.columnType === DATETIME
        ? timeText
        : undefined
    );
    return {
      columns: (fields ?? []).map((field) => field.name),
      rows: (rows as unknown as SqlValue[][]).map((row) =>
        row.map((value, i) => readers[i]?.(value) ?? value)
      ),
    };
  }
}

/**
 * Whole numbers travel as BIGINT: a JavaScript number would be sent as a
 * DOUBLE, which MySQL refuses for `LIMIT ?`.
 */
function bindable(value: SqlValue): SqlValue {
  if (typeof value === "number" && Number.isSafeInteger(value)) {
    return BigInt(value);
  }
  if (typeof value === "boolean") return value ? 1n : 0n;
  return value;
}

/** MySQL's type codes for BIGINT and DATETIME. */
const LONGLONG = 8;
const DATETIME = 12;

/** DATETIME text without the fraction when it is zero: add it back. */
function timeText(value: SqlValue): SqlValue {
  return typeof value === "string" ? timestampFromDatabase(value) : value;
}

/** A BIGINT beyond a double's precision arrives as text: make it a bigint. */
function wideInteger(value: SqlValue): SqlValue {
  return typeof value === "string" ? BigInt(value) : value;
}

/** A statement that returns rows, which can always be prepared. */
const READ = /^\s*(SELECT|WITH)\b/i;

/** Quotes a name from a module's declaration; log text never gets here. */
function quote(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}
