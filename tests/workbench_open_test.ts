/**
 * Opening a workbench on a database URL or a SQLite file's path, as a
 * notebook does, and the results it returns showing themselves in a
 * notebook. The servers' tests run when GUMMER_TEST_POSTGRES_URL and
 * GUMMER_TEST_MYSQL_URL name test databases.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { targetProfile } from "../engine/config.ts";
import { GummerError, UsageError } from "../engine/errors.ts";
import { maskUrl } from "../engine/sql.ts";
import { Workbench } from "../engine/workbench.ts";
import { envOf, tempTree } from "./helpers/temp.ts";

const LINES = [
  "1762071300.000 10 10.20.1.5 TCP_MISS/200 500 900 GET http://203.0.113.9/a - HIER_DIRECT/203.0.113.9 text/html",
  "1762071301.000 20 10.20.1.6 TCP_MISS/200 500 800 GET http://203.0.113.9/b - HIER_DIRECT/203.0.113.9 text/html",
  "1762071302.000 30 10.20.1.5 TCP_MISS/200 500 700 GET http://198.51.100.7/c - HIER_DIRECT/198.51.100.7 text/html",
];

const input = {
  name: "access.log",
  open: () => Promise.resolve(new Blob([LINES.join("\n") + "\n"]).stream()),
};

/** No config file and no GUMMER_* variables: only what a test gives. */
const NO_ENV = envOf({});

const display = Symbol.for("Jupyter.display");

Deno.test("a URL or a path is an unnamed profile; ids and names are not", () => {
  const cases: [string, ReturnType<typeof targetProfile>][] = [
    ["postgres://h@db/logs", {
      driver: "postgres",
      url: "postgres://h@db/logs",
    }],
    ["postgresql://db/logs", {
      driver: "postgres",
      url: "postgresql://db/logs",
    }],
    ["mysql://h:pw@db:3306/logs", {
      driver: "mysql",
      url: "mysql://h:pw@db:3306/logs",
    }],
    ["MariaDB://db/logs", { driver: "mysql", url: "MariaDB://db/logs" }],
    ["cases/acme.db", { driver: "sqlite", path: "cases/acme.db" }],
    ["/srv/evidence", { driver: "sqlite", path: "/srv/evidence" }],
    ["acme.sqlite3", { driver: "sqlite", path: "acme.sqlite3" }],
    ["C:\\cases\\acme", { driver: "sqlite", path: "C:\\cases\\acme" }],
    [":memory:", { driver: "sqlite", path: ":memory:" }],
    ["sqlite", undefined],
    ["prod_pg", undefined],
    ["postgres", undefined],
  ];
  for (const [target, profile] of cases) {
    assert.deepEqual(targetProfile(target), profile, target);
  }
  assert.throws(
    () => targetProfile("redis://hunter:s3cret@cache:6379/0"),
    (error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        "Cannot open the database redis://hunter:***@cache:6379/0: Gummer " +
          "knows URLs that start with postgres://, postgresql://, mysql://, " +
          "mariadb://, or the path of a SQLite file.",
      );
      return true;
    },
  );
});

Deno.test("a workbench opens on a SQLite file's path", async () => {
  const folder = tempTree({});
  const path = join(folder, "acme.db");
  const bench = await Workbench.open({ env: NO_ENV, connector: path });
  const report = await bench.collect("squid", [input], {
    rejectFile: join(folder, "rejects.ndjson"),
  });
  assert.equal(report.inserted, 3);
  const result = await bench.analyze("apt_ips");
  assert.deepEqual(result.rows.map((row) => row.slice(0, 3)), [
    ["203.0.113.9", 2, 2],
    ["198.51.100.7", 1, 1],
  ]);
  assert.equal((await bench.connect()).dialect, "sqlite");
  assert.deepEqual(bench.databases().at(-1), {
    id: path,
    driver: "sqlite",
    name: "SQLite file",
    desc: "The database this session was opened on.",
    target: path,
  });
  await bench.close();

  // The rows are in that file, where a second session finds them.
  assert.ok(Deno.statSync(path).size > 0);
  const again = await Workbench.open({ env: NO_ENV, connector: path });
  const count = await again.query("SELECT COUNT(*) AS n FROM squid");
  assert.deepEqual(count.rows, [[3]]);
  await again.close();
});

Deno.test("a profile of the config file wins over a path of the same name", async () => {
  const folder = tempTree({});
  const file = join(folder, "gummer.json");
  const real = join(folder, "real.db");
  Deno.writeTextFileSync(
    file,
    JSON.stringify({
      profiles: { "case.db": { driver: "sqlite", path: real } },
    }),
  );
  const bench = await Workbench.open({
    env: envOf({ GUMMER_CONFIG: file }),
    connector: "case.db",
  });
  await bench.query("CREATE TABLE marker (n INTEGER)");
  await bench.close();
  assert.ok(Deno.statSync(real).isFile);
  assert.equal(bench.databases().at(-1)?.id, "case.db");
  assert.equal(bench.databases().at(-1)?.target, real);
});

Deno.test("a URL's password is masked wherever the database is shown", async () => {
  // Port 9 (discard) refuses at once: nothing listens on it here.
  const url = "postgres://hunter:s3cret@127.0.0.1:9/logs";
  const bench = await Workbench.open({ env: NO_ENV, connector: url });
  const listed = bench.databases().at(-1);
  assert.deepEqual(listed, {
    id: "postgres://hunter:***@127.0.0.1:9/logs",
    driver: "postgres",
    name: "postgres URL",
    desc: "The database this session was opened on.",
    target: "postgres://hunter:***@127.0.0.1:9/logs",
  });
  assert.doesNotMatch(JSON.stringify(bench.databases()), /s3cret/);

  await assert.rejects(
    () => bench.query("SELECT 1"),
    (error) => {
      assert.ok(error instanceof GummerError, String(error));
      assert.doesNotMatch(error.message, /s3cret/);
      assert.match(error.message, /hunter:\*\*\*@127\.0\.0\.1:9/);
      return true;
    },
  );
  await bench.close();
});

Deno.test("a URL of an unknown kind fails when the workbench opens", async () => {
  await assert.rejects(
    () => Workbench.open({ env: NO_ENV, connector: "ftp://u:pw@h/x" }),
    /Cannot open the database ftp:\/\/u:\*\*\*@h\/x: Gummer knows URLs/,
  );
});

Deno.test("analyze and query return results that show as tables", async () => {
  const env = envOf({ GUMMER_SQLITE: ":memory:" });
  const bench = await Workbench.open({ env });
  await bench.collect("squid", [input], { rejectFile: "/dev/null" });

  const analyzed = await bench.analyze("apt_ips", { params: { limit: 1 } });
  const queried = await bench.query(
    "SELECT host, COUNT(*) AS hits FROM squid GROUP BY host ORDER BY host",
  );
  await bench.close();

  for (const result of [analyzed, queried]) {
    const descriptor = Object.getOwnPropertyDescriptor(result, display);
    assert.equal(descriptor?.enumerable, false);
    const bundle = await descriptor?.value();
    assert.match(bundle["text/html"], /^<div class="gummer-result">/);
    assert.match(bundle["text/plain"], /^host /);
  }
  // Plain data otherwise: deepEqual with literals holds.
  assert.deepEqual(queried, {
    columns: ["host", "hits"],
    rows: [["198.51.100.7", 1], ["203.0.113.9", 2]],
  });
  const bundle = await Object.getOwnPropertyDescriptor(analyzed, display)
    ?.value();
  assert.ok(bundle["text/html"].includes(
    '<p class="gummer-title">apt_ips</p>',
  ));
});

// The servers, when the tests are given them.

for (
  const [driver, variable] of [
    ["postgres", "GUMMER_TEST_POSTGRES_URL"],
    ["mysql", "GUMMER_TEST_MYSQL_URL"],
  ] as const
) {
  const url = Deno.env.get(variable);
  Deno.test({
    name: `a workbench opens on a ${driver} URL`,
    ignore: url === undefined,
    async fn() {
      const bench = await Workbench.open({ env: NO_ENV, connector: url });
      const result = await bench.query("SELECT 1 + 1 AS two");
      assert.deepEqual(result.rows, [[2]]);
      assert.equal((await bench.connect()).dialect, driver);
      const listed = bench.databases().at(-1);
      assert.equal(listed?.driver, driver);
      assert.equal(listed?.target, maskUrl(url!));
      const password = new URL(url!).password;
      if (password) {
        assert.ok(!JSON.stringify(bench.databases()).includes(password));
      }
      await bench.close();
    },
  });
}
