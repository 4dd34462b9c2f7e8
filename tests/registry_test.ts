import assert from "node:assert/strict";
import { join } from "node:path";
import { GummerError, UsageError } from "../engine/errors.ts";
import { loadRegistry, splitPathList } from "../engine/registry.ts";
import { moduleSource, tempTree } from "./helpers/temp.ts";

const analyzer = (aid: string) =>
  moduleSource({ aid, name: `Analyzer ${aid}`, desc: "test" });

Deno.test("built-in modules load without problems", async () => {
  const registry = await loadRegistry();
  assert.deepEqual(registry.problems, []);
  const aids = (kind: Parameters<typeof registry.list>[0]) =>
    registry.list(kind).map((loaded) => loaded.module.aid);
  assert.deepEqual(aids("analyzers"), [
    "apt_ips",
    "apt_size",
    "apt_time",
    "beacons",
    "dcsync",
    "dga_nxdomain",
    "direct_ip",
    "dns_tunneling",
    "encoded_powershell",
    "large_uploads",
    "long_connections",
    "lsass_access",
    "missing_host_header",
    "office_child_shell",
    "password_spraying",
    "port_scans",
    "rare_user_agent",
    "remote_scheduled_task",
    "run_key_persistence",
    "ssh_bruteforce",
    "strobes",
    "web_scanner",
    "webshell",
  ]);
  assert.deepEqual(aids("collectors"), [
    "auth",
    "csv",
    "ndjson",
    "squid",
    "web",
    "windows",
    "zeek",
  ]);
  assert.deepEqual(aids("connectors"), ["mysql", "postgres", "sqlite"]);
  assert.deepEqual(aids("outputs"), ["csv", "html", "json", "ndjson", "table"]);
});

Deno.test("modules are found in nested folders of an extra root", async () => {
  const root = tempTree({
    "analyzers/pack/deep/zeta.ts": analyzer("zeta"),
    "analyzers/alpha.ts": analyzer("alpha"),
    "analyzers/_helper.ts": "export const x = 1;",
    "analyzers/alpha_test.ts": "throw new Error('tests are not modules');",
    "analyzers/notes.md": "not a module",
  });
  const registry = await loadRegistry({ roots: [root], builtin: false });
  assert.deepEqual(registry.problems, []);
  const listed = registry.list("analyzers");
  assert.deepEqual(listed.map((l) => l.module.aid), ["alpha", "zeta"]);
  assert.equal(listed[1].file, join(root, "analyzers/pack/deep/zeta.ts"));
  assert.equal(registry.get("analyzers", "zeta").name, "Analyzer zeta");
});

Deno.test("a default export made with a define helper is a module", async () => {
  const typesUrl = new URL("../engine/types.ts", import.meta.url).href;
  const root = tempTree({
    "outputs/plain.ts": `import { defineOutput } from "${typesUrl}";
export default defineOutput({
  aid: "plain", name: "Plain", desc: "d",
  launch: async (result, options) => { await options.write("x"); },
});`,
  });
  const registry = await loadRegistry({ roots: [root], builtin: false });
  assert.deepEqual(registry.problems, []);
  assert.equal(registry.get("outputs", "plain").name, "Plain");
});

Deno.test("two modules with one aid are an error naming both files", async () => {
  const first = tempTree({ "analyzers/a.ts": analyzer("same") });
  const second = tempTree({ "analyzers/b/c.ts": analyzer("same") });
  const registry = await loadRegistry({
    roots: [first, second],
    builtin: false,
  });
  const a = join(first, "analyzers/a.ts");
  const c = join(second, "analyzers/b/c.ts");
  assert.deepEqual(registry.problems, [{
    file: c,
    reason: `2 analyzers have the aid "same": ${a}, ${c}`,
  }]);
  assert.deepEqual(registry.list("analyzers"), []);
  assert.throws(
    () => registry.get("analyzers", "same"),
    (error) =>
      error instanceof GummerError && error.message.includes(a) &&
      error.message.includes(c),
  );
});

Deno.test("a private pack may not shadow a built-in aid", async () => {
  const root = tempTree({ "analyzers/x.ts": analyzer("apt_ips") });
  const registry = await loadRegistry({ roots: [root] });
  assert.equal(registry.problems.length, 1);
  assert.match(registry.problems[0].reason, /2 analyzers have the aid/);
  const builtIn = (await loadRegistry()).list("analyzers");
  const left = registry.list("analyzers").map((l) => l.module.aid);
  assert.equal(left.length, builtIn.length - 1);
  assert.ok(!left.includes("apt_ips"));
  assert.deepEqual(left.slice(0, 2), ["apt_size", "apt_time"]);
});

Deno.test("broken modules are reported and the others still load", async () => {
  const root = tempTree({
    "analyzers/good.ts": analyzer("good"),
    "analyzers/syntax.ts": "export const aid = ;",
    "analyzers/throws.ts": "throw new Error('boom at import');",
    "analyzers/missing.ts": moduleSource({ aid: "missing", name: "M" }),
    "analyzers/bad_aid.ts": analyzer("Bad Aid"),
    "analyzers/bad_params.ts": moduleSource(
      { aid: "bp", name: "n", desc: "d", params: { limit: { type: "int" } } },
    ),
    "collectors/no_tables.ts": moduleSource({
      aid: "nt",
      name: "n",
      desc: "d",
    }),
    "outputs/launch.ts": moduleSource(
      { aid: "l", name: "n", desc: "d", launch: "not a function" },
      "",
    ),
  });
  const registry = await loadRegistry({ roots: [root], builtin: false });
  const reasons = Object.fromEntries(
    registry.problems.map((p) => [p.file.slice(root.length + 1), p.reason]),
  );
  assert.deepEqual(Object.keys(reasons).sort(), [
    "analyzers/bad_aid.ts",
    "analyzers/bad_params.ts",
    "analyzers/missing.ts",
    "analyzers/syntax.ts",
    "analyzers/throws.ts",
    "collectors/no_tables.ts",
    "outputs/launch.ts",
  ]);
  assert.match(reasons["analyzers/syntax.ts"], /^cannot be imported: /);
  assert.equal(
    reasons["analyzers/throws.ts"],
    "cannot be imported: boom at import",
  );
  assert.equal(reasons["analyzers/missing.ts"], "does not export desc");
  assert.match(reasons["analyzers/bad_aid.ts"], /aid "Bad Aid" must be/);
  assert.match(
    reasons["analyzers/bad_params.ts"],
    /params.limit has type "int"/,
  );
  assert.match(reasons["collectors/no_tables.ts"], /must export tables/);
  assert.equal(reasons["outputs/launch.ts"], "launch must be a function");
  assert.deepEqual(registry.list("analyzers").map((l) => l.module.aid), [
    "good",
  ]);
});

Deno.test("an unknown aid is a usage error naming the aids that exist", async () => {
  const registry = await loadRegistry();
  assert.throws(
    () => registry.get("outputs", "xml"),
    (error) =>
      error instanceof UsageError &&
      error.message ===
        'Unknown output "xml". Known outputs: csv, html, json, ndjson, table.',
  );
});

Deno.test("a missing or empty extra root is a problem, not a crash", async () => {
  const empty = tempTree({ "README.md": "nothing here" });
  const registry = await loadRegistry({
    roots: ["/no/such/folder", empty],
    builtin: false,
  });
  assert.deepEqual(registry.problems.map((p) => p.reason), [
    "no such module folder",
    "holds none of the folders analyzers/, collectors/, connectors/, outputs/",
  ]);
});

Deno.test("GUMMER_PATH splits on the platform's separator", () => {
  assert.deepEqual(splitPathList("/a::/b:"), ["/a", "/b"]);
  assert.deepEqual(splitPathList(undefined), []);
});
