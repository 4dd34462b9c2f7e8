/**
 * Validation of analyzer parameters and connector settings against what the
 * module declares. Values arrive as text from the command line or typed from
 * a notebook; both are checked the same way.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { parseTimeBound } from "./time.ts";
import type { Params, ParamSpec, ParamSpecs } from "./types.ts";

/**
 * The `limit` parameter that every analyzer takes: how many rows to show.
 * Ten fits a terminal and is what the original tool showed.
 */
export const LIMIT: ParamSpec = {
  type: "integer",
  default: 10,
  min: 1,
  desc: "rows to show",
};

/**
 * The start of the time window every analyzer of time-stamped data takes:
 * rows at or after it. Unset, the window is open.
 */
export const SINCE: ParamSpec = {
  type: "time",
  default: "",
  desc: "only rows at or after this time: ISO 8601 (UTC unless a zone is " +
    "given) or relative to now, such as -24h or -7d",
};

/** The end of the time window: rows before it. */
export const UNTIL: ParamSpec = {
  type: "time",
  default: "",
  desc: "only rows before this time, written as for since",
};

/** A value as given, before it is checked against its declaration. */
export type GivenValue = string | number | boolean;

/**
 * Checks given values against declarations and fills in defaults. `owner`
 * names the module in error messages, such as `analyzer apt_ips`.
 *
 * @example
 * ```ts
 * import { resolveParams } from "./params.ts";
 * const specs = { limit: { type: "integer" as const, default: 10, desc: "" } };
 * const params = resolveParams(specs, { limit: "5" }, "analyzer demo");
 * if (params.limit !== 5) throw new Error("expected 5");
 * ```
 */
export function resolveParams(
  specs: ParamSpecs | undefined,
  given: Record<string, GivenValue | undefined>,
  owner: string,
): Params {
  const declared = specs ?? {};
  const unknown = Object.keys(given)
    .filter((key) => given[key] !== undefined && !(key in declared));
  if (unknown.length > 0) {
    const names = Object.keys(declared);
    throw new UsageError(
      `The ${owner} has no parameter "${unknown[0]}". ` +
        (names.length
          ? `Its parameters: ${names.join(", ")}.`
          : "It takes no parameters."),
    );
  }

  const params: Params = {};
  for (const [key, spec] of Object.entries(declared)) {
    const value = given[key] ?? spec.default;
    if (value === undefined) {
      throw new UsageError(
        `The ${owner} needs a value for "${key}" (${spec.desc}).`,
      );
    }
    params[key] = convert(value, spec, `${key} of the ${owner}`);
  }
  return params;
}

/**
 * Splits `key=value` words from `-p` flags into an object. The last of
 * repeated keys wins, as with any repeated flag.
 */
export function parseAssignments(words: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const word of words) {
    const equals = word.indexOf("=");
    if (equals <= 0) {
      throw new UsageError(
        `Cannot read parameter "${word}": write it as key=value.`,
      );
    }
    values[word.slice(0, equals).trim()] = word.slice(equals + 1);
  }
  return values;
}

function convert(value: GivenValue, spec: ParamSpec, what: string): GivenValue {
  switch (spec.type) {
    case "string":
      return String(value);
    case "time":
      return toTime(value, what);
    case "boolean":
      return toBoolean(value, what);
    case "integer":
    case "number":
      return inRange(toNumber(value, spec.type, what), spec, what);
  }
}

function toTime(value: GivenValue, what: string): string {
  const text = String(value).trim();
  if (text === "") return "";
  const stamp = parseTimeBound(text);
  if (stamp === undefined) {
    throw new UsageError(
      `Cannot use "${value}" as ${what}: expected a time such as ` +
        "2026-11-02, 2026-11-02T08:15:00Z or -24h (also -90m, -7d, -2w).",
    );
  }
  return stamp;
}

function toBoolean(value: GivenValue, what: string): boolean {
  if (typeof value === "boolean") return value;
  const text = String(value).toLowerCase();
  if (["true", "yes", "1", "on"].includes(text)) return true;
  if (["false", "no", "0", "off"].includes(text)) return false;
  throw new UsageError(
    `Cannot use "${value}" as ${what}: expected true or false.`,
  );
}

function toNumber(
  value: GivenValue,
  type: "integer" | "number",
  what: string,
): number {
  const number = typeof value === "number"
    ? value
    : String(value).trim() === ""
    ? NaN
    : Number(value);
  const ok = type === "integer"
    ? Number.isSafeInteger(number)
    : Number.isFinite(number);
  if (!ok) {
    throw new UsageError(
      `Cannot use "${value}" as ${what}: expected ${
        type === "integer" ? "a whole number" : "a number"
      }.`,
    );
  }
  return number;
}

function inRange(number: number, spec: ParamSpec, what: string): number {
  if (spec.min !== undefined && number < spec.min) {
    throw new UsageError(
      `Cannot use ${number} as ${what}: the smallest allowed is ${spec.min}.`,
    );
  }
  if (spec.max !== undefined && number > spec.max) {
    throw new UsageError(
      `Cannot use ${number} as ${what}: the largest allowed is ${spec.max}.`,
    );
  }
  return number;
}
