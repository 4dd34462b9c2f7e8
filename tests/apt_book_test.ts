/**
 * The APT-book analyzers on generated Squid logs: the planted attacks come
 * first, and every row equals what an independent computation over the raw
 * lines gives.
 */

import assert from "node:assert/strict";
import { isIP } from "node:net";
import { GummerError } from "../engine/errors.ts";
import { Workbench } from "../engine/workbench.ts";
import type { Input, SqlValue } from "../engine/types.ts";
import {
  PLANTED,
  type SampleFormat,
  squidSample,
} from "../tools/squid_sample.ts";
import { envOf } from "./helpers/temp.ts";

/** One request as the oracle reads it, straight from the line. */
interface Request {
  time: string;
  duration: number;
  client: string;
  requestSize: number;
  method: string;
  url: string;
  host: string;
  status: number;
}

function sampleInput(name: string, format: SampleFormat): Input {
  const text = [...squidSample({ format })].join("\n") + "\n";
  return {
    name,
    open: () => Promise.resolve(new Blob([text]).stream()),
  };
}

function readRequests(): Request[] {
  return [...squidSample()].map((line) => {
    const f = line.split(/ +/);
    const host = f[6] === "CONNECT"
      ? f[7].slice(0, f[7].lastIndexOf(":"))
      : new URL(f[7]).hostname;
    const iso = new Date(Math.round(Number(f[0]) * 1000)).toISOString();
    return {
      time: `${iso.slice(0, 10)} ${iso.slice(11, 23)}`,
      duration: Number(f[1]),
      client: f[2],
      status: Number(f[3].split("/")[1]),
      requestSize: Number(f[5]),
      method: f[6],
      url: f[7],
      host,
    };
  });
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...groups.get(k) ?? [], item]);
  }
  return groups;
}

async function openWithSample(format: SampleFormat) {
  const bench = await Workbench.open({
    env: envOf({ GUMMER_SQLITE: ":memory:" }),
  });
  const rejects = Deno.makeTempFileSync({ suffix: ".ndjson" });
  const report = await bench.collect("squid", [
    sampleInput("sample.log", format),
  ], {
    rejectFile: rejects,
  });
  assert.equal(report.failed, 0);
  return bench;
}

const requests = readRequests();
const bench = await openWithSample("extended");

Deno.test("apt_ips: the C2 reached by address ranks first, rows match", async () => {
  const result = await bench.analyze("apt_ips");
  const expected = [...groupBy(
    requests.filter((r) => isIP(r.host) !== 0),
    (r) => r.host,
  )].map(([host, hits]): SqlValue[] => [
    host,
    hits.length,
    new Set(hits.map((h) => h.client)).size,
    hits.map((h) => h.time).sort(byText)[0],
    hits.map((h) => h.time).sort(byText).at(-1)!,
  ]).sort((a, b) =>
    (b[1] as number) - (a[1] as number) ||
    (b[2] as number) - (a[2] as number) ||
    byText(a[0] as string, b[0] as string)
  ).slice(0, 10);

  assert.deepEqual(result.columns, [
    "host",
    "hits",
    "clients",
    "first_seen",
    "last_seen",
  ]);
  assert.deepEqual(result.rows, expected);
  assert.equal(result.rows[0][0], PLANTED.ipBeacon.host);
  assert.equal(result.rows[0][1], PLANTED.ipBeacon.count);
  assert.equal(result.rows[0][2], 1);
});

Deno.test("since and until keep apt_ips to a window, rows match", async () => {
  // The second day of the sample, as an oracle filters it on the raw lines.
  const days = [...new Set(requests.map((r) => r.time.slice(0, 10)))].sort();
  const since = `${days[1]} 00:00:00.000`;
  const until = `${days[2]} 00:00:00.000`;
  const inside = requests.filter((r) =>
    isIP(r.host) !== 0 && r.time >= since && r.time < until
  );
  const expected = [...groupBy(inside, (r) => r.host)]
    .map(([host, hits]): SqlValue[] => [
      host,
      hits.length,
      new Set(hits.map((h) => h.client)).size,
      hits.map((h) => h.time).sort(byText)[0],
      hits.map((h) => h.time).sort(byText).at(-1)!,
    ]).sort((a, b) =>
      (b[1] as number) - (a[1] as number) ||
      (b[2] as number) - (a[2] as number) ||
      byText(a[0] as string, b[0] as string)
    ).slice(0, 50);
  assert.ok(expected.length > 0);
  const result = await bench.analyze("apt_ips", {
    params: { since: days[1], until: `${days[2]}T00:00:00Z`, limit: 50 },
  });
  assert.deepEqual(result.rows, expected);
});

Deno.test("apt_size: the exfiltration uploads are the largest requests", async () => {
  const result = await bench.analyze("apt_size");
  const expected = [...requests].sort((a, b) =>
    b.requestSize - a.requestSize || byText(a.time, b.time) ||
    byText(a.client, b.client) || byText(a.url, b.url)
  ).slice(0, 10).map((r): SqlValue[] => [
    r.time,
    r.client,
    r.method,
    r.host,
    r.url,
    r.requestSize,
    r.status,
  ]);

  assert.deepEqual(result.rows, expected);
  assert.equal(result.notes, undefined);
  const planted = PLANTED.exfil.uploads.map((u) => u.requestBytes)
    .sort((a, b) => b - a);
  assert.deepEqual(
    result.rows.slice(0, planted.length).map((r) => r[5]),
    planted,
  );
  for (const row of result.rows.slice(0, planted.length)) {
    assert.equal(row[1], PLANTED.exfil.client);
    assert.equal(row[3], PLANTED.exfil.host);
  }
});

Deno.test("apt_time: the hours-long tunnel ranks first, rows match", async () => {
  const result = await bench.analyze("apt_time", { params: { limit: "25" } });
  const expected = [...groupBy(requests, (r) => `${r.client} ${r.host}`)]
    .map(([, group]): SqlValue[] => [
      group[0].client,
      group[0].host,
      Math.max(...group.map((g) => g.duration)),
      group.reduce((sum, g) => sum + g.duration, 0),
      group.length,
    ]).sort((a, b) =>
      (b[2] as number) - (a[2] as number) ||
      (b[3] as number) - (a[3] as number) ||
      byText(a[0] as string, b[0] as string) ||
      byText(a[1] as string, b[1] as string)
    ).slice(0, 25);

  assert.equal(result.rows.length, 25);
  assert.deepEqual(result.rows, expected);
  const longest = Math.max(
    ...PLANTED.longTunnel.tunnels.map((t) => t.durationMs),
  );
  assert.deepEqual(result.rows[0].slice(0, 3), [
    PLANTED.longTunnel.client,
    PLANTED.longTunnel.host,
    longest,
  ]);
  assert.equal(result.rows[0][4], PLANTED.longTunnel.count);
});

Deno.test("limit is honoured and ties break the same way every time", async () => {
  for (const aid of ["apt_ips", "apt_size", "apt_time"]) {
    const three = await bench.analyze(aid, { params: { limit: 3 } });
    const ten = await bench.analyze(aid, { params: { limit: 10 } });
    assert.equal(three.rows.length, 3, aid);
    assert.deepEqual(three.rows, ten.rows.slice(0, 3), aid);
  }
});

Deno.test("apt_size on native logs says what is missing instead of ranking", async () => {
  const native = await openWithSample("native");
  await assert.rejects(
    () => native.analyze("apt_size"),
    (error) =>
      error instanceof GummerError &&
      error.message.includes("needs request sizes") &&
      error.message.includes("logformat gummer %ts.%03tu"),
  );

  // Mixed data: the extended rows are ranked and the gap is noted.
  await native.collect("squid", [sampleInput("extended.log", "extended")], {
    rejectFile: Deno.makeTempFileSync(),
  });
  const result = await native.analyze("apt_size", { params: { limit: 1 } });
  assert.equal(result.rows[0][5], 798_345_221);
  assert.deepEqual(result.notes, [
    `${requests.length} of ${requests.length * 2} squid rows come from ` +
    "native-format logs without request sizes and are not ranked.",
  ]);
  await native.close();
});

Deno.test({
  name: "close the shared workbench",
  fn: () => bench.close(),
});
