/**
 * Any file of JSON objects, one per line, into a table named by the
 * `table` parameter. The columns are the keys of the file's first object
 * (names made SQL-safe), and every row also keeps the whole object as
 * written in the column `record`, so keys that appear only later, and
 * nested values, are never lost. Values are stored as text: a string as it
 * is, anything else (numbers, booleans, objects, arrays) as its JSON.
 *
 * @module
 */

import { collectLines, type LineParser } from "../../engine/collect.ts";
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

export const aid = "ndjson";
export const name = "JSON lines (NDJSON)";
export const desc =
  "Any file of JSON objects, one per line, into the table given by " +
  "-p table=NAME: a column per key of the first object, and the whole " +
  "object in the column record.";

export const params: ParamSpecs = {
  table: { type: "string", desc: "the table to collect into" },
};

/** In a folder: JSON-lines files, plain or gzip. */
export const files = ["*.ndjson*", "*.jsonl*", "*.json", "*.json.gz"];

/** None fixed: the table is named by a parameter, its columns by the data. */
export const tables: TableSpec[] = [];

/** One object per line; a few megabytes holds any sane event. */
const MAX_LINE_BYTES = 4 << 20;

export function launch(
  connection: Connection,
  inputs: Input[],
  options: CollectOptions,
): Promise<CollectReport> {
  const table = tableName(options.params?.table, aid);
  return collectLines(connection, inputs, {
    ...options,
    spec: {
      collector: aid,
      maxLineBytes: MAX_LINE_BYTES,
      table: (_input, head) => {
        const keys = keysOf(firstLine(head));
        if (typeof keys === "string") return `the first line ${keys}`;
        const names = [...columnNames([...keys, "record"])];
        return {
          name: table,
          columns: names.map((name) => ({ name, type: "text" as const })),
        };
      },
      parser,
    },
  });
}

/** Columns are fixed by the first object; later ones fill what they share. */
function parser(): LineParser {
  let keys: string[] | undefined;
  const read = (text: string): SqlValue[] | string => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return `not JSON: ${(error as Error).message}`;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return "not a JSON object";
    }
    const object = value as Record<string, unknown>;
    keys ??= Object.keys(object);
    return [...keys.map((key) => textOf(object[key])), text];
  };
  return {
    parse: read,
    skipped(text) {
      if (!keys) read(text);
    },
  };
}

function keysOf(line: string): string[] | string {
  try {
    const value = JSON.parse(line);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return Object.keys(value);
    }
    return "is not a JSON object";
  } catch {
    return "is not JSON";
  }
}

/**
 * A value as text. A NUL (`\u0000` in the JSON) becomes U+FFFD here, as
 * PostgreSQL text cannot hold it; `record` keeps the original escape.
 */
function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.includes("\0") ? text.replaceAll("\0", "\uFFFD") : text;
}
