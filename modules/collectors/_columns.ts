/**
 * Column names for the generic collectors, whose columns come from the
 * data (a CSV header, the keys of a JSON object) rather than from a
 * declaration. The leading `_` keeps the registry from loading this file.
 *
 * @module
 */

import { UsageError } from "../../engine/errors.ts";

/** SQL names that no table should take as a column as they are. */
const RESERVED = new Set([
  "user",
  "order",
  "group",
  "select",
  "from",
  "where",
  "table",
  "column",
  "index",
  "key",
  "limit",
  "offset",
  "desc",
  "asc",
  "default",
  "check",
  "primary",
  "references",
  "all",
  "and",
  "or",
  "not",
  "null",
  "to",
  "by",
  "as",
  "case",
  "end",
]);

/**
 * Turns names found in data into plain lower-case SQL names, unique and
 * never reserved: `Src IP` becomes `src_ip`, `user` becomes `user_`, a
 * second `count` becomes `count_2`, and a name with nothing usable takes
 * its position (`column_3`).
 *
 * @example
 * ```ts
 * import { columnNames } from "./_columns.ts";
 * const names = columnNames(["Src IP", "user", "count", "count", "%"]);
 * if (names.join() !== "src_ip,user_,count,count_2,column_5") throw new Error();
 * ```
 */
export function columnNames(found: readonly string[]): string[] {
  const taken = new Set<string>();
  return found.map((raw, i) => {
    let name = raw.toLowerCase().replace(/[^a-z0-9_]+/g, "_")
      .replace(/^_+|_+$/g, "");
    if (name === "") name = `column_${i + 1}`;
    if (/^[0-9]/.test(name)) name = `c_${name}`;
    if (RESERVED.has(name)) name = `${name}_`;
    let unique = name;
    for (let n = 2; taken.has(unique); n++) unique = `${name}_${n}`;
    taken.add(unique);
    return unique;
  });
}

/** A table name given as a parameter, checked to be a plain SQL name. */
export function tableName(value: unknown, collector: string): string {
  const name = String(value ?? "");
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || RESERVED.has(name)) {
    throw new UsageError(
      `The ${collector} collector needs -p table=NAME, a lower-case SQL name ` +
        `(letters, digits, _); got "${name}".`,
    );
  }
  return name;
}

/** The first line of some bytes, without a BOM or line end. */
export function firstLine(head: Uint8Array): string {
  const text = new TextDecoder().decode(head);
  const end = text.indexOf("\n");
  return (end < 0 ? text : text.slice(0, end)).replace(/^\uFEFF/, "")
    .replace(/\r$/, "");
}
