/**
 * What a hunter sees when a database server is unreachable, slow to answer
 * or refuses the login: a clear message within the connect timeout, exit
 * status 1, and never a password, wherever a URL or an error can appear.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, tempTree } from "./helpers/temp.ts";
import { unavailable } from "../tools/test_targets.ts";

const SECRET = "s3cret-Pa55:w@rd";
const ENCODED = encodeURIComponent(SECRET);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function gummer(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<Run> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(ROOT, "gummer.ts"), ...args],
    cwd: options.cwd,
    // INIT_CWD: under `deno task`, gummer works where the task was typed.
    env: { NO_COLOR: "1", INIT_CWD: options.cwd, ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
    ms: performance.now() - started,
  };
}

function assertNoSecret(...texts: string[]): void {
  for (const text of texts) {
    assert.ok(!text.includes(SECRET), `the password leaked: ${text}`);
    assert.ok(!text.includes(ENCODED), `the password leaked: ${text}`);
  }
}

/**
 * A loopback server that accepts connections and never says a word: what
 * a firewall that drops packets or a hung server looks like to a client.
 */
function silentServer(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      listener.close();
      for (const conn of held) conn.close();
    },
  };
}

for (const driver of ["postgres", "mysql"]) {
  Deno.test(`${driver}: a silent server fails within the connect timeout`, async () => {
    const server = silentServer();
    const url = `${driver}://hunter:${ENCODED}@127.0.0.1:${server.port}/logs`;
    const cwd = tempTree({
      "gummer.json": JSON.stringify({
        profiles: { slow: { driver, url, connect_timeout: 1 } },
      }),
    });
    try {
      const run = await gummer(["-db", "slow", "-a", "apt_ips"], { cwd });
      assert.equal(run.code, 1, run.stderr);
      const name = driver === "postgres" ? "PostgreSQL" : "MySQL";
      assert.match(
        run.stderr,
        new RegExp(
          `^gummer: Cannot connect to ${name} at ${driver}://hunter:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/logs: ` +
            "no answer within 1 s \\(setting connect_timeout\\)\n$",
        ),
      );
      assert.ok(run.ms < 6000, `took ${run.ms} ms with a 1 s timeout`);
      assertNoSecret(run.stdout, run.stderr);
    } finally {
      server.close();
    }
  });

  Deno.test(`${driver}: a refused connection is a clear error at once`, async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close(); // nothing listens there now
    const env = {
      [`GUMMER_${driver.toUpperCase()}_URL`]:
        `${driver}://hunter:${ENCODED}@127.0.0.1:${port}/logs`,
    };
    const run = await gummer(["-db", driver, "-a", "apt_ips", "-v", "-v"], {
      cwd: tempTree({}),
      env,
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ECONNREFUSED/);
    assert.ok(run.ms < 5000);
    assertNoSecret(run.stdout, run.stderr);
  });
}

Deno.test("-ldb masks passwords of URLs, profiles and env", async () => {
  const cwd = tempTree({
    "gummer.json": JSON.stringify({
      profiles: {
        prod_pg: {
          driver: "postgres",
          url: `postgres://hunter:${ENCODED}@db.example:5432/logs`,
        },
        lab_my: {
          driver: "mysql",
          host: "lab.example",
          user: "hunter",
          database: "logs",
          password_env: "LAB_PASSWORD",
        },
        broken: { driver: "postgres", url: `not a url ${SECRET}` },
      },
    }),
  });
  const run = await gummer(["-ldb"], {
    cwd,
    env: {
      GUMMER_MYSQL_URL: `mysql://root:${ENCODED}@10.0.0.9/x`,
      LAB_PASSWORD: SECRET,
    },
  });
  assert.equal(run.code, 0, run.stderr);
  const targets = run.stdout.split("\n").filter((l) => l.includes("target:"));
  assert.deepEqual(targets, [
    "    target: mysql://root:***@10.0.0.9/x",
    "    target: not configured",
    "    target: gummer.db",
    "    target: postgres://hunter:***@db.example:5432/logs",
    "    target: mysql://hunter@lab.example/logs",
    "    target: ***",
  ]);
  assert.match(run.stdout, /\n\[prod_pg\] postgres profile\n/);
  assertNoSecret(run.stdout, run.stderr);
});

Deno.test("a password_env that is not set is named, not guessed", async () => {
  const cwd = tempTree({
    "gummer.json": JSON.stringify({
      profiles: {
        lab: {
          driver: "mysql",
          url: "mysql://hunter@127.0.0.1:1/x",
          password_env: "NOPE_PW",
        },
      },
    }),
  });
  const run = await gummer(["-db", "lab", "-a", "apt_ips"], { cwd });
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    "gummer: The mysql password is to come from the environment variable " +
      "NOPE_PW, which is not set.\n",
  );
});

for (
  const [driver, variable] of [
    ["postgres", "GUMMER_TEST_POSTGRES_URL"],
    ["mysql", "GUMMER_TEST_MYSQL_URL"],
  ] as const
) {
  const skip = unavailable(driver);
  Deno.test({
    name: `${driver}: a wrong password never shows, in errors or logs${
      skip ? ` (${skip})` : ""
    }`,
    ignore: skip !== undefined,
    async fn() {
      const url = new URL(Deno.env.get(variable)!);
      url.password = ENCODED;
      const cwd = tempTree({});
      const run = await gummer(["-db", driver, "-a", "apt_ips", "-v", "-v"], {
        cwd,
        env: {
          [`GUMMER_${driver.toUpperCase()}_URL`]: url.href,
          GUMMER_LOG_FILE: "gummer.log",
        },
      });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /gummer: Cannot connect to .*:\*\*\*@/);
      assert.match(run.stderr, /password authentication failed|Access denied/);
      assertNoSecret(
        run.stdout,
        run.stderr,
        Deno.readTextFileSync(join(cwd, "gummer.log")),
      );
    },
  });
}
