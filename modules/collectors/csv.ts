/**
 * Any CSV file with a header line, into a table named by the `table`
 * parameter, one text column per header field. For the logs no other
 * collector reads: exports of a firewall, a SIEM or a spreadsheet.
 *
 * Fields follow RFC 4180: a field in double quotes may hold the delimiter
 * and doubled quotes. An empty field is null; a quoted empty field ("") is
 * an empty string. A quoted field that runs onto the next line is not
 * read: the line is rejected with that reason, and kept in the reject
 * file. Every value is stored as text, as written, so nothing is rounded
 * or reformatted; cast in the query where a number is meant.
 *
 * @module
 */

import { collectLines, type LineParser } from "../../engine/collect.ts";
import { UsageError } from "../../engine/errors.ts";
import type {
  CollectOptions,
  CollectReport,
  Connection,
  Input,
  ParamSpecs,
  SqlValue,
  TableSpec,
} from "../../engine/types.ts";
import { columnNames, firstLine, tableName } from "./_columns.ts";

export const aid = "csv";
export const name = "CSV with a header";
export const desc =
  "Any CSV file with a header line, into the table given by -p table=NAME, " +
  "one text column per header field (names made SQL-safe).";

export const params: ParamSpecs = {
  table: { type: "string", desc: "the table to collect into" },
  delimiter: {
    type: "string",
    default: ",",
    desc: "the field separator: one character, or tab",
  },
};

/** In a folder: CSV files, plain or gzip. */
export const files = ["*.csv", "*.csv.gz"];

/** None fixed: the table is named by a parameter, its columns by a header. */
export const tables: TableSpec[] = [];

/** A CSV line with a long quoted field is still a line; 1 MiB is plenty. */
const MAX_LINE_BYTES = 1 << 20;

export function launch(
  connection: Connection,
  inputs: Input[],
  options: CollectOptions,
): Promise<CollectReport> {
  const table = tableName(options.params?.table, aid);
  const delimiter = separator(String(options.params?.delimiter ?? ","));
  return collectLines(connection, inputs, {
    ...options,
    spec: {
      collector: aid,
      maxLineBytes: MAX_LINE_BYTES,
      table: (_input, head) => {
        const header = splitCsv(firstLine(head), delimiter);
        if (typeof header === "string" || header.every((f) => !f)) {
          return "the first line is not a CSV header";
        }
        const names = columnNames(header.map((field) => field ?? ""));
        return {
          name: table,
          columns: names.map((name) => ({ name, type: "text" as const })),
        };
      },
      parser: () => parser(delimiter),
    },
  });
}

/** The header is the first line; every later line must match its width. */
function parser(delimiter: string): LineParser {
  let width = -1;
  const header = (text: string) => {
    const fields = splitCsv(text.replace(/^\uFEFF/, ""), delimiter);
    width = typeof fields === "string" ? 0 : fields.length;
  };
  return {
    parse(text) {
      if (width < 0) {
        header(text);
        return null;
      }
      const nul = text.indexOf("\0");
      if (nul >= 0) return `binary data: NUL byte at column ${nul + 1}`;
      const fields = splitCsv(text, delimiter);
      if (typeof fields === "string") return fields;
      if (fields.length !== width) {
        return `expected ${width} fields, as the header has, got ${fields.length}`;
      }
      return fields;
    },
    skipped(text) {
      if (width < 0) header(text);
    },
  };
}

function separator(given: string): string {
  if (given === "tab" || given === "\\t") return "\t";
  if (given.length !== 1 || given === '"') {
    throw new UsageError(
      `Cannot use "${given}" as the CSV delimiter: give one character, or tab.`,
    );
  }
  return given;
}

/**
 * Splits one CSV line. Returns the fields (null for an empty unquoted
 * field) or the reason the line cannot be read.
 */
export function splitCsv(
  line: string,
  delimiter = ",",
): (SqlValue & (string | null))[] | string {
  const fields: (string | null)[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        const quote = line.indexOf('"', j);
        if (quote < 0) {
          return "a quoted field runs past the end of the line " +
            "(fields over several lines are not read)";
        }
        value += line.slice(j, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          j = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i < line.length && line[i] !== delimiter) {
        return `text after the closing quote of field ${fields.length}`;
      }
    } else {
      const end = line.indexOf(delimiter, i);
      const value = end < 0 ? line.slice(i) : line.slice(i, end);
      fields.push(value === "" ? null : value);
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return fields;
    i++; // past the delimiter
    if (i === line.length) {
      fields.push(null);
      return fields;
    }
  }
}
