/**
 * Collecting is idempotent and resumable: the same content twice inserts
 * nothing, a grown log adds only its new lines, and a run killed half-way
 * then run again ends with exactly the rows of one clean run.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Workbench } from "../engine/workbench.ts";
import { squidSample } from "../tools/squid_sample.ts";
import { envOf, ROOT } from "./helpers/temp.ts";
import {
  createTarget,
  type Kind,
  KINDS,
  unavailable,
} from "../tools/test_targets.ts";

/** Frequent commits, so that a test can stop a collection between two. */
const FREQUENT = { commitSeconds: 0.2 };

async function bench(path = ":memory:") {
  return await Workbench.open({ env: envOf({ GUMMER_SQLITE: path }) });
}

function sampleFile(dir: string, days: number, name = "access.log"): string {
  const path = join(dir, name);
  Deno.writeTextFileSync(path, [...squidSample({ days })].join("\n") + "\n");
  return path;
}

Deno.test("the same file twice inserts nothing the second time", async () => {
  const dir = Deno.makeTempDirSync();
  const log = sampleFile(dir, 1);
  const workbench = await bench();
  const options = { rejectFile: join(dir, "rejects") };

  const first = await workbench.collect("squid", [log], options);
  const second = await workbench.collect("squid", [log], options);
  assert.ok(first.inserted > 20_000);
  assert.equal(second.inserted, 0);
  assert.equal(second.files[0].skipped, first.files[0].lines);
  const count = await workbench.query("SELECT COUNT(*) FROM squid");
  assert.deepEqual(count.rows, [[first.inserted]]);
  await workbench.close();
});

Deno.test("a log that grew contributes only its new lines", async () => {
  const dir = Deno.makeTempDirSync();
  const lines = [...squidSample({ days: 1 })];
  const half = Math.floor(lines.length / 2);
  const log = join(dir, "access.log");
  Deno.writeTextFileSync(log, lines.slice(0, half).join("\n") + "\n");
  const workbench = await bench();
  const options = { rejectFile: join(dir, "rejects") };

  const first = await workbench.collect("squid", [log], options);
  Deno.writeTextFileSync(log, lines.slice(half).join("\n") + "\n", {
    append: true,
  });
  const second = await workbench.collect("squid", [log], options);
  assert.equal(first.inserted, half);
  assert.equal(second.inserted, lines.length - half);
  assert.equal(second.files[0].skipped, half);
  const count = await workbench.query("SELECT COUNT(*) FROM squid");
  assert.deepEqual(count.rows, [[lines.length]]);
  await workbench.close();
});

for (const kind of KINDS) {
  const skip = unavailable(kind);
  Deno.test({
    name:
      `a log under 64 KiB that grew, twice, adds only its new lines, on ${kind}` +
      (skip ? ` (${skip})` : ""),
    ignore: skip !== undefined,
    async fn() {
      // Small enough that its fingerprint covers it all, and changes as it
      // grows: the ledger finds it again by its name and first lines.
      const lines = [...squidSample({ days: 1 })].slice(0, 300);
      const dir = Deno.makeTempDirSync();
      const log = join(dir, "access.log");
      const target = await createTarget(kind);
      const workbench = await target.open();
      const options = { rejectFile: join(dir, "rejects") };
      try {
        const inserted: number[] = [];
        for (const [from, to] of [[0, 100], [100, 180], [180, 300]]) {
          Deno.writeTextFileSync(
            log,
            lines.slice(from, to).join("\n") + "\n",
            { append: from > 0 },
          );
          assert.ok(Deno.statSync(log).size < 64 * 1024);
          inserted.push(
            (await workbench.collect("squid", [log], options)).inserted,
          );
        }
        const again = await workbench.collect("squid", [log], options);
        assert.deepEqual([...inserted, again.inserted], [100, 80, 120, 0]);
        assert.deepEqual(
          (await workbench.query(
            "SELECT COUNT(*), MAX(lines_done) FROM squid, gummer_files " +
              "WHERE collector = 'squid' GROUP BY lines_done",
          )).rows,
          [[300, 300]],
        );
        // A log of the same name that starts differently is another log.
        Deno.writeTextFileSync(log, lines.slice(150).join("\n") + "\n");
        const other = await workbench.collect("squid", [log], options);
        assert.equal(other.inserted, 150);
      } finally {
        await workbench.close();
        await target.drop();
      }
    },
  });
}

Deno.test("a different file with the same beginning is refused", async () => {
  const dir = Deno.makeTempDirSync();
  const lines = [...squidSample({ days: 1 })];
  const log = join(dir, "access.log");
  Deno.writeTextFileSync(log, lines.join("\n") + "\n");
  const workbench = await bench();
  const options = { rejectFile: join(dir, "rejects") };
  await workbench.collect("squid", [log], options);

  // Same first 64 KiB, then a line that differs from what was collected.
  const altered = [...lines];
  altered[lines.length - 10] = altered[lines.length - 10].replace(
    "TCP_",
    "TCQ_",
  );
  const other = join(dir, "other.log");
  Deno.writeTextFileSync(other, altered.join("\n") + "\n");
  await assert.rejects(
    () => workbench.collect("squid", [other], options),
    /"[^"]*other\.log" starts like "[^"]*access\.log", of which \d+ lines were collected, but its first lines are not the same/,
  );

  // Shorter than what was collected of it: refused too.
  const shorter = join(dir, "shorter.log");
  Deno.writeTextFileSync(shorter, lines.slice(0, -5).join("\n") + "\n");
  await assert.rejects(
    () => workbench.collect("squid", [shorter], options),
    /not the same file/,
  );
  const count = await workbench.query("SELECT COUNT(*) FROM squid");
  assert.deepEqual(count.rows, [[lines.length]]);
  await workbench.close();
});

for (const kind of KINDS) {
  const skip = unavailable(kind);
  Deno.test({
    name: `${kind}: a run killed half-way, run again, equals one clean run${
      skip ? ` (${skip})` : ""
    }`,
    ignore: skip !== undefined,
    fn: () => killAndResume(kind),
  });
}

async function killAndResume(kind: Kind): Promise<void> {
  const dir = Deno.makeTempDirSync();
  const log = sampleFile(dir, 5);
  const total = Deno.readTextFileSync(log).split("\n").length - 1;
  const killed = await createTarget(kind, FREQUENT);
  const clean = await createTarget(kind, FREQUENT);
  const watcher = await killed.open();

  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "gummer.ts"), "-c", "squid", log, "-q"],
      env: killed.env,
      stdout: "null",
      stderr: "null",
    }).spawn();

    // Kill it once a first commit is in, well before the end.
    const deadline = Date.now() + 60_000;
    let done = 0;
    while (done === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done = await linesDone(watcher);
    }
    child.kill("SIGKILL");
    await child.status;
    assert.ok(done > 0 && done < total, `killed at ${done} of ${total} lines`);

    const resumed = await killed.open();
    const report = await resumed.collect("squid", [log], {
      rejectFile: join(dir, "rejects"),
    });
    // The run may have committed more between the last look and the kill.
    assert.ok((report.files[0].skipped ?? 0) >= done);
    assert.equal(report.files[0].lines, total);

    const fresh = await clean.open();
    await fresh.collect("squid", [log], { rejectFile: join(dir, "rejects") });
    const [a, b] = [await sorted(resumed), await sorted(fresh)];
    assert.equal(a.length, total);
    assert.deepEqual(a, b);
    await resumed.close();
    await fresh.close();
  } finally {
    await watcher.close();
    await killed.drop();
    await clean.drop();
  }
}

/** Lines the ledger says are in, read while the collector is writing. */
async function linesDone(watcher: Workbench): Promise<number> {
  try {
    const result = await watcher.query(
      "SELECT MAX(lines_done) FROM gummer_files",
    );
    return Number(result.rows[0][0] ?? 0);
  } catch {
    return 0; // not created yet
  }
}

/** Every row, in an order that does not depend on the dialect. */
async function sorted(bench: Workbench): Promise<string[]> {
  const result = await bench.query("SELECT * FROM squid");
  return result.rows.map((row) => JSON.stringify(row)).sort();
}

Deno.test({
  name: `postgres: a collection whose server connection died, run again, ` +
    `equals one clean run${
      unavailable("postgres") ? ` (${unavailable("postgres")})` : ""
    }`,
  ignore: unavailable("postgres") !== undefined,
  async fn() {
    const dir = Deno.makeTempDirSync();
    const log = sampleFile(dir, 5);
    const rejectFile = join(dir, "rejects");
    const broken = await createTarget("postgres", FREQUENT);
    const clean = await createTarget("postgres", FREQUENT);
    const first = await broken.open();
    const watcher = await broken.open();
    try {
      // The connector keeps one connection: its server process is the one
      // the collection will use.
      const [[pid]] = (await first.query("SELECT pg_backend_pid()")).rows;
      const collecting = first.collect("squid", [log], { rejectFile });
      collecting.catch(() => {});
      while (await linesDone(watcher) === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await watcher.query("SELECT pg_terminate_backend(?)", { params: [pid] });
      await assert.rejects(collecting, /PostgreSQL|terminat|ended/i);
      await first.close().catch(() => {});

      const again = await broken.open();
      const report = await again.collect("squid", [log], { rejectFile });
      assert.ok((report.files[0].skipped ?? 0) > 0);
      const fresh = await clean.open();
      await fresh.collect("squid", [log], { rejectFile });
      assert.deepEqual(await sorted(again), await sorted(fresh));
      await again.close();
      await fresh.close();
    } finally {
      await watcher.close();
      await broken.drop();
      await clean.drop();
    }
  },
});
