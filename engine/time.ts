/**
 * Time stamps as every connector stores them: UTC text with milliseconds,
 * `2026-11-02 08:15:00.123`. The form sorts in time order as text, and
 * SQLite, PostgreSQL and MariaDB all read it as a timestamp.
 *
 * @module
 */

/** The latest instant the text form can hold (year 9999). */
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Formats milliseconds since 1970 (UTC) as a Gummer time stamp, or returns
 * undefined when the instant is out of the range databases can store.
 *
 * @example
 * ```ts
 * import { formatTimestamp } from "./time.ts";
 * if (formatTimestamp(0) !== "1970-01-01 00:00:00.000") throw new Error();
 * ```
 */
export function formatTimestamp(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) return undefined;
  const whole = Math.floor(ms);

  // Logs come in time order, so lines share a day: its text is made once,
  // and the time of day is spelled with arithmetic. toISOString was a
  // tenth of the Squid collector's time before this.
  const day = Math.floor(whole / DAY_MS);
  if (day !== lastDay) {
    lastDay = day;
    lastDayText = new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  const inDay = whole - day * DAY_MS;
  const seconds = Math.floor(inDay / 1000);
  return `${lastDayText} ${TWO_DIGITS[Math.floor(seconds / 3600)]}:${
    TWO_DIGITS[Math.floor(seconds / 60) % 60]
  }:${TWO_DIGITS[seconds % 60]}.${THREE_DIGITS[inDay % 1000]}`;
}

/**
 * A time stamp as a database printed it (`2026-11-02 08:15:00.12+00`,
 * `2026-11-02 08:15:00`) in Gummer's form, `2026-11-02 08:15:00.120`.
 * Databases drop trailing zeros of the fraction and may add the zone,
 * which is always UTC in Gummer's sessions.
 *
 * @example
 * ```ts
 * import { timestampFromDatabase } from "./time.ts";
 * const text = timestampFromDatabase("2026-11-02 08:15:00.12+00");
 * if (text !== "2026-11-02 08:15:00.120") throw new Error(text);
 * ```
 */
export function timestampFromDatabase(text: string): string {
  const match = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d+))?/.exec(text);
  if (!match) return text;
  return `${match[1]}.${(match[2] ?? "").padEnd(3, "0").slice(0, 3)}`;
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from(
  { length: 60 },
  (_, i) => String(i).padStart(2, "0"),
);
const THREE_DIGITS = Array.from(
  { length: 1000 },
  (_, i) => String(i).padStart(3, "0"),
);
let lastDay = NaN;
let lastDayText = "";

/** Units of a relative time, in milliseconds. */
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: DAY_MS,
  w: 7 * DAY_MS,
};

/**
 * Reads a time bound as a hunter types it: ISO 8601 (`2026-11-02`,
 * `2026-11-02T08:15`, `2026-11-02 08:15:00.5+02:00`; UTC unless a zone is
 * given), relative to `now` (`-24h`, `-90m`, `-7d`, `-2w`, `-30s`), or
 * `now`. Returns a Gummer time stamp, or undefined when the text is none
 * of these.
 *
 * @example
 * ```ts
 * import { parseTimeBound } from "./time.ts";
 * const now = Date.UTC(2026, 10, 2, 12);
 * if (parseTimeBound("-24h", now) !== "2026-11-01 12:00:00.000") throw 0;
 * if (parseTimeBound("2026-11-02", now) !== "2026-11-02 00:00:00.000") throw 0;
 * if (parseTimeBound("2026-11-02T10:00+02:00", now) !== "2026-11-02 08:00:00.000") throw 0;
 * if (parseTimeBound("yesterday", now) !== undefined) throw 0;
 * ```
 */
export function parseTimeBound(
  text: string,
  now: number = Date.now(),
): string | undefined {
  const given = text.trim();
  if (given === "now") return formatTimestamp(now);
  const relative = /^-(\d+(?:\.\d+)?)([smhdw])$/.exec(given);
  if (relative) {
    return formatTimestamp(now - Number(relative[1]) * UNIT_MS[relative[2]]);
  }
  const absolute =
    /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?\s*(Z|[+-]\d\d:?\d\d)?$/i
      .exec(given);
  if (!absolute) return undefined;
  const [, date, time = "00:00", zone = "Z"] = absolute;
  const offset = zone.toUpperCase() === "Z"
    ? "Z"
    : zone.length === 5
    ? `${zone.slice(0, 3)}:${zone.slice(3)}`
    : zone;
  const ms = Date.parse(
    `${date}T${time.length === 5 ? `${time}:00` : time}${offset}`,
  );
  return Number.isNaN(ms) ? undefined : formatTimestamp(ms);
}
