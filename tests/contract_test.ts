/**
 * One contract, every connector: the same logs collected into SQLite,
 * PostgreSQL and MariaDB give the same table, row for row, and every
 * analyzer gives the same rows in the same order, which are the golden
 * rows in tests/golden/contract.json. SQLite's rows are checked against
 * an independent computation in apt_book_test.ts, and every other
 * analyzer's against ground truth in its own tests; regenerate the golden
 * file from SQLite with UPDATE_GOLDEN=1. The analyzers of Zeek, auth,
 * Windows and web logs run on the real datasets, when they are there.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Input, Result, SqlValue } from "../engine/types.ts";
import type { Workbench } from "../engine/workbench.ts";
import { squidSample } from "../tools/squid_sample.ts";
import { type Collection, dataset } from "./helpers/datasets.ts";
import { createTarget, KINDS, unavailable } from "../tools/test_targets.ts";

const GOLDEN = new URL("./golden/contract.json", import.meta.url);

/** Lines whose values are hard to carry through a bulk loader intact. */
const AWKWARD = [
  String
    .raw`1762071300.000 12 10.20.9.1 TCP_MISS/200 10 20 GET http://203.0.113.7/a\b\\c\N - HIER_DIRECT/203.0.113.7 text/html`,
  `1762071301.000 13 10.20.9.1 TCP_MISS/404 0 0 GET http://203.0.113.7/caf\u00e9?q=%00'";-- o'brien HIER_DIRECT/203.0.113.7 -`,
  "1762071302.000 14 10.20.9.2 NONE/000 0 GET http://[2001:db8::7]:8080/ü - HIER_NONE/- -",
  "1762071303.000 15 10.20.9.3 TCP_DENIED/403 3 0 CONNECT Example.COM:443 - HIER_NONE/- -",
  "1762071304.000 16 10.20.9.3 TCP_DENIED/403 3 0 CONNECT example.com:443 - HIER_NONE/- -",
  "not a squid line",
];

function input(name: string, lines: string[]): Input {
  const text = lines.join("\n") + "\n";
  return { name, open: () => Promise.resolve(new Blob([text]).stream()) };
}

const SAMPLE = [...squidSample()];
const INPUTS = [
  input("sample.log", SAMPLE),
  input("awkward.log", AWKWARD),
];

/**
 * The real logs every analyzer other than the APT-book ones reads, when
 * ../shared/datasets (or $GUMMER_DATASETS) is there. The auth year is
 * given, as a file's time differs from one machine to the next.
 */
const DATASET_COLLECTIONS: Collection[] = [
  {
    collector: "zeek",
    paths: [
      "rita-proxy/proxy",
      "otrf-apt29-zeek",
      "stratosphere-ctu/002-zeek-scenario-port-scanning",
      "stratosphere-ctu/007-zeek-scenario-ssh-infected",
    ],
  },
  {
    collector: "auth",
    paths: ["loghub-linux-ssh/OpenSSH", "loghub-linux-ssh/Linux"],
    params: { year: "2015" },
  },
  { collector: "windows", paths: ["otrf-windows-json"] },
  { collector: "web", paths: ["web-access-logs"] },
];

const HAVE_DATASETS = DATASET_COLLECTIONS.flatMap((c) => c.paths ?? [])
  .every((path) => existsSync(dataset(path)));

/**
 * Every analyzer run, by a key naming it and its parameters. Without the
 * datasets, only the analyzers of the squid table run.
 */
async function analyses(bench: Workbench): Promise<Record<string, Result>> {
  const results: Record<string, Result> = {};
  for (const { module } of bench.list("analyzers")) {
    if (!HAVE_DATASETS && !module.tables?.includes("squid")) continue;
    for (const limit of [3, 25]) {
      const result = await bench.analyze(module.aid, { params: { limit } });
      results[`${module.aid} limit=${limit}`] = {
        columns: result.columns,
        rows: result.rows,
        ...(result.notes ? { notes: result.notes } : {}),
      };
    }
  }
  return results;
}

/** The whole table, in an order that does not depend on the dialect. */
async function wholeTable(bench: Workbench): Promise<SqlValue[][]> {
  const result = await bench.query("SELECT * FROM squid");
  const key = (row: SqlValue[]) => JSON.stringify(row);
  return result.rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

let reference: SqlValue[][] | undefined;

for (const kind of KINDS) {
  const skip = unavailable(kind);
  Deno.test({
    name: `contract on ${kind}${skip ? ` (${skip})` : ""}`,
    ignore: skip !== undefined,
    async fn(t) {
      const target = await createTarget(kind);
      const bench = await target.open();
      const rejects = join(Deno.makeTempDirSync(), "rejects.ndjson");
      try {
        await t.step("collect: exact counts", async () => {
          const report = await bench.collect("squid", INPUTS, {
            rejectFile: rejects,
          });
          assert.deepEqual(
            report.files.map((f) => [f.file, f.inserted, f.failed]),
            [["sample.log", SAMPLE.length, 0], ["awkward.log", 5, 1]],
          );
        });

        await t.step("the same logs again insert nothing", async () => {
          const again = await bench.collect("squid", INPUTS, {
            rejectFile: rejects,
          });
          assert.equal(again.inserted, 0);
          assert.deepEqual(again.files.map((f) => f.skipped), [
            SAMPLE.length,
            6,
          ]);
        });

        await t.step(
          "the table holds the same values as SQLite's",
          async () => {
            const rows = await wholeTable(bench);
            assert.equal(rows.length, SAMPLE.length + 5);
            if (kind === "sqlite") reference = rows;
            assert.ok(reference, "the SQLite contract runs first");
            assert.deepEqual(rows, reference);
          },
        );

        await t.step(
          "a query error shows the database's own message",
          async () => {
            await assert.rejects(
              () => bench.query("SELEKT 1"),
              /^GummerError: (SQLite|PostgreSQL|MySQL): .*(syntax|SELEKT)/,
            );
          },
        );

        await t.step(
          "indexed text of any length goes in and is found",
          async () => {
            // Random text does not compress: 6,000 characters, three of
            // them multi-byte, in each of three indexed text columns, as
            // an attacker's user name or path may be.
            const LETTERS = [..."abcdefghijklmnopqrstuvwxyzé€😀"];
            const long = (seed: number) => {
              let x = seed * 2654435761 >>> 0; // xorshift32
              return Array.from({ length: 6000 }, () => {
                x = (x ^ (x << 13)) >>> 0;
                x = (x ^ (x >>> 17)) >>> 0;
                x = (x ^ (x << 5)) >>> 0;
                return LETTERS[x % LETTERS.length];
              }).join("");
            };
            const table = {
              name: "long_keys",
              columns: [
                { name: "a", type: "text" as const },
                { name: "b", type: "text" as const },
                { name: "c", type: "text" as const },
                { name: "n", type: "integer" as const },
              ],
              indexes: [["a", "b", "c"], ["c", "n"]],
            };
            const connection = await bench.connect();
            await connection.ensureTable(table);
            const rows = [1, 2, 3].map((seed) => [
              long(seed),
              long(seed + 10),
              long(seed + 20),
              seed,
            ]);
            assert.equal(await connection.load(table, [{ rows }]), 3);
            const found = await bench.query(
              "SELECT n, a FROM long_keys WHERE a = ? AND c = ?",
              { params: [rows[1][0], rows[1][2]] },
            );
            assert.deepEqual(found.rows, [[2, rows[1][0]]]);
          },
        );

        await t.step(
          "a table made before a column was declared gains it",
          async () => {
            const connection = await bench.connect();
            const before = {
              name: "grown",
              columns: [
                { name: "host", type: "text" as const },
                { name: "n", type: "integer" as const },
              ],
            };
            await connection.ensureTable(before);
            await connection.load(before, [{ rows: [["old", 1]] }]);
            // A newer collector declares two more columns, one between
            // the old ones, and an index on one of them.
            const after = {
              name: "grown",
              columns: [
                { name: "host", type: "text" as const },
                { name: "status", type: "text" as const },
                { name: "n", type: "integer" as const },
                { name: "seen", type: "timestamp" as const },
              ],
              indexes: [["status"]],
            };
            await connection.ensureTable(after);
            await connection.ensureTable(after);
            await connection.load(after, [{
              rows: [["new", "0x0", 2, "2030-01-02 03:04:05.678"]],
            }]);
            const found = await bench.query(
              "SELECT host, status, n, seen FROM grown ORDER BY n",
            );
            assert.deepEqual(found.rows, [
              ["old", null, 1, null],
              ["new", "0x0", 2, "2030-01-02 03:04:05.678"],
            ]);
          },
        );

        await t.step({
          name: "collect the real datasets" +
            (HAVE_DATASETS ? "" : " (skipped: datasets not found; only " +
              "the squid analyzers are compared)"),
          ignore: !HAVE_DATASETS,
          async fn() {
            for (const collection of DATASET_COLLECTIONS) {
              const report = await bench.collect(
                collection.collector,
                (collection.paths ?? []).map((path) => dataset(path)),
                { rejectFile: rejects, params: collection.params },
              );
              assert.ok(report.inserted > 0, collection.collector);
            }
          },
        });

        await t.step("every analyzer gives the golden rows", async () => {
          const results = await analyses(bench);
          if (kind === "sqlite" && Deno.env.get("UPDATE_GOLDEN")) {
            Deno.writeTextFileSync(
              GOLDEN,
              JSON.stringify(results, null, 1) + "\n",
            );
          }
          const golden = JSON.parse(Deno.readTextFileSync(GOLDEN));
          assert.deepEqual(
            Object.keys(results),
            Object.keys(golden).filter((key) => key in results),
          );
          if (HAVE_DATASETS) {
            assert.deepEqual(Object.keys(results), Object.keys(golden));
          }
          for (const key of Object.keys(golden)) {
            assert.deepEqual(results[key], golden[key], `${kind}: ${key}`);
          }
        });
      } finally {
        await bench.close();
        await target.drop();
      }
    },
  });
}
