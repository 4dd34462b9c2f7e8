/**
 * What the server connectors share: placeholders in each dialect, the text
 * format both bulk loaders read, and keeping secrets out of everything a
 * connector says.
 *
 * @module
 */

import type { ColumnSpec, SqlValue, TableSpec } from "./types.ts";

/**
 * Rewrites `?` placeholders as PostgreSQL's `$1, $2, ...`, leaving alone a
 * `?` inside a string literal, a quoted name or a comment.
 *
 * @example
 * ```ts
 * import { numberedPlaceholders } from "./sql.ts";
 * const sql = numberedPlaceholders("SELECT '?' AS q FROM t WHERE a = ? AND b = ?");
 * if (sql !== "SELECT '?' AS q FROM t WHERE a = $1 AND b = $2") throw new Error(sql);
 * ```
 */
export function numberedPlaceholders(sql: string): string {
  let out = "";
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    const end = skipQuoted(sql, i);
    if (end > i) {
      out += sql.slice(i, end);
      i = end;
    } else {
      out += char === "?" ? `$${++count}` : char;
      i++;
    }
  }
  return out;
}

/** The end of a literal, quoted name or comment starting at `i`, else `i`. */
function skipQuoted(sql: string, i: number): number {
  const char = sql[i];
  if (char === "'" || char === '"') {
    let j = i + 1;
    for (;;) {
      j = sql.indexOf(char, j);
      if (j < 0) return sql.length;
      if (sql[j + 1] !== char) return j + 1;
      j += 2; // a doubled quote is a quote inside
    }
  }
  if (char === "-" && sql[i + 1] === "-") {
    const end = sql.indexOf("\n", i);
    return end < 0 ? sql.length : end;
  }
  if (char === "/" && sql[i + 1] === "*") {
    const end = sql.indexOf("*/", i + 2);
    return end < 0 ? sql.length : end + 2;
  }
  return i;
}

/**
 * Quotes a table or column name the standard way (`"name"`), as SQLite and
 * PostgreSQL read it. Names come from module declarations, which the
 * registry checks; log text never reaches here.
 */
export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Characters of a text column that go into a PostgreSQL index key: the
 * connector indexes `left(column, 200)`, so a query that wants the index
 * must compare that same expression. A btree entry must fit in a third of
 * a page, about 2,700 bytes: one attacker's 4,000-character user name in
 * an indexed column made PostgreSQL refuse the whole load. Three text keys
 * of 200 four-byte characters fit; MySQL indexes a prefix of 191 for the
 * same reason.
 */
export const POSTGRES_TEXT_KEY_CHARACTERS = 200;

/** The name of an index, the same on every database: `table_col1_col2`. */
export function indexName(table: string, columns: readonly string[]): string {
  return `${table}_${columns.join("_")}`;
}

/**
 * The columns a table declares that the database's table lacks: a table
 * made by an older Gummer, before a collector learned a column, gets them
 * added (empty in its old rows) instead of refusing every new row.
 * Database catalogues may fold the case of names, so names compare
 * without it.
 */
export function missingColumns(
  table: TableSpec,
  present: readonly string[],
): ColumnSpec[] {
  const have = new Set(present.map((name) => name.toLowerCase()));
  return table.columns.filter((column) => !have.has(column.name.toLowerCase()));
}

const TEXT_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

/**
 * Rows in the tab-separated text format that both PostgreSQL's `COPY ...
 * FROM STDIN` and MariaDB's `LOAD DATA` read by default: `\N` for null, a
 * backslash before tab, newline, carriage return and backslash itself.
 */
export function loaderText(rows: readonly SqlValue[][]): string {
  const lines: string[] = [];
  for (const row of rows) {
    let line = "";
    for (let i = 0; i < row.length; i++) {
      if (i > 0) line += "\t";
      line += loaderField(row[i]);
    }
    lines.push(line);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

function loaderField(value: SqlValue): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "string") {
    // PostgreSQL text cannot hold NUL, and a COPY that meets one fails; a
    // collector must escape or replace it, so say which value it was.
    if (value.includes("\0")) {
      throw new TypeError(
        `Cannot load text holding a NUL character: ${
          JSON.stringify(value.slice(0, 40))
        }`,
      );
    }
    return /[\\\t\n\r]/.test(value)
      ? value.replace(/[\\\t\n\r]/g, (char) => TEXT_ESCAPES[char])
      : value;
  }
  if (typeof value === "boolean") return value ? "1" : "0";
  if (value instanceof Uint8Array) {
    throw new TypeError("Cannot bulk-load bytes: no collector writes them");
  }
  return String(value);
}

/**
 * A connection URL with its password replaced by `***`, for lists, logs
 * and errors. A URL that does not parse is hidden whole after its scheme,
 * since where its password sits cannot be known.
 *
 * @example
 * ```ts
 * import { maskUrl } from "./sql.ts";
 * const shown = maskUrl("postgres://hunter:s3cret@db.example:5432/logs");
 * if (shown !== "postgres://hunter:***@db.example:5432/logs") throw new Error();
 * ```
 */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? "";
    return `${scheme}***`;
  }
}

/**
 * Text with every occurrence of each secret replaced by `***`: drivers may
 * quote a connection string or a password back in their messages.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    out = out.split(secret).join("***");
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join("***");
  }
  return out;
}
