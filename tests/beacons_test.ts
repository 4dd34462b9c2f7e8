/**
 * beacons and strobes on every database: generated Zeek and Squid logs
 * whose scores are worked out by hand, and the real logs where the attack
 * is known (RITA's proxy beacon, the APT29 emulation's command servers).
 */

import assert from "node:assert/strict";
import type { SqlValue } from "../engine/types.ts";
import { onEveryDatabase } from "./helpers/datasets.ts";

/** 2026-11-02 00:00:00 UTC, the start of every fixture's day. */
const START = Date.UTC(2026, 10, 2) / 1000;
const HOUR = 3600;
const DAY = 86_400;

/** A fixture's time stamp as every database returns it. */
function stamp(offset: number): string {
  const iso = new Date((START + offset) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

let uids = 0;

interface Conn {
  offset: number;
  source: string;
  destination: string;
  bytes: number;
  port?: number;
  uid?: string;
  duration?: number;
}

/** A conn.log line in Zeek's JSON writer's form. */
function connLine(c: Conn): string {
  return JSON.stringify({
    ts: START + c.offset,
    uid: c.uid ?? `C${++uids}`,
    "id.orig_h": c.source,
    "id.orig_p": 50_000 + (uids % 10_000),
    "id.resp_h": c.destination,
    "id.resp_p": c.port ?? 443,
    proto: "tcp",
    duration: c.duration ?? 0.5,
    orig_bytes: c.bytes - 52,
    resp_bytes: 2000,
    conn_state: "SF",
    orig_ip_bytes: c.bytes,
    resp_ip_bytes: 2100,
  });
}

/** Connections of one pair at the given offsets from START. */
function series(
  source: string,
  destination: string,
  offsets: number[],
  bytes: (i: number) => number = () => 352,
): Conn[] {
  return offsets.map((offset, i) => ({
    offset,
    source,
    destination,
    bytes: bytes(i),
  }));
}

function range<T>(n: number, f: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

// A: every 10 minutes all day, same size: each hour holds 6.
const PERFECT = series(
  "10.0.0.5",
  "198.51.100.7",
  range(144, (i) => 300 + 600 * i),
);

// B: gaps cycle through 3000 ... 4200 s three times; 17 sizes of 500
// and 5 of 600 (every fourth).
const CYCLE = [3000, 3200, 3400, 3600, 3800, 4000, 4200];
const JITTER_OFFSETS = [1000];
for (let i = 0; i < 21; i++) {
  JITTER_OFFSETS.push(JITTER_OFFSETS[i] + CYCLE[i % 7]);
}
const JITTERED = series(
  "10.0.0.6",
  "198.51.100.8",
  JITTER_OFFSETS,
  (i) => (i % 4 === 3 ? 600 : 500),
);

// C: three connections, too few; they also span the whole day, so the
// window is exactly [START, START + DAY].
const TOO_FEW = series("10.0.0.7", "198.51.100.9", [0, DAY / 2, DAY]);

// D: five connections in three distinct seconds: too few as well.
const SAME_SECOND = series(
  "10.0.0.8",
  "198.51.100.10",
  [100, 100.2, 100.7, 200, 300],
);

// E: router solicitations to a link-local multicast group, hourly.
const LOCAL = series("fe80::1", "ff02::2", range(24, (i) => 60 + HOUR * i));

// F: hourly CONNECTs through a proxy; each connection is in conn.log (to
// the proxy), http.log (CONNECT Evil.Example) and ssl.log (the SNI).
const PROXIED: Conn[] = range(12, (k) => ({
  offset: 1800 + HOUR * k,
  source: "10.0.0.9",
  destination: "10.0.0.1",
  port: 3128,
  bytes: 1000,
  uid: `Cproxy${k}`,
}));

function httpLine(c: Conn): string {
  return JSON.stringify({
    ts: START + c.offset + 0.004,
    uid: c.uid,
    "id.orig_h": c.source,
    "id.orig_p": 40_000,
    "id.resp_h": c.destination,
    "id.resp_p": c.port,
    trans_depth: 1,
    method: "CONNECT",
    host: "Evil.Example",
    uri: "Evil.Example:443",
    status_code: 200,
  });
}

function sslLine(c: Conn): string {
  return JSON.stringify({
    ts: START + c.offset + 0.02,
    uid: c.uid,
    "id.orig_h": c.source,
    "id.orig_p": 40_000,
    "id.resp_h": c.destination,
    "id.resp_p": c.port,
    version: "TLSv13",
    server_name: "evil.example",
    established: true,
  });
}

const ZEEK = {
  collector: "zeek",
  files: {
    "conn.log": [
      ...TOO_FEW,
      ...PERFECT,
      ...JITTERED,
      ...SAME_SECOND,
      ...LOCAL,
      ...PROXIED,
    ].sort((a, b) => a.offset - b.offset).map(connLine),
    "http.log": PROXIED.map(httpLine),
    "ssl.log": PROXIED.map(sslLine),
  },
};

const COLUMNS = [
  "source",
  "destination",
  "seen_in",
  "connections",
  "score",
  "ts_score",
  "size_score",
  "duration_score",
  "histogram_score",
  "median_gap_s",
  "first_seen",
  "last_seen",
];

onEveryDatabase(
  "beacons: hand-scored Zeek series",
  [ZEEK],
  async (bench, _kind, t) => {
    await t.step(
      "perfect, proxied and jittered beacons, in order",
      async () => {
        const result = await bench.analyze("beacons");
        assert.deepEqual(result.columns, COLUMNS);
        assert.deepEqual(result.rows, [
          // Every part 1 (see tests/beacon_score_test.ts for the parts).
          [
            "10.0.0.5",
            "198.51.100.7",
            "zeek_conn",
            144,
            1,
            1,
            1,
            1,
            1,
            600,
            stamp(300),
            stamp(86_100),
          ],
          // Named by CONNECT and SNI: counted once a connection, under the
          // lower-case name, with conn.log's start. 12 busy hours of 24:
          // consistency 1; the two-level fit holds all 12 bars: 1.
          [
            "10.0.0.9",
            "evil.example",
            "zeek_http/ssl",
            12,
            1,
            1,
            1,
            1,
            1,
            3600,
            stamp(1800),
            stamp(1800 + 11 * HOUR),
          ],
          // ts 0.944; 19 busy hours, the longest run 6: duration is the
          // coverage, 75600 / 86400 = 0.875; 16 hours of 1 and 3 of 2 fit two
          // levels: 1. Score (0.944 + 1 + 0.875 + 1) / 4.
          [
            "10.0.0.6",
            "198.51.100.8",
            "zeek_conn",
            22,
            0.955,
            0.944,
            1,
            0.875,
            1,
            3600,
            stamp(1000),
            stamp(76_600),
          ],
        ]);
      },
    );

    await t.step("since and until cut the window", async () => {
      const result = await bench.analyze("beacons", {
        params: { since: stamp(DAY / 2), until: stamp(DAY) },
      });
      const rows = new Map(result.rows.map((row) => [row[0], row]));
      assert.deepEqual(
        [...rows.keys()].sort(),
        ["10.0.0.5", "10.0.0.6"],
        "the proxied beacon ended before noon",
      );
      const perfect = rows.get("10.0.0.5")!;
      assert.deepEqual(
        [perfect[3], perfect[5], perfect[6], perfect[10], perfect[11]],
        [72, 1, 1, stamp(DAY / 2 + 300), stamp(86_100)],
      );
      assert.equal(rows.get("10.0.0.6")![3], 10);
    });

    await t.step("limit keeps the first rows", async () => {
      const result = await bench.analyze("beacons", { params: { limit: 1 } });
      assert.deepEqual(result.rows.map((row) => row[0]), ["10.0.0.5"]);
    });
  },
);

// A proxy's own log of a tunnel opened every 15 minutes that lasts 0 to 4
// minutes: the logged (end) times are irregular, the starts are not.
const SQUID_LINES = range(96, (k) => {
  const durationMs = (k % 5) * 60_000;
  const end = START + 900 * k + durationMs / 1000;
  return `${end.toFixed(3)} ${durationMs} 10.0.0.20 TCP_TUNNEL/200 4000 ` +
    "CONNECT c2.example:443 - HIER_DIRECT/203.0.113.5 -";
});

onEveryDatabase(
  "beacons: a proxy's tunnels, timed by their starts",
  [{ collector: "squid", files: { "access.log": SQUID_LINES } }],
  async (bench) => {
    const result = await bench.analyze("beacons");
    assert.deepEqual(result.rows, [[
      "10.0.0.20",
      "c2.example",
      "squid",
      96,
      1,
      1,
      1,
      1,
      1,
      900,
      stamp(0),
      stamp(900 * 95),
    ]]);
  },
);

onEveryDatabase(
  "strobes: pairs at per_day connections a day",
  [ZEEK],
  async (bench) => {
    // RITA's 86,400 a day: no fixture pair comes near.
    assert.deepEqual((await bench.analyze("strobes")).rows, []);
    // 100 a day over a one-day window: only the 144 of the perfect beacon;
    // the 24 link-local ones would not pass either way.
    const result = await bench.analyze("strobes", { params: { per_day: 100 } });
    assert.deepEqual(result.columns, [
      "source",
      "destination",
      "seen_in",
      "connections",
      "per_second",
      "first_seen",
      "last_seen",
    ]);
    assert.deepEqual(result.rows, [[
      "10.0.0.5",
      "198.51.100.7",
      "zeek_conn",
      144,
      Math.round(144 / DAY * 1000) / 1000,
      stamp(300),
      stamp(86_100),
    ]]);
    // 20 a day lets the link-local pair's 24 through the count, but it is
    // still left out: the jittered 22 and the proxy's 12 conn rows are not.
    const low = await bench.analyze("strobes", { params: { per_day: 20 } });
    assert.deepEqual(low.rows.map((row) => [row[0], row[3]]), [
      ["10.0.0.5", 144],
      ["10.0.0.6", 22],
    ]);
  },
);

/** Rows of a result as objects, for readable assertions on real data. */
function records(columns: string[], rows: SqlValue[][]) {
  return rows.map((row) =>
    Object.fromEntries(columns.map((column, i) => [column, row[i]]))
  );
}

onEveryDatabase(
  "beacons: RITA's proxy beacon ranks first",
  [{ collector: "zeek", paths: ["rita-proxy/proxy"] }],
  async (bench, _kind, t) => {
    await t.step("over all the logs", async () => {
      const result = await bench.analyze("beacons");
      const [first] = records(result.columns, result.rows);
      assert.equal(first.source, "10.136.0.18");
      assert.equal(first.destination, "www.honestimnotevil.com");
      assert.equal(first.seen_in, "zeek_http/ssl");
      // 397 CONNECTs, each also in ssl.log: counted once each.
      assert.equal(first.connections, 397);
      assert.ok(Number(first.score) >= 0.9, `score ${first.score}`);
      assert.equal(first.median_gap_s, 249);
      // The proxy's address pair carries only named connections.
      assert.ok(!result.rows.some((row) => row[1] === "10.136.0.16"));
    });

    await t.step("in RITA's window: its count and parts", async () => {
      // RITA scores the last 24 hours from the start of their first hour.
      const result = await bench.analyze("beacons", {
        params: { since: "2023-01-04T18:00:00Z" },
      });
      const [first] = records(result.columns, result.rows);
      assert.equal(first.destination, "www.honestimnotevil.com");
      assert.equal(first.connections, 357);
      // RITA: ts 0.921, size 0.995, duration 1, histogram 1, score 0.979.
      assert.ok(Math.abs(Number(first.ts_score) - 0.921) <= 0.005);
      assert.equal(first.duration_score, 1);
      assert.equal(first.histogram_score, 1);
      assert.ok(Math.abs(Number(first.score) - 0.979) <= 0.005);
    });
  },
);

onEveryDatabase(
  "beacons: nothing in RITA's benign rolling logs scores 0.9",
  [{ collector: "zeek", paths: ["rita-proxy/proxy_rolling"] }],
  async (bench) => {
    const result = await bench.analyze("beacons", { params: { limit: 5000 } });
    assert.ok(result.rows.length > 20, `${result.rows.length} pairs scored`);
    const best = Math.max(...result.rows.map((row) => Number(row[4])));
    assert.ok(best < 0.9, `best score ${best}`);
  },
);

onEveryDatabase(
  "beacons and long_connections: APT29's command servers come first",
  [{ collector: "zeek", paths: ["otrf-apt29-zeek"] }],
  async (bench) => {
    // Day 1's Meterpreter over TLS to 192.168.0.4:8443 (376 connections)
    // and the SMB and HTTP staging to it tie at 0.5, the most regular.
    const beacons = await bench.analyze("beacons");
    const top = records(beacons.columns, beacons.rows);
    assert.deepEqual(
      top.slice(0, 3).map((r) => [r.source, r.destination, r.connections]),
      [
        ["10.0.1.6", "192.168.0.4", 376],
        ["10.0.1.4", "192.168.0.4", 10],
        ["10.0.1.5", "192.168.0.4", 676],
      ],
    );
    // Pupy's C2 on 1234 and Meterpreter on 443 to 192.168.0.5: three
    // connections, too few for a beacon, but the longest time connected.
    const long = await bench.analyze("long_connections");
    const [first] = records(long.columns, long.rows);
    assert.deepEqual(
      [first.source, first.destination, first.connections, first.total_s],
      ["10.0.1.4", "192.168.0.5", 3, 2606.758],
    );
  },
);
