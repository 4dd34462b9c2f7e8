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

  // Logs come in time order, so many lines share a second: reuse its text
  // and spell out only the milliseconds. toISOString was a tenth of the
  // Squid collector's time before this.
  const second = Math.floor(whole / 1000);
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString();
    lastPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}.`;
    lastSecond = second;
  }
  return lastPrefix + String(whole - second * 1000).padStart(3, "0");
}

let lastSecond = NaN;
let lastPrefix = "";
