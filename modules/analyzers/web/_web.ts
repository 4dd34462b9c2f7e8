/**
 * What the web analyzers share: the SQL conditions for client errors,
 * successful answers and server-side script paths, a matcher for lists of
 * words written as portable LIKE tests, and keyset paging so that groups
 * scored in TypeScript arrive a page at a time.
 *
 * @module
 */

import type { Connection, SqlValue } from "../../../engine/types.ts";

/** Responses that blame the client: missing, forbidden, refused (4xx). */
export const CLIENT_ERROR = "http_status BETWEEN 400 AND 499";

/**
 * Responses that say the target exists and ran (2xx). The NSA's web shell
 * analytics look only at these: a 404 never reached a working script.
 */
export const ANSWERED = "http_status BETWEEN 200 AND 299";

/**
 * Requests whose client is known. Not `client_ip IS NOT NULL`: MariaDB
 * answers that by walking its index of the column, a prefix index that
 * costs a table lookup per row, instead of reading the table straight
 * through (measured by the beacons analyzer: 105 s instead of 15 on a
 * million rows). A length test uses no index. `column` is the analyzer's.
 */
export function knownClient(column = "client_ip"): string {
  return `LENGTH(${column}) > 0`;
}

/**
 * Extensions that a server runs rather than sends: Java Server Pages,
 * PHP, classic ASP and ASP.NET (pages, handlers, services), ColdFusion,
 * CGI and Perl. `.cer` and `.asa` run as ASP on IIS by default and are a
 * known way round upload filters. Python and shell files are left out:
 * outside /cgi-bin/ an Apache or nginx server sends them as text, and the
 * benign baseline (elastic-apache) is full of such downloads.
 */
export const SCRIPT_EXTENSIONS = [
  "jsp",
  "jspx",
  "jspf",
  "php",
  "php3",
  "php4",
  "php5",
  "php7",
  "phtml",
  "phar",
  "asp",
  "aspx",
  "ashx",
  "asmx",
  "asa",
  "cer",
  "cfm",
  "cfml",
  "cgi",
  "pl",
];

/** Words the analyzers write into SQL text: see `likeTest`. */
const SAFE_WORD = /^[a-z0-9./:;|+% -]+$/;

/** SQL true when `column`, lower-cased, contains any of `words`. */
export function containsAny(column: string, words: readonly string[]): string {
  return `(${words.map((word) => likeTest(column, `%${word}%`)).join(" OR ")})`;
}

/**
 * SQL that keeps the paths `isScriptPath` may accept and few others: a
 * dot and the first three letters of a script extension. Eleven LIKE
 * tests a row instead of forty; `isScriptPath` then decides.
 */
export function scriptPath(column: string): string {
  const stems = new Set(SCRIPT_EXTENSIONS.map((e) => `.${e.slice(0, 3)}`));
  return containsAny(column, [...stems]);
}

const SCRIPT = new RegExp(
  String.raw`\.(${SCRIPT_EXTENSIONS.join("|")})(;[^/]*)?$`,
  "i",
);

/**
 * Whether a path names a script: it ends in a script extension, or has
 * one before a `;` parameter (Tomcat's `;jsessionid=`).
 */
export function isScriptPath(path: string): boolean {
  return SCRIPT.test(path);
}

/**
 * A CASE branch list naming the first word of `words` found in any of
 * `columns`: `WHEN ... THEN 'word'` for each, to go inside CASE ... END.
 */
export function firstWordFound(
  columns: readonly string[],
  words: readonly string[],
): string {
  return words.map((word) => {
    const tests = columns.map((column) => likeTest(column, `%${word}%`));
    return `WHEN ${tests.join(" OR ")} THEN '${word}'`;
  }).join(" ");
}

/**
 * `LOWER(column) LIKE 'pattern'`. Only the analyzers' own words reach SQL
 * text, and they are checked here so that a careless edit to a list (a
 * quote, a `_` wildcard, a `?` the connector would bind) fails at once:
 * lower-case letters, digits, space and `. / : ; | + % -` pass. A `%` is
 * LIKE's wildcard, so a word holding one matches more, never less: only
 * lists that narrow candidates for an exact test in TypeScript use it.
 */
function likeTest(column: string, pattern: string): string {
  const word = pattern.replaceAll("%", "");
  if (!SAFE_WORD.test(word)) {
    throw new TypeError(
      `Cannot use "${word}" in a web analyzer's SQL: only lower-case ` +
        "letters, digits, space and . / : ; | + % - are allowed in its " +
        "word lists.",
    );
  }
  return `LOWER(${column}) LIKE '${pattern}'`;
}

/** One page's statement, given the key of the last row of the page before. */
export type PageQuery = (after: SqlValue[] | undefined) => {
  sql: string;
  params: SqlValue[];
};

/** Rows fetched per page: enough to make few round trips, few to hold. */
export const PAGE_ROWS = 1000;

/**
 * Every row of a query ordered by its first `keyColumns` columns, a page
 * at a time. `query` builds each page's statement, with the key of the
 * previous page's last row to continue after (undefined for the first),
 * and must end in `LIMIT` of `PAGE_ROWS`.
 */
export async function* pagedRows(
  connection: Connection,
  query: PageQuery,
  keyColumns: number,
): AsyncGenerator<SqlValue[]> {
  let after: SqlValue[] | undefined;
  while (true) {
    const { sql, params } = query(after);
    const { rows } = await connection.query(sql, params);
    yield* rows;
    if (rows.length < PAGE_ROWS) return;
    after = rows[rows.length - 1].slice(0, keyColumns);
  }
}

/**
 * A keyset condition: the rows whose `columns`, compared in order, come
 * after `after`; always true on the first page. Written without row
 * values, which each database plans differently.
 */
export function afterKey(
  columns: readonly string[],
  after: SqlValue[] | undefined,
): { sql: string; params: SqlValue[] } {
  if (!after) return { sql: "1 = 1", params: [] };
  const branches: string[] = [];
  const params: SqlValue[] = [];
  columns.forEach((column, index) => {
    const equal = columns.slice(0, index).map((c) => `${c} = ?`);
    branches.push(`(${[...equal, `${column} > ?`].join(" AND ")})`);
    params.push(...after.slice(0, index + 1));
  });
  return { sql: `(${branches.join(" OR ")})`, params };
}
