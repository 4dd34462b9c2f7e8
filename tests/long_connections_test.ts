/**
 * long_connections on every database: closed and open Zeek connections,
 * each counted once by uid, and a proxy's tunnels, summed by hand.
 */

import assert from "node:assert/strict";
import { onEveryDatabase } from "./helpers/datasets.ts";

/** 2026-11-02 00:00:00 UTC. */
const START = Date.UTC(2026, 10, 2) / 1000;

function stamp(offset: number): string {
  const iso = new Date((START + offset) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** A conn or conn_long line in Zeek's JSON form; no duration is unset. */
function line(
  uid: string,
  offset: number,
  source: string,
  destination: string,
  duration?: number,
): string {
  return JSON.stringify({
    ts: START + offset,
    uid,
    "id.orig_h": source,
    "id.orig_p": 50_000,
    "id.resp_h": destination,
    "id.resp_p": 443,
    proto: "tcp",
    ...(duration === undefined ? {} : { duration }),
    conn_state: "SF",
  });
}

const CONN = [
  // X: three closed connections, 1000.5 + 2000.25 + 10 s.
  line("Cx1", 0, "10.0.0.5", "198.51.100.7", 1000.5),
  // Y: closed; also logged while open (below), counted once as closed.
  line("Cboth", 1000, "10.0.0.6", "198.51.100.8", 800),
  line("Cx2", 4000, "10.0.0.5", "198.51.100.7", 2000.25),
  // Z: no duration (a connection attempt): 0 s.
  line("Cz", 6000, "10.0.0.8", "198.51.100.9"),
  // An mDNS stream: link-local multicast, always left out.
  line("Cmdns", 7000, "10.0.0.7", "224.0.0.251", 5000),
  line("Cx3", 9000, "10.0.0.5", "198.51.100.7", 10),
];

// conn_long, the long-connections package's log, lands in zeek_open_conn.
const CONN_LONG = [
  // Y: still open, logged twice as it grows: once, at its longest.
  line("Copen", 2000, "10.0.0.6", "198.51.100.8", 100),
  line("Copen", 2000, "10.0.0.6", "198.51.100.8", 500),
  line("Cboth", 1000, "10.0.0.6", "198.51.100.8", 300),
  // W: open for two hours and never closed in conn.log.
  line("Conly", 5000, "10.0.0.9", "198.51.100.10", 7200),
];

// A proxy's log: an hour-long tunnel and a one-second one.
const ACCESS = [
  `${START + 3600}.000 3600000 10.0.0.20 TCP_TUNNEL/200 4000 CONNECT ` +
  "c2.example:443 - HIER_DIRECT/203.0.113.5 -",
  `${START + 7000}.000 1000 10.0.0.20 TCP_TUNNEL/200 900 CONNECT ` +
  "c2.example:443 - HIER_DIRECT/203.0.113.5 -",
];

const W = [
  "10.0.0.9",
  "198.51.100.10",
  "zeek_conn",
  7200,
  7200,
  1,
  1,
  stamp(5000),
  stamp(5000),
];
const S = [
  "10.0.0.20",
  "c2.example",
  "squid",
  3601,
  3600,
  2,
  0,
  stamp(3600),
  stamp(7000),
];
const X = [
  "10.0.0.5",
  "198.51.100.7",
  "zeek_conn",
  3010.75,
  2000.25,
  3,
  0,
  stamp(0),
  stamp(9000),
];
const Y = [
  "10.0.0.6",
  "198.51.100.8",
  "zeek_conn",
  1300,
  800,
  2,
  1,
  stamp(1000),
  stamp(2000),
];
const Z = [
  "10.0.0.8",
  "198.51.100.9",
  "zeek_conn",
  0,
  0,
  1,
  0,
  stamp(6000),
  stamp(6000),
];

onEveryDatabase(
  "long_connections: closed, open and proxied time per pair",
  [
    {
      collector: "zeek",
      files: { "conn.log": CONN, "conn_long.log": CONN_LONG },
    },
    { collector: "squid", files: { "access.log": ACCESS } },
  ],
  async (bench, _kind, t) => {
    await t.step("every pair, longest total first", async () => {
      const result = await bench.analyze("long_connections");
      assert.deepEqual(result.columns, [
        "source",
        "destination",
        "seen_in",
        "total_s",
        "longest_s",
        "connections",
        "open_connections",
        "first_seen",
        "last_seen",
      ]);
      assert.deepEqual(result.rows, [W, S, X, Y, Z]);
    });

    await t.step("min_seconds=3600, RITA's cut", async () => {
      const result = await bench.analyze("long_connections", {
        params: { min_seconds: 3600 },
      });
      assert.deepEqual(result.rows, [W, S]);
    });

    await t.step("limit and the time window", async () => {
      const two = await bench.analyze("long_connections", {
        params: { limit: 2 },
      });
      assert.deepEqual(two.rows, [W, S]);
      // From 3000 s on: X loses its first connection, Y both of its own.
      const late = await bench.analyze("long_connections", {
        params: { since: stamp(3000) },
      });
      assert.deepEqual(late.rows, [
        W,
        S,
        ["10.0.0.5", "198.51.100.7", "zeek_conn", 2010.25, 2000.25, 2, 0]
          .concat([stamp(4000), stamp(9000)]),
        Z,
      ]);
    });
  },
);

onEveryDatabase(
  "long_connections: open connections alone, without conn.log",
  [{ collector: "zeek", files: { "conn_long.log": CONN_LONG } }],
  async (bench) => {
    const result = await bench.analyze("long_connections");
    assert.deepEqual(result.rows, [
      W,
      // Without conn.log, Cboth's open row is all there is of it.
      ["10.0.0.6", "198.51.100.8", "zeek_conn", 800, 500, 2, 2]
        .concat([stamp(1000), stamp(2000)]),
    ]);
  },
);
