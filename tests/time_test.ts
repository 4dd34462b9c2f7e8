import assert from "node:assert/strict";
import { formatTimestamp } from "../engine/time.ts";

Deno.test("time stamps are UTC text with milliseconds", () => {
  const cases: [number, string | undefined][] = [
    [0, "1970-01-01 00:00:00.000"],
    [1762071300123, "2025-11-02 08:15:00.123"],
    [1762071300999, "2025-11-02 08:15:00.999"],
    [1762071301000, "2025-11-02 08:15:01.000"],
    [1762071300123.9, "2025-11-02 08:15:00.123"],
    [1762071300005, "2025-11-02 08:15:00.005"],
    [Date.UTC(9999, 11, 31, 23, 59, 59, 999), "9999-12-31 23:59:59.999"],
    [Date.UTC(10000, 0, 1), undefined],
    [-1, undefined],
    [NaN, undefined],
  ];
  // Twice, in two orders: the per-second cache must not leak between calls.
  for (const [ms, text] of [...cases, ...cases.reverse()]) {
    assert.equal(formatTimestamp(ms), text, String(ms));
  }
});
