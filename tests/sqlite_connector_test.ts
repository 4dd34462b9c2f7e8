import assert from "node:assert/strict";
import { join } from "node:path";
import { silentLogger } from "../engine/logger.ts";
import type { Batch, SqlValue, TableSpec } from "../engine/types.ts";
import { launch } from "../modules/connectors/sqlite.ts";

const TABLE: TableSpec = {
  name: "events",
  columns: [
    { name: "id", type: "integer" },
    { name: "host", type: "text" },
    { name: "seen", type: "timestamp" },
    { name: "score", type: "real" },
  ],
  indexes: [["host", "id"], ["seen"]],
};

/** An in-memory database, whose loads stay on this thread. */
const open = () =>
  launch({ settings: { path: ":memory:" }, logger: silentLogger });

/** A database file, whose large loads go to the loader worker. */
const openFile = () =>
  launch({
    settings: { path: join(Deno.makeTempDirSync(), "test.db") },
    logger: silentLogger,
  });

/** Both kinds, for the tests of loading. */
const KINDS = [["in memory", open], ["in a file", openFile]] as const;

/** Batches of 10,000 rows, committing after every 50,000. */
function* batches(count: number, size = 10_000): Generator<Batch> {
  for (let start = 0; start < count; start += size) {
    const rows: SqlValue[][] = [];
    for (let id = start; id < Math.min(count, start + size); id++) {
      rows.push([id, `host${id % 97}`, "2026-11-02 00:00:00.000", id / 2]);
    }
    const commit = (start + size) % 50_000 === 0 ? [] : undefined;
    yield { rows, commit };
  }
}

async function indexes(connection: Awaited<ReturnType<typeof open>>) {
  const result = await connection.query(
    "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name",
  );
  return result.rows.map((row) => row[0]);
}

Deno.test("query binds parameters and returns columns and rows", async () => {
  const db = await open();
  await db.ensureTable(TABLE);
  await db.load(TABLE, batches(3));
  const result = await db.query(
    "SELECT id, host, score, ? AS echoed FROM events WHERE id >= ? ORDER BY id",
    ["x'); DROP TABLE events; --", 1],
  );
  assert.deepEqual(result, {
    columns: ["id", "host", "score", "echoed"],
    rows: [
      [1, "host1", 0.5, "x'); DROP TABLE events; --"],
      [2, "host2", 1, "x'); DROP TABLE events; --"],
    ],
  });
  assert.equal(await db.hasTable("events"), true);
  assert.equal(await db.hasTable("nothing"), false);
  await assert.rejects(() => db.query("SELECT nope FROM events"), {
    message: "SQLite: no such column: nope",
  });
  await db.close();
});

for (const [where, openKind] of KINDS) {
  Deno.test(`a large load rebuilds the indexes it set aside (${where})`, async () => {
    const db = await openKind();
    await db.ensureTable(TABLE);
    assert.deepEqual(await indexes(db), ["events_host_id", "events_seen"]);
    assert.equal(await db.load(TABLE, batches(150_000)), 150_000);
    assert.deepEqual(await indexes(db), ["events_host_id", "events_seen"]);
    const plan = await db.query(
      "EXPLAIN QUERY PLAN SELECT id FROM events WHERE host = ?",
      ["host5"],
    );
    assert.match(
      String(plan.rows[0].at(-1)),
      /USING COVERING INDEX events_host_id/,
    );
    const sums = await db.query(
      "SELECT COUNT(*), SUM(id), COUNT(DISTINCT host) FROM events",
    );
    assert.deepEqual(sums.rows, [[150_000, 149_999 * 150_000 / 2, 97]]);
    await db.close();
  });

  Deno.test(`a load that fails part-way keeps committed rows and indexes (${where})`, async () => {
    const db = await openKind();
    await db.ensureTable(TABLE);
    async function* failing(): AsyncGenerator<Batch> {
      yield* batches(120_000);
      throw new Error("the source broke");
    }
    await assert.rejects(() => db.load(TABLE, failing()), {
      message: "Cannot insert into events: the source broke",
    });
    assert.deepEqual(await indexes(db), ["events_host_id", "events_seen"]);
    // Transactions of 50,000 rows: the first two committed, the rest rolled
    // back, and nothing holds the database locked.
    const count = await db.query("SELECT COUNT(*) FROM events");
    assert.deepEqual(count.rows, [[100_000]]);
    await db.query("INSERT INTO events (id) VALUES (?)", [-1]);
    assert.equal(await db.load(TABLE, batches(30_000)), 30_000);
    const after = await db.query("SELECT COUNT(*) FROM events");
    assert.deepEqual(after.rows, [[130_001]]);
    await db.close();
  });

  Deno.test(`a load the database refuses says why (${where})`, async () => {
    const db = await openKind();
    const missing = { ...TABLE, name: "nowhere" };
    await assert.rejects(() => db.load(missing, batches(50_000)), {
      name: "GummerError",
      message: "SQLite: no such table: nowhere",
    });
    await db.close();
  });
}

Deno.test("a database file that cannot be opened is a clear error", async () => {
  await assert.rejects(
    () =>
      launch({ settings: { path: "/no/such/dir/x.db" }, logger: silentLogger }),
    /^GummerError: Cannot open the SQLite database "\/no\/such\/dir\/x\.db": /,
  );
});
