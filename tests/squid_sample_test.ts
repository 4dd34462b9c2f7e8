/**
 * The Squid sample generator: byte-for-byte determinism, the two line
 * layouts, and the three planted attacks standing out by the margins the
 * analyzers' tests rely on. Every check parses the generated text, as an
 * analyzer would, rather than trusting the generator's internals.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  PLANTED,
  type SampleOptions,
  squidSample,
  writeSample,
} from "../tools/squid_sample.ts";

const DAY_MS = 86_400_000;
const DEFAULT_START_MS = Date.UTC(2026, 10, 2);
const DEFAULT_DAYS = 3;

/** The largest benign request and the longest benign connection allowed. */
const BENIGN_MAX_REQUEST = 10_000_000;
const BENIGN_MAX_DURATION_MS = 15 * 60_000;

/** The beacon must out-hit every benign IP-literal host by this factor. */
const BEACON_MARGIN = 1.5;

/** One parsed line; `requestBytes` is null in the native layout. */
interface Parsed {
  timeMs: number;
  durationMs: number;
  clientIp: string;
  cacheResult: string;
  status: number;
  replyBytes: number;
  requestBytes: number | null;
  method: string;
  url: string;
  user: string;
  hierarchy: string;
  peer: string;
  contentType: string;
  /** The destination host, from `host:port` or `http://host/...`. */
  host: string;
  port: number;
}

const TIME = /^\d{10}\.\d{3}$/;
const INTEGER = /^\d+$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const CLIENT = /^10\.20\.\d{1,3}\.\d{1,3}$/;
const CACHE_RESULTS = new Set([
  "TCP_MISS",
  "TCP_HIT",
  "TCP_MEM_HIT",
  "TCP_REFRESH_MODIFIED",
  "TCP_REFRESH_UNMODIFIED",
  "TCP_DENIED",
  "TCP_TUNNEL",
  "NONE",
]);

/**
 * Parses a line the way the format is specified, and fails on anything
 * else: splitting on runs of spaces gives 11 fields (extended) or 10
 * (native); only the duration is padded.
 */
function parse(line: string, format: "extended" | "native"): Parsed {
  const fields = line.split(/ +/);
  const expected = format === "extended" ? 11 : 10;
  assert.equal(fields.length, expected, `field count of: ${line}`);

  // `%6tr` pads to six characters; every other separator is one space.
  const [time, padded, rest] = splitDuration(line);
  assert.equal(padded.length, Math.max(6, padded.trim().length), line);
  assert.ok(!rest.includes("  ") && !rest.startsWith(" "), line);

  const [clientIp, code, replyBytes] = fields.slice(2, 5);
  const requestBytes = format === "extended" ? fields[5] : null;
  const after = format === "extended" ? 6 : 5;
  const [method, url, user, hierarchyPeer, contentType] = fields.slice(after);
  const [cacheResult, status] = code.split("/");
  const target = destination(method, url);
  const [hierarchy, peer] = hierarchyPeer.split("/");

  assert.match(time, TIME, line);
  assert.match(padded.trim(), INTEGER, line);
  assert.match(clientIp, CLIENT, line);
  assert.ok(CACHE_RESULTS.has(cacheResult), line);
  assert.match(status, /^\d{3}$/, line);
  assert.match(replyBytes, INTEGER, line);
  if (requestBytes !== null) assert.match(requestBytes, INTEGER, line);
  assert.match(method, /^(GET|POST|CONNECT)$/, line);
  assert.match(user, /^(-|[a-z]+\d*)$/, line);
  assert.match(hierarchy, /^HIER_(DIRECT|NONE)$/, line);
  assert.ok(peer === "-" || IPV4.test(peer), line);
  assert.match(contentType, /^(-|[a-z]+\/[a-z0-9.+-]+)$/, line);
  assert.ok(target, `no destination in: ${line}`);

  return {
    timeMs: timeOf(line),
    durationMs: Number(padded),
    clientIp,
    cacheResult,
    status: Number(status),
    replyBytes: Number(replyBytes),
    requestBytes: requestBytes === null ? null : Number(requestBytes),
    method,
    url,
    user,
    hierarchy,
    peer,
    contentType,
    ...target,
  };
}

/** Time, the padded duration, and the rest of the line. */
function splitDuration(line: string): [string, string, string] {
  const time = line.slice(0, line.indexOf(" "));
  const match = /^ +\d+ /.exec(line.slice(time.length));
  assert.ok(match, line);
  const padded = match[0].slice(1, -1);
  return [time, padded, line.slice(time.length + match[0].length)];
}

/** Host and port of `host:port` (CONNECT) or `http://host[:port]/...`. */
function destination(
  method: string,
  url: string,
): { host: string; port: number } | null {
  const match = method === "CONNECT"
    ? /^([a-z0-9.-]+):(\d+)$/.exec(url)
    : /^http:\/\/([a-z0-9.-]+)(?::(\d+))?\//.exec(url);
  return match && { host: match[1], port: Number(match[2] ?? 80) };
}

const ascending = (a: number, b: number) => a - b;

/** Milliseconds since the epoch of a line's `%ts.%03tu`. */
function timeOf(line: string): number {
  return Math.round(Number(line.slice(0, line.indexOf(" "))) * 1000);
}

/** The default sample, generated once for the whole file. */
let defaultLines: string[] | undefined;
function defaultSample(): string[] {
  defaultLines ??= [...squidSample()];
  return defaultLines;
}

/**
 * Asserts the three planted attacks and their margins over benign traffic
 * in a parsed extended sample of `days` days.
 */
function assertPlanted(lines: Parsed[], days: number): void {
  // 1. The beacon: the IP-literal host with by far the most hits.
  const ipHits = new Map<string, number>();
  for (const line of lines) {
    if (IPV4.test(line.host)) {
      ipHits.set(line.host, (ipHits.get(line.host) ?? 0) + 1);
    }
  }
  const ranked = [...ipHits].sort((a, b) => b[1] - a[1]);
  const beacon = PLANTED.ipBeacon;
  assert.equal(ranked[0][0], beacon.host);
  assert.equal(ranked[0][1], beacon.hitsPerDay * days);
  assert.ok(ranked.length >= 3, "benign IP-literal hosts are missing");
  assert.ok(
    ranked[0][1] >= BEACON_MARGIN * ranked[1][1],
    `beacon ${ranked[0][1]} hits, next ${ranked[1][0]} ${ranked[1][1]}`,
  );
  const beacons = lines.filter((line) => line.host === beacon.host);
  for (const line of beacons) {
    assert.equal(line.clientIp, beacon.client);
    assert.equal(line.method, beacon.method);
    assert.equal(line.port, beacon.port);
    const path = line.url.slice(`http://${beacon.host}`.length);
    assert.ok((beacon.paths as readonly string[]).includes(path), line.url);
  }
  // Slots are 300 s apart with up to 30 s either way, plus the duration.
  for (let i = 1; i < beacons.length; i++) {
    const gap = beacons[i].timeMs - beacons[i - 1].timeMs;
    assert.ok(gap >= 239_000 && gap <= 361_000, `beacon gap ${gap} ms`);
  }

  // 2. The uploads: the largest requests, far above any benign one.
  const exfil = PLANTED.exfil;
  const byRequest = [...lines].sort((a, b) =>
    b.requestBytes! - a.requestBytes!
  );
  const top = byRequest.slice(0, exfil.count);
  for (const line of top) {
    assert.equal(line.clientIp, exfil.client);
    assert.equal(line.method, exfil.method);
    assert.equal(`${line.host}:${line.port}`, `${exfil.host}:${exfil.port}`);
    assert.equal(line.cacheResult, "TCP_TUNNEL");
    assert.equal(line.status, 200);
    assert.equal(line.peer, exfil.serverIp);
    const startHour = new Date(line.timeMs - line.durationMs).getUTCHours();
    assert.ok(startHour < 6 || startHour >= 22, `upload at ${startHour} h`);
  }
  assert.deepEqual(
    top.map((line) => line.requestBytes!).sort(ascending),
    exfil.uploads.map((upload) => upload.requestBytes).sort(ascending),
  );
  assert.ok(byRequest[exfil.count].requestBytes! <= BENIGN_MAX_REQUEST);
  assert.equal(lines.filter((line) => line.host === exfil.host).length, 6);

  // 3. The long tunnel: the longest connections, hours against minutes.
  const planted = PLANTED.longTunnel;
  const byDuration = [...lines].sort((a, b) => b.durationMs - a.durationMs);
  const longest = byDuration.slice(0, planted.count);
  for (const line of longest) {
    assert.equal(line.clientIp, planted.client);
    assert.equal(line.method, planted.method);
    assert.equal(
      `${line.host}:${line.port}`,
      `${planted.host}:${planted.port}`,
    );
    assert.ok(line.durationMs >= 4 * 3_600_000);
    assert.ok(line.durationMs <= 12 * 3_600_000);
  }
  assert.deepEqual(
    longest.map((line) => line.durationMs).sort(ascending),
    planted.tunnels.map((tunnel) => tunnel.durationMs).sort(ascending),
  );
  assert.ok(byDuration[planted.count].durationMs <= BENIGN_MAX_DURATION_MS);
}

Deno.test("squidSample gives identical lines for identical options", () => {
  const options: SampleOptions = { seed: 1, days: 3, clients: 60 };
  assert.deepEqual([...squidSample(options)], defaultSample());

  const other = [...squidSample({ seed: 2 })];
  assert.notDeepEqual(other.slice(0, 100), defaultSample().slice(0, 100));
});

Deno.test("squidSample covers the requested days, office hours busiest", () => {
  const lines = defaultSample();
  assert.ok(
    lines.length >= 50_000 && lines.length <= 150_000,
    `${lines.length} lines`,
  );

  const hours = new Array(24).fill(0);
  for (const line of lines) {
    const ms = timeOf(line);
    assert.ok(ms >= DEFAULT_START_MS);
    assert.ok(ms < DEFAULT_START_MS + DEFAULT_DAYS * DAY_MS);
    hours[new Date(ms).getUTCHours()]++;
  }
  const office = hours.slice(8, 18).reduce((sum, n) => sum + n, 0) / 10;
  const night = hours.slice(0, 6).reduce((sum, n) => sum + n, 0) / 6;
  assert.ok(office > 10 * night, `office ${office}/h, night ${night}/h`);

  const december = [...squidSample({
    start: new Date("2026-12-01T00:00:00Z"),
    days: 1,
    clients: 5,
  })];
  assert.ok(timeOf(december[0]) >= Date.UTC(2026, 11, 1));
  assert.ok(timeOf(december.at(-1)!) < Date.UTC(2026, 11, 2));
});

Deno.test("every extended line matches the format, in time order", () => {
  let previous = 0;
  for (const line of defaultSample()) {
    const parsed = parse(line, "extended");
    assert.ok(parsed.timeMs >= previous, `out of order: ${line}`);
    previous = parsed.timeMs;
    if (parsed.method === "CONNECT" && parsed.cacheResult !== "TCP_DENIED") {
      assert.equal(parsed.contentType, "-", line);
    }
    if (parsed.cacheResult === "TCP_TUNNEL") assert.equal(parsed.status, 200);
    if (parsed.cacheResult === "NONE") assert.equal(parsed.status, 0);
  }
});

Deno.test("native lines are the extended ones without the request size", () => {
  const native = [...squidSample({ format: "native" })];
  const extended = defaultSample();
  assert.equal(native.length, extended.length);

  let previous = 0;
  for (const [i, line] of native.entries()) {
    const parsed = parse(line, "native");
    assert.ok(parsed.timeMs >= previous, `out of order: ${line}`);
    previous = parsed.timeMs;
    const fields = extended[i].split(/ +/);
    fields.splice(5, 1);
    assert.deepEqual(line.split(/ +/), fields);
  }
});

Deno.test("the planted attacks stand out in the default sample", () => {
  const lines = defaultSample().map((line) => parse(line, "extended"));
  assertPlanted(lines, DEFAULT_DAYS);
  assert.equal(PLANTED.ipBeacon.count, PLANTED.ipBeacon.hitsPerDay * 3);
  assert.equal(PLANTED.exfil.count, PLANTED.exfil.uploads.length);
  assert.equal(PLANTED.longTunnel.count, PLANTED.longTunnel.tunnels.length);
});

Deno.test("the planted attacks stand out for other seeds and sizes", () => {
  const cases: SampleOptions[] = [
    { seed: 2 },
    { seed: 7, clients: 120, days: 2 },
    { seed: 1234, clients: 10, days: 1 },
  ];
  for (const options of cases) {
    const lines = [...squidSample(options)].map((line) =>
      parse(line, "extended")
    );
    assertPlanted(lines, options.days ?? DEFAULT_DAYS);
  }
});

Deno.test("writeSample writes one file per day, one day each", async () => {
  const dir = await Deno.makeTempDir({ prefix: "squid_sample_test_" });
  try {
    const options: SampleOptions = { days: 2, clients: 12, seed: 5 };
    const paths = await writeSample(join(dir, "logs"), options);
    assert.deepEqual(paths, [
      join(dir, "logs", "access-2026-11-02.log"),
      join(dir, "logs", "access-2026-11-03.log"),
    ]);

    const texts = await Promise.all(paths.map((p) => Deno.readTextFile(p)));
    for (const [day, text] of texts.entries()) {
      assert.ok(text.endsWith("\n"));
      for (const line of text.slice(0, -1).split("\n")) {
        const ms = timeOf(line);
        assert.equal(Math.floor((ms - DEFAULT_START_MS) / DAY_MS), day);
      }
    }
    assert.equal(texts.join(""), [...squidSample(options)].join("\n") + "\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("squidSample rejects options it cannot honour", () => {
  const bad: [SampleOptions, RegExp][] = [
    [{ days: 0 }, /days must be an integer from 1/],
    [{ days: 1.5 }, /days must be an integer/],
    [{ clients: 2 }, /clients must be an integer from 3/],
    [{ seed: 0.5 }, /seed must be an integer/],
    [{ start: new Date("2026-11-02T08:00:00Z") }, /start must be a UTC/],
    [{ start: new Date("not a date") }, /start must be a UTC/],
    [{ format: "csv" as "native" }, /format must be "extended" or "native"/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => squidSample(options).next(), {
      name: "RangeError",
      message,
    });
  }
});
