/**
 * What every shipped analyzer must declare: its hypothesis, ATT&CK
 * techniques, false positives, the collector tables it reads, `limit`,
 * and `since` and `until` when those tables are time-stamped.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadRegistry } from "../engine/registry.ts";
import { Workbench } from "../engine/workbench.ts";
import { envOf, moduleSource, tempTree } from "./helpers/temp.ts";
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

Deno.test("an analyzer of several tables runs on those there are, and says which are missing", async () => {
  const launch = `export async function launch(connection) {
    const rows = [];
    for (const table of ["squid", "zeek_conn"]) {
      if (!(await connection.hasTable(table))) continue;
      const found = await connection.query("SELECT COUNT(*) FROM " + table);
      rows.push([table, found.rows[0][0]]);
    }
    return { columns: ["table", "rows"], rows };
  }`;
  const pack = tempTree({
    "analyzers/either.ts": moduleSource({
      aid: "either",
      name: "Either source",
      desc: "Counts rows of whichever sources exist.",
      tables: ["squid", "zeek_conn"],
    }, launch),
  });
  const bench = await Workbench.open({
    env: envOf({ GUMMER_SQLITE: ":memory:" }),
    modules: [pack],
  });
  try {
    await assert.rejects(
      () => bench.analyze("either"),
      /The either analyzer reads the tables squid, zeek_conn, none of which this database has: collect logs into it first \(-c squid\), for example\./,
    );
    const line = "1762070400.000 5 10.0.0.1 TCP_MISS/200 100 GET " +
      "http://example.org/ - HIER_DIRECT/192.0.2.1 text/html";
    await bench.collect("squid", [{
      name: "access.log",
      open: () => Promise.resolve(new Blob([line + "\n"]).stream()),
    }], { rejectFile: join(Deno.makeTempDirSync(), "rejects") });
    const result = await bench.analyze("either");
    assert.deepEqual(result.rows, [["squid", 1]]);
    assert.deepEqual(result.notes, [
      "No table zeek_conn here, so its rows are not part of this result: " +
      "collect logs into it first (-c zeek).",
    ]);
  } finally {
    await bench.close();
  }
});
