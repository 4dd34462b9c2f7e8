/**
 * Collecting is idempotent and resumable: the same content twice inserts
 * nothing, a grown log adds only its new lines, and a run killed half-way
 * then run again ends with exactly the rows of one clean run.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Workbench } from "../engine/workbench.ts";
import { squidSample } from "../tools/squid_sample.ts";
import { envOf, ROOT } from "./helpers/temp.ts";

async function bench(path = ":memory:") {
  return await Workbench.open({ env: envOf({ GUMMER_SQLITE: path }) });
}

function sampleFile(dir: string, days: number, name = "access.log"): string {
  const path = join(dir, name);
  Deno.writeTextFileSync(path, [...squidSample({ days })].join("\n") + "\n");
  return path;
}

const ALL_ROWS = "SELECT * FROM squid ORDER BY " +
  "time, client_ip, url, duration_ms, reply_size, request_size, method";

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

Deno.test("a run killed half-way, run again, equals one clean run", async () => {
  const dir = Deno.makeTempDirSync();
  const log = sampleFile(dir, 5);
  const killed = join(dir, "killed.db");
  const clean = join(dir, "clean.db");

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "gummer.ts"), "-c", "squid", log, "-q"],
    env: { GUMMER_SQLITE: killed },
    stdout: "null",
    stderr: "null",
  }).spawn();

  // Kill it once a first commit is in, well before the end.
  const deadline = Date.now() + 60_000;
  let done = 0;
  while (done === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    done = linesDone(killed);
  }
  child.kill("SIGKILL");
  await child.status;
  const total = Deno.readTextFileSync(log).split("\n").length - 1;
  assert.ok(done > 0 && done < total, `killed at ${done} of ${total} lines`);

  const resumed = await bench(killed);
  const report = await resumed.collect("squid", [log], {
    rejectFile: join(dir, "rejects"),
  });
  // The run may have committed more between the last look and the kill.
  assert.ok((report.files[0].skipped ?? 0) >= done);
  assert.equal(report.files[0].lines, total);
  const fresh = await bench(clean);
  await fresh.collect("squid", [log], { rejectFile: join(dir, "rejects") });

  const [a, b] = [await resumed.query(ALL_ROWS), await fresh.query(ALL_ROWS)];
  assert.equal(a.rows.length, total);
  assert.deepEqual(a.rows, b.rows);
  await resumed.close();
  await fresh.close();
});

/** Lines the ledger says are in, read while the collector may be writing. */
function linesDone(path: string): number {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const row = db.prepare("SELECT MAX(lines_done) AS n FROM gummer_files")
        .get() as { n: number | null } | undefined;
      return row?.n ?? 0;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}
