/**
 * Loading rows into SQLite, shared by the connection (for small loads and
 * in-memory databases) and by the loader worker that takes the large
 * loads of a database file off the thread that parses the log.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { GummerError, messageOf } from "../../engine/errors.ts";
import { indexName, quoteName as quote } from "../../engine/sql.ts";
import type { Batch, SqlValue, TableSpec } from "../../engine/types.ts";

/** Rows one INSERT statement carries while loading. */
const ROWS_PER_STATEMENT = 100;

/** SQLite's default limit on the parameters of one statement. */
const MAX_PARAMETERS = 32_766;

/** Rows a load inserts with indexes in place before it drops them. */
const DROP_INDEXES_AFTER = 10_000;

/** Opens a database file (or `:memory:`) as Gummer uses it. */
export function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  // The rollback journal, not WAL: WAL writes every page twice, which made
  // a 200k-row load 25% slower (2.0 s against 1.5 s). Readers still read
  // during a collection; they wait only while a commit is written.
  db.exec("PRAGMA journal_mode = DELETE");
  db.exec("PRAGMA busy_timeout = 5000");
  // Sorts, as in CREATE INDEX after a large load, may use a second core:
  // building the Squid table's three indexes over a million rows took
  // 1.7 to 2.2 s with it, 2.3 to 2.5 s without.
  db.exec("PRAGMA threads = 2");
  return db;
}

/** Rows for one table, as batches. */
export interface Load {
  table: TableSpec;
  batches: AsyncIterable<Batch> | Iterable<Batch>;
}

/**
 * Inserts the batches' rows in transactions that end where a batch says
 * to commit (after running its statements), and once at the end. A load
 * that fails rolls back what it has not committed and says which table.
 */
export async function loadBatches(
  db: DatabaseSync,
  { table, batches }: Load,
): Promise<number> {
  const names = table.columns.map((column) => quote(column.name));
  const marks = `(${names.map(() => "?").join(", ")})`;
  const into = `INSERT INTO ${quote(table.name)} (${names.join(", ")}) VALUES`;
  const insert = prepare(db, `${into} ${marks}`);
  // Rows go in groups, one statement for many: each statement run costs a
  // call into SQLite, and groups cut the insert time by about a sixth.
  const group = Math.max(1, Math.floor(MAX_PARAMETERS / names.length));
  const perGroup = Math.min(group, ROWS_PER_STATEMENT);
  const insertGroup = prepare(
    db,
    `${into} ${Array(perGroup).fill(marks).join(", ")}`,
  );
  const values = new Array<Exclude<SqlValue, boolean>>(
    perGroup * names.length,
  );

  // Keeping indexes up to date row by row made a 600k-line load five
  // times slower than building them afterwards (14.8 s against 3.1 s plus
  // 2.2 s to build). Once a load proves large next to what the table
  // already holds, the indexes go and are built again at the end; a small
  // load into a big table keeps them, since a rebuild would cost more.
  const counted = prepare(db, `SELECT COUNT(*) AS n FROM ${quote(table.name)}`)
    .get() as { n: number } | undefined;
  const existing = Number(counted?.n ?? 0);
  const dropAfter = Math.max(DROP_INDEXES_AFTER, existing / 4);
  let dropped = false;

  let inserted = 0;
  try {
    for await (const batch of batches) {
      if (!db.isTransaction) db.exec("BEGIN");
      if (!dropped && inserted + batch.rows.length > dropAfter) {
        dropIndexes(db, table);
        dropped = true;
      }
      const rows = batch.rows;
      let i = 0;
      for (; i + perGroup <= rows.length; i += perGroup) {
        let k = 0;
        for (let j = i; j < i + perGroup; j++) {
          for (const value of bindableRow(rows[j])) values[k++] = value;
        }
        insertGroup.run(...values);
      }
      for (; i < rows.length; i++) insert.run(...bindableRow(rows[i]));
      inserted += batch.rows.length;
      if (batch.commit) {
        for (const statement of batch.commit) {
          run(db, statement.sql, statement.params ?? []);
        }
        db.exec("COMMIT");
      }
    }
    if (db.isTransaction) db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error instanceof GummerError ? error : new GummerError(
      `Cannot insert into ${table.name}: ${messageOf(error)}`,
      { cause: error },
    );
  } finally {
    if (dropped) createIndexes(db, table);
  }
  return inserted;
}

/** Creates the indexes a table declares, where they are missing. */
export function createIndexes(db: DatabaseSync, table: TableSpec): void {
  for (const index of table.indexes ?? []) {
    const on = index.map(quote).join(", ");
    exec(
      db,
      `CREATE INDEX IF NOT EXISTS ${quote(indexName(table.name, index))} ON ${
        quote(table.name)
      } (${on})`,
    );
  }
}

function dropIndexes(db: DatabaseSync, table: TableSpec): void {
  for (const index of table.indexes ?? []) {
    exec(db, `DROP INDEX IF EXISTS ${quote(indexName(table.name, index))}`);
  }
}

/** A prepared statement, or a GummerError with SQLite's message. */
export function prepare(db: DatabaseSync, sql: string): StatementSync {
  try {
    return db.prepare(sql);
  } catch (error) {
    throw new GummerError(`SQLite: ${messageOf(error)}`, { cause: error });
  }
}

/** Runs SQL without parameters, or throws a GummerError. */
export function exec(db: DatabaseSync, sql: string): void {
  try {
    db.exec(sql);
  } catch (error) {
    throw new GummerError(`SQLite: ${messageOf(error)}`, { cause: error });
  }
}

/** Runs one statement with bound parameters, for its effect. */
function run(db: DatabaseSync, sql: string, params: readonly SqlValue[]) {
  const statement = prepare(db, sql);
  try {
    statement.run(...params.map(bindable));
  } catch (error) {
    throw new GummerError(`SQLite: ${messageOf(error)}`, { cause: error });
  }
}

/** SQLite has no boolean type; store true and false as 1 and 0. */
export function bindable(value: SqlValue): Exclude<SqlValue, boolean> {
  return typeof value === "boolean" ? Number(value) : value;
}

/**
 * A row ready to bind. Collectors rarely hand over booleans, so the row is
 * copied only when it holds one; mapping every row cost a tenth of a load.
 */
function bindableRow(row: SqlValue[]): Exclude<SqlValue, boolean>[] {
  for (const value of row) {
    if (typeof value === "boolean") return row.map(bindable);
  }
  return row as Exclude<SqlValue, boolean>[];
}
