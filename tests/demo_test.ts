/**
 * The README's promise: `deno task demo` on a fresh folder shows each
 * planted attack at the top of its analyzer's table.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { PLANTED } from "../tools/squid_sample.ts";
import { ROOT } from "./helpers/temp.ts";

Deno.test("the demo hunt puts every planted attack first", async () => {
  const cwd = Deno.makeTempDirSync({ prefix: "gummer-demo-" });
  const run = async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", join(ROOT, "tools/demo.ts")],
      cwd,
      // INIT_CWD: under `deno task`, the demo works where it was typed.
      env: { NO_COLOR: "1", INIT_CWD: cwd },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return {
      ...output,
      stdout: decode(output.stdout),
      stderr: decode(output.stderr),
    };
  };

  const first = await run();
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /squid: \d+ inserted, 0 failed\n/);

  // Each table's first data row is the line after its dashes.
  const tables = first.stdout.split("\n$ deno task gummer -a ").slice(1);
  const top = Object.fromEntries(tables.map((table) => {
    const lines = table.split("\n");
    const dashes = lines.findIndex((line) => /^-+( +-+)*$/.test(line));
    return [lines[0], lines[dashes + 1].split(/ {2,}/)];
  }));
  assert.deepEqual(Object.keys(top), [
    "apt_ips",
    "apt_size",
    "apt_time",
    "beacons",
    "direct_ip",
    "large_uploads",
    "long_connections",
    "strobes",
  ]);
  const { exfil, ipBeacon, longTunnel } = PLANTED;
  assert.equal(top.apt_ips[0], ipBeacon.host);
  assert.equal(top.apt_size[1], exfil.client);
  assert.deepEqual(top.apt_time.slice(0, 2), [
    longTunnel.client,
    longTunnel.host,
  ]);
  assert.deepEqual(top.beacons.slice(0, 2), [ipBeacon.client, ipBeacon.host]);
  assert.ok(Number(top.beacons[4]) >= 0.9, `beacon score ${top.beacons[4]}`);
  assert.deepEqual(top.direct_ip.slice(0, 2), [ipBeacon.client, ipBeacon.host]);
  assert.deepEqual(top.large_uploads.slice(0, 2), [exfil.client, exfil.host]);
  assert.deepEqual(top.long_connections.slice(0, 2), [
    longTunnel.client,
    longTunnel.host,
  ]);
  // Nothing in three days of browsing connects once a second all day.
  assert.deepEqual(top.strobes, ["(0 rows)"]);

  // A second run starts from a fresh database: the same counts, not double.
  const second = await run();
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
});
