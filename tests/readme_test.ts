/**
 * The README is the front door: its example analyzer must load and run as
 * written, and CI must run the test command it names.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadRegistry } from "../engine/registry.ts";
import { formatTimestamp } from "../engine/time.ts";
import { Workbench } from "../engine/workbench.ts";
import { squidSample } from "../tools/squid_sample.ts";
import { envOf, ROOT, tempTree } from "./helpers/temp.ts";

const README = Deno.readTextFileSync(join(ROOT, "README.md"));

function codeBlockAfter(marker: string): string {
  const from = README.indexOf(marker);
  assert.ok(from >= 0, `README has no "${marker}"`);
  const match = /```ts ignore\n([\s\S]*?)```/.exec(README.slice(from));
  assert.ok(match, `no code block after "${marker}"`);
  return match[1];
}

Deno.test("the README's example analyzer runs as written", async () => {
  const source = codeBlockAfter("An **analyzer**")
    .replace('"../../mod.ts"', JSON.stringify(join(ROOT, "mod.ts")));
  const pack = tempTree({ "analyzers/busy_clients.ts": source });
  const bench = await Workbench.open({
    env: envOf({ GUMMER_SQLITE: ":memory:" }),
    modules: [pack],
  });
  assert.deepEqual(bench.registry.problems, []);

  const lines = [...squidSample({ days: 1, clients: 5 })];
  const input = {
    name: "sample.log",
    open: () => Promise.resolve(new Blob([lines.join("\n")]).stream()),
  };
  await bench.collect("squid", [input], { rejectFile: "/dev/null" });
  const result = await bench.analyze("busy_clients", { params: { limit: 2 } });
  await bench.close();

  // The oracle: requests, first and last time per client, from the lines.
  const seen = new Map<string, { count: number; times: string[] }>();
  for (const line of lines) {
    const fields = line.split(/ +/);
    const entry = seen.get(fields[2]) ?? { count: 0, times: [] };
    entry.count++;
    entry.times.push(formatTimestamp(Math.round(Number(fields[0]) * 1000))!);
    seen.set(fields[2], entry);
  }
  const expected = [...seen].sort((a, b) =>
    b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1)
  ).slice(0, 2).map(([client, { count, times }]) => {
    times.sort();
    return [client, count, times[0], times.at(-1)];
  });
  assert.deepEqual(result.rows, expected);
});

Deno.test("CI runs the test command the README names", () => {
  const command = /```sh\n(deno task test)\n```/.exec(README)?.[1];
  assert.equal(command, "deno task test");
  const ci = Deno.readTextFileSync(join(ROOT, ".ci/run"));
  assert.match(ci, /^deno task test( |$)/m);
});

Deno.test("the README's analyzer tables name every shipped analyzer", async () => {
  const registry = await loadRegistry();
  const rows = new Set(
    [...README.matchAll(/^\| `([a-z0-9_-]+)` +\|/gm)].map((match) => match[1]),
  );
  const missing = registry.list("analyzers")
    .map(({ module }) => module.aid)
    .filter((aid) => !rows.has(aid));
  assert.deepEqual(missing, []);
});
