/**
 * What the output modules share: turning a value into text or JSON, naming
 * JSON keys, and writing in chunks. The leading `_` keeps the registry from
 * loading this file as a module.
 *
 * @module
 */

import type { SqlValue } from "../../engine/types.ts";

/**
 * Characters a terminal may act on (C0, DEL and C1), and invisible ones
 * that change how a line reads: zero-width characters and the bidi
 * overrides and isolates ("Trojan Source"), which can make a malicious URL
 * display as a harmless one.
 */
const CONTROL =
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** DEL and C1, which JSON.stringify leaves raw inside strings. */
const RAW_IN_JSON = /[\x7f-\x9f]/g;

const SHORT_ESCAPES: Record<string, string> = {
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

/** Bytes as `\x` followed by lower-case hex, the way PostgreSQL shows bytea. */
export function hexText(bytes: Uint8Array): string {
  let hex = "\\x";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * A value as plain text: null as the empty string, booleans as true/false,
 * bytes as hex. Control characters pass through unchanged.
 */
export function valueText(value: SqlValue): string {
  if (value === null) return "";
  if (value instanceof Uint8Array) return hexText(value);
  return String(value);
}

/**
 * Text with every control character spelled out, so that log text holding
 * ANSI escapes cannot recolour, move or retitle the hunter's terminal: tab,
 * newline and carriage return as `\t`, `\n`, `\r`, the others as `\xHH`. A
 * backslash already in the text stays as it is.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (char) => {
    const short = SHORT_ESCAPES[char];
    if (short) return short;
    const code = char.charCodeAt(0);
    return code > 0xff
      ? `\\u{${code.toString(16)}}`
      : "\\x" + code.toString(16).padStart(2, "0");
  });
}

/**
 * A value as JSON can carry it. A bigint stays a number while a double holds
 * it exactly, and becomes a string of digits beyond that, so a reader never
 * gets a silently rounded count. NaN and the infinities, which JSON has no
 * number for, become strings for the same reason (JSON.stringify would write
 * null). Bytes become hex text.
 */
export function jsonValue(value: SqlValue): string | number | boolean | null {
  if (typeof value === "bigint") {
    const safe = value >= BigInt(Number.MIN_SAFE_INTEGER) &&
      value <= BigInt(Number.MAX_SAFE_INTEGER);
    return safe ? Number(value) : value.toString();
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    return String(value);
  }
  if (value instanceof Uint8Array) return hexText(value);
  return value;
}

/**
 * JSON keys for the columns, one per column, none repeated. A repeated name
 * (two `count` columns) gets the first free suffix from `_2` on. Names that
 * appear in the result are never taken as suffixed keys, so `count, count,
 * count_2` gives `count, count_3, count_2` and no value overwrites another.
 */
export function uniqueKeys(columns: readonly string[]): string[] {
  const taken = new Set(columns);
  const seen = new Set<string>();

  return columns.map((column) => {
    if (!seen.has(column)) {
      seen.add(column);
      return column;
    }
    let suffix = 2;
    while (taken.has(`${column}_${suffix}`)) suffix++;
    const key = `${column}_${suffix}`;
    taken.add(key);
    return key;
  });
}

/**
 * One row as an object keyed by `keys`. Object.fromEntries defines own
 * properties, so a column named `__proto__` is a key like any other rather
 * than a change of the object's prototype.
 */
export function rowObject(
  keys: readonly string[],
  row: readonly SqlValue[],
): Record<string, string | number | boolean | null> {
  return Object.fromEntries(
    keys.map((key, i) => [key, jsonValue(row[i] ?? null)]),
  );
}

/**
 * JSON.stringify, with DEL and the C1 controls escaped as `\u00HH` too. JSON
 * allows them raw, but some terminals obey a raw C1 (U+009B starts a control
 * sequence), and the escaped form parses back to the same string.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    RAW_IN_JSON,
    (char) => "\\u" + char.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** Characters gathered before a write: few writes, yet no whole document. */
const CHUNK_SIZE = 64 * 1024;

/**
 * Gathers text into chunks of about 64 KiB before handing it to `write`, so
 * that a million rows make a few hundred writes rather than a million.
 */
export class ChunkWriter {
  readonly #write: (text: string) => Promise<void>;
  #pending = "";

  constructor(write: (text: string) => Promise<void>) {
    this.#write = write;
  }

  /** Adds text, writing the gathered chunk once it is big enough. */
  async add(text: string): Promise<void> {
    this.#pending += text;
    if (this.#pending.length >= CHUNK_SIZE) await this.flush();
  }

  /** Writes whatever is gathered. Call it once at the end. */
  async flush(): Promise<void> {
    if (this.#pending === "") return;
    const text = this.#pending;
    this.#pending = "";
    await this.#write(text);
  }
}
