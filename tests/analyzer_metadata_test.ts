/**
 * What every shipped analyzer must declare: its hypothesis, ATT&CK
 * techniques, false positives, the collector tables it reads, `limit`,
 * and `since` and `until` when those tables are time-stamped.
 */

import assert from "node:assert/strict";
import { loadRegistry } from "../engine/registry.ts";
import { parseTimeBound } from "../engine/time.ts";

const registry = await loadRegistry();
const collectorTables = new Map(
  registry.list("collectors").flatMap(({ module }) =>
    module.tables.map((table) => [table.name, table] as const)
  ),
);

for (const { module, file } of registry.list("analyzers")) {
  Deno.test(`${module.aid} declares what a hunter needs to judge it`, () => {
    assert.ok((module.hypothesis ?? "").length > 40, `${file}: hypothesis`);
    assert.ok(
      (module.falsePositives ?? "").length > 40,
      `${file}: falsePositives`,
    );
    assert.ok((module.mitre ?? []).length > 0, `${file}: mitre`);
    for (const id of module.mitre ?? []) {
      assert.match(id, /^T\d{4}(\.\d{3})?$/, `${file}: ${id}`);
    }
    assert.ok((module.tables ?? []).length > 0, `${file}: tables`);
    const params = module.params ?? {};
    assert.equal(params.limit?.type, "integer", `${file}: limit`);
    for (const name of module.tables ?? []) {
      const table = collectorTables.get(name);
      assert.ok(table, `${file}: no collector writes ${name}`);
      if (table.columns.some((column) => column.type === "timestamp")) {
        assert.equal(params.since?.type, "time", `${file}: since`);
        assert.equal(params.until?.type, "time", `${file}: until`);
      }
    }
  });
}

Deno.test("time bounds: absolute, zoned, relative, and nonsense refused", () => {
  const now = Date.UTC(2026, 10, 2, 12, 30);
  const cases: [string, string | undefined][] = [
    ["2026-11-02", "2026-11-02 00:00:00.000"],
    ["2026-11-02T08:15", "2026-11-02 08:15:00.000"],
    ["2026-11-02 08:15:07.25", "2026-11-02 08:15:07.250"],
    ["2026-11-02T08:15:00-0500", "2026-11-02 13:15:00.000"],
    ["2026-11-02T08:15:00Z", "2026-11-02 08:15:00.000"],
    ["-90m", "2026-11-02 11:00:00.000"],
    ["-2w", "2026-10-19 12:30:00.000"],
    ["-1.5d", "2026-11-01 00:30:00.000"],
    ["now", "2026-11-02 12:30:00.000"],
    ["2026-13-02", undefined],
    ["-3y", undefined],
    ["24h", undefined],
    ["'; DROP TABLE squid; --", undefined],
  ];
  for (const [text, expected] of cases) {
    assert.equal(parseTimeBound(text, now), expected, text);
  }
});
