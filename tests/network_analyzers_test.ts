/**
 * The network analyzers of modules/analyzers/network that read Zeek's
 * conn, dns, http and ssl logs and squid's: exact rows on small logs
 * written here, on every database, and on the real datasets what their
 * ground truth says (the port scan of Stratosphere's 002, APT29's
 * attacker servers reached by address, the AndroidTester RAT's uploads)
 * and what the benign captures give (nothing above the defaults).
 */

import assert from "node:assert/strict";
import type { Connection, SqlValue } from "../engine/types.ts";
import type { Workbench } from "../engine/workbench.ts";
import { onEveryDatabase } from "./helpers/datasets.ts";
import {
  keysetPages,
  looksRandom,
  splitName,
} from "../modules/analyzers/network/_dns.ts";

/** 2026-11-02 08:00:00 UTC, on a 5-minute boundary. */
const BASE = Date.UTC(2026, 10, 2, 8) / 1000;

/** Zeek's ts for `seconds` after BASE. */
function ts(seconds: number): string {
  return (BASE + seconds).toFixed(6);
}

/** A Gummer time stamp for `seconds` after BASE. */
function stamp(seconds: number): string {
  const iso = new Date((BASE + seconds) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** A Zeek TSV log with its headers; `-` is unset, `(empty)` empty. */
function zeekLog(
  path: string,
  fields: string[],
  rows: (string | number)[][],
): string[] {
  return [
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    `#path\t${path}`,
    `#fields\t${fields.join("\t")}`,
    ...rows.map((row) => row.map(String).join("\t")),
  ];
}

const CONN_FIELDS = [
  "ts",
  "uid",
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "proto",
  "duration",
  "orig_bytes",
  "resp_bytes",
  "conn_state",
];

const HTTP_FIELDS = [
  "ts",
  "uid",
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "method",
  "host",
  "uri",
  "version",
  "user_agent",
];

const SSL_FIELDS = [
  "ts",
  "uid",
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "server_name",
];

const DNS_FIELDS = [
  "ts",
  "uid",
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "proto",
  "query",
  "rcode",
  "rcode_name",
];

async function rowsOf(
  bench: Workbench,
  aid: string,
  params: Record<string, string | number> = {},
): Promise<{ columns: string[]; rows: SqlValue[][] }> {
  const result = await bench.analyze(aid, { params });
  return { columns: result.columns, rows: result.rows };
}

// ---------------------------------------------------------------- conn

/** One conn row; `n` keeps uids and client ports distinct. */
function conn(
  n: number,
  seconds: number,
  source: string,
  destination: string,
  port: number,
  state: string,
  bytes: [number, number] = [0, 0],
  proto = "tcp",
): (string | number)[] {
  return [
    ts(seconds),
    `C${n}`,
    source,
    20000 + n,
    destination,
    port,
    proto,
    "0.5",
    bytes[0],
    bytes[1],
    state,
  ];
}

function connFixture(): (string | number)[][] {
  const rows: (string | number)[][] = [];
  let n = 0;
  const add = (
    ...args: Parameters<typeof conn> extends [number, ...infer R] ? R
      : never
  ) => rows.push(conn(n++, ...args));

  // A: 20 ports of one host in 40 s, unanswered, refused or reset bare.
  for (let i = 0; i < 20; i++) {
    add(
      10 + 2 * i,
      "10.0.0.5",
      "10.0.9.9",
      1000 + i,
      ["S0", "REJ", "RSTO"][i % 3],
    );
  }
  // B: port 445 on 30 hosts in 60 s, refused.
  for (let i = 0; i < 30; i++) {
    add(60 + 2 * i, "10.0.0.6", `10.0.1.${i + 1}`, 445, "REJ");
  }
  // C: 16 ports of one host, and port 22 on 26 hosts, in 90 s.
  for (let i = 0; i < 16; i++) {
    add(30 + i, "10.0.0.7", "10.0.2.1", 2000 + i, "S0");
  }
  for (let i = 0; i < 26; i++) {
    add(50 + 2 * i, "10.0.0.7", `10.0.3.${i + 1}`, 22, "S0");
  }
  // D: 20 ports of one host, one a minute: at most 5 in any window.
  for (let i = 0; i < 20; i++) {
    add(60 * i, "10.0.0.8", "10.0.9.8", 3000 + i, "S0");
  }
  // E: 30 hosts on 443, all answered.
  for (let i = 0; i < 30; i++) {
    add(100 + i, "10.0.0.10", `10.0.4.${i + 1}`, 443, "SF", [500, 4000]);
  }
  // F: 20 ports reset after data: not a failed attempt.
  for (let i = 0; i < 20; i++) {
    add(100 + i, "10.0.0.11", "10.0.9.7", 4000 + i, "RSTO", [10, 10]);
  }
  // G: 10 ports just before 08:05 and 10 others just after.
  for (let i = 0; i < 10; i++) {
    add(240 + 5 * i, "10.0.0.12", "10.0.9.6", 5000 + i, "S0");
    add(300 + 5 * i, "10.0.0.12", "10.0.9.6", 5100 + i, "S0");
  }
  // H: a ping sweep of 30 hosts: ICMP has no ports.
  for (let i = 0; i < 30; i++) {
    add(10 + i, "10.0.0.13", `10.0.5.${i + 1}`, 0, "OTH", [0, 0], "icmp");
  }
  // I: a UDP sweep of port 161 on 25 hosts, unanswered.
  for (let i = 0; i < 25; i++) {
    add(400 + i, "10.0.0.14", `10.0.6.${i + 1}`, 161, "S0", [0, 0], "udp");
  }

  // Uploads: 3 x 20 MB out, 1 MB in; 30 MB both ways; 26 MB out, 10 in;
  // 24 MB out only (below 25 MB).
  for (let i = 0; i < 3; i++) {
    add(1000 + i, "10.0.0.20", "203.0.113.10", 443, "SF", [
      20_000_000,
      i === 0 ? 1_000_000 : 0,
    ]);
  }
  add(1100, "10.0.0.21", "203.0.113.11", 443, "SF", [30_000_000, 30_000_000]);
  add(1200, "10.0.0.22", "203.0.113.12", 22, "SF", [26_000_000, 10_000_000]);
  add(1300, "10.0.0.23", "203.0.113.13", 443, "SF", [24_000_000, 0]);
  return rows;
}

/** Squid's extended format: reply size, then request size. */
const SQUID_UPLOADS = [
  `${BASE + 2000}.000 900 10.0.0.30 TCP_MISS/200 700 15000000 POST ` +
  "http://upload.example.net/put - HIER_DIRECT/198.51.100.7 text/html",
  `${BASE + 2100}.000 950 10.0.0.30 TCP_MISS/200 800 15000000 POST ` +
  "http://upload.example.net/put - HIER_DIRECT/198.51.100.7 text/html",
  `${BASE + 2200}.000 10 10.0.0.31 TCP_MISS/200 90000000 300 GET ` +
  "http://download.example.net/big.iso - HIER_DIRECT/198.51.100.8 " +
  "application/octet-stream",
  // Squid's native format: no request size.
  `${BASE + 2300}.000 10 10.0.0.32 TCP_MISS/200 500 GET ` +
  "http://www.example.com/ - HIER_DIRECT/198.51.100.9 text/html",
];

onEveryDatabase(
  "port_scans: vertical, horizontal and both, in Zeek's fixed windows",
  [{
    collector: "zeek",
    files: { "conn.log": zeekLog("conn", CONN_FIELDS, connFixture()) },
  }],
  async (bench, _kind, t) => {
    await t.step("defaults: 15 ports or 25 hosts in 5 minutes", async () => {
      const result = await rowsOf(bench, "port_scans");
      assert.deepEqual(result.columns, [
        "source",
        "scan",
        "peak_ports",
        "peak_destinations",
        "ports",
        "destinations",
        "failed_connections",
        "first_seen",
        "last_seen",
      ]);
      assert.deepEqual(result.rows, [
        [
          "10.0.0.7",
          "vertical+horizontal",
          16,
          26,
          17,
          27,
          42,
          stamp(30),
          stamp(100),
        ],
        ["10.0.0.6", "horizontal", 0, 30, 1, 30, 30, stamp(60), stamp(118)],
        ["10.0.0.14", "horizontal", 0, 25, 1, 25, 25, stamp(400), stamp(424)],
        ["10.0.0.5", "vertical", 20, 0, 20, 1, 20, stamp(10), stamp(48)],
      ]);
    });

    await t.step(
      "a lower threshold catches the scan split at 08:05",
      async () => {
        const result = await rowsOf(bench, "port_scans", { min_ports: 10 });
        assert.deepEqual(
          result.rows.find((row) => row[0] === "10.0.0.12"),
          ["10.0.0.12", "vertical", 10, 0, 20, 1, 20, stamp(240), stamp(345)],
        );
        assert.equal(result.rows.some((row) => row[0] === "10.0.0.8"), false);
      },
    );

    await t.step("a 10-minute window holds it whole", async () => {
      const result = await rowsOf(bench, "port_scans", { window_minutes: 10 });
      assert.deepEqual(
        result.rows.find((row) => row[0] === "10.0.0.12"),
        ["10.0.0.12", "vertical", 20, 0, 20, 1, 20, stamp(240), stamp(345)],
      );
    });

    await t.step("since, until and limit", async () => {
      const limited = await rowsOf(bench, "port_scans", { limit: 2 });
      assert.deepEqual(limited.rows.map((row) => row[0]), [
        "10.0.0.7",
        "10.0.0.6",
      ]);
      const late = await rowsOf(bench, "port_scans", { since: stamp(300) });
      assert.deepEqual(late.rows.map((row) => row[0]), ["10.0.0.14"]);
      const early = await rowsOf(bench, "port_scans", { until: stamp(49) });
      assert.deepEqual(early.rows, [
        ["10.0.0.5", "vertical", 20, 0, 20, 1, 20, stamp(10), stamp(48)],
        ["10.0.0.7", "vertical", 16, 0, 16, 1, 16, stamp(30), stamp(45)],
      ]);
    });
  },
);

onEveryDatabase(
  "large_uploads: pairs by bytes sent, over conn and squid, with the PCR",
  [
    {
      collector: "zeek",
      files: { "conn.log": zeekLog("conn", CONN_FIELDS, connFixture()) },
    },
    { collector: "squid", files: { "access.log": SQUID_UPLOADS } },
  ],
  async (bench, _kind, t) => {
    await t.step("defaults: 25 MB out and a PCR of 0.4", async () => {
      const result = await rowsOf(bench, "large_uploads");
      assert.deepEqual(result.columns, [
        "source",
        "destination",
        "seen_in",
        "bytes_out",
        "bytes_in",
        "pcr",
        "connections",
        "first_seen",
        "last_seen",
      ]);
      assert.deepEqual(result.rows, [
        [
          "10.0.0.20",
          "203.0.113.10",
          "zeek_conn",
          60_000_000,
          1_000_000,
          0.967,
          3,
          stamp(1000),
          stamp(1002),
        ],
        [
          "10.0.0.30",
          "upload.example.net",
          "squid",
          30_000_000,
          1_500,
          1,
          2,
          stamp(2000),
          stamp(2100),
        ],
        [
          "10.0.0.22",
          "203.0.113.12",
          "zeek_conn",
          26_000_000,
          10_000_000,
          0.444,
          1,
          stamp(1200),
          stamp(1200),
        ],
      ]);
      const { notes } = await bench.analyze("large_uploads");
      assert.deepEqual(notes, [
        "1 of 4 squid rows come from native-format logs without request " +
        "sizes and are not counted: Squid's extended format (see apt_size) " +
        "logs them.",
      ]);
    });

    await t.step("any direction, from 1 byte: downloads rank too", async () => {
      const result = await rowsOf(bench, "large_uploads", {
        min_bytes: 1,
        min_pcr: -1,
        limit: 4,
      });
      assert.deepEqual(result.rows.map((row) => row.slice(0, 6)), [
        [
          "10.0.0.20",
          "203.0.113.10",
          "zeek_conn",
          60_000_000,
          1_000_000,
          0.967,
        ],
        ["10.0.0.21", "203.0.113.11", "zeek_conn", 30_000_000, 30_000_000, 0],
        ["10.0.0.30", "upload.example.net", "squid", 30_000_000, 1_500, 1],
        [
          "10.0.0.22",
          "203.0.113.12",
          "zeek_conn",
          26_000_000,
          10_000_000,
          0.444,
        ],
      ]);
    });
  },
);

// ------------------------------------------------------ http, ssl, squid

function http(
  n: number,
  seconds: number,
  source: string,
  destination: string,
  port: number,
  fields: {
    method?: string;
    host?: string;
    uri?: string;
    version?: string;
    agent?: string;
  },
): (string | number)[] {
  return [
    ts(seconds),
    `H${n}`,
    source,
    30000 + n,
    destination,
    port,
    fields.method ?? "GET",
    fields.host ?? "-",
    fields.uri ?? "/",
    fields.version ?? "1.1",
    fields.agent ??
      "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  ];
}

function directHttp(): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const add = (
    ...args: [number, string, string, number, Parameters<typeof http>[5]]
  ) => rows.push(http(rows.length, ...args));
  for (let i = 0; i < 3; i++) {
    add(10 + i, "10.0.0.5", "203.0.113.5", 80, { host: "203.0.113.5" });
  }
  add(20, "10.0.0.5", "203.0.113.5", 8080, { host: "203.0.113.5:8080" });
  add(30, "10.0.0.6", "2001:db8::7", 8443, { host: "[2001:DB8::7]:8443" });
  add(31, "10.0.0.6", "2001:db8::7", 80, { host: "[2001:db8::7]" });
  add(40, "10.0.0.9", "203.0.113.5", 80, { host: "203.0.113.5" });
  add(50, "10.0.0.5", "198.51.100.1", 80, { host: "www.example.com" });
  add(60, "10.0.0.5", "198.51.100.2", 80, { host: "999.1.1.1" });
  add(70, "10.0.0.5", "198.51.100.3", 80, { host: "1.2.3" });
  add(80, "10.0.0.5", "198.51.100.4", 80, { host: "1e100.net" });
  return rows;
}

const DIRECT_SSL = zeekLog("ssl", SSL_FIELDS, [
  [ts(100), "S1", "10.0.0.5", 40001, "203.0.113.5", 443, "-"],
  [ts(101), "S2", "10.0.0.5", 40002, "203.0.113.5", 443, "(empty)"],
  [ts(102), "S3", "10.0.0.7", 40003, "198.51.100.9", 443, "198.51.100.9"],
  [ts(103), "S4", "10.0.0.7", 40004, "198.51.100.10", 443, "www.example.com"],
]);

const DIRECT_SQUID = [
  `${BASE + 200}.000 5 10.0.0.8 TCP_MISS/200 512 GET http://192.0.2.44/x ` +
  "- HIER_DIRECT/192.0.2.44 text/html",
  `${BASE + 201}.000 5 10.0.0.8 TCP_MISS/200 512 GET http://192.0.2.44/y ` +
  "- HIER_DIRECT/192.0.2.44 text/html",
  `${BASE + 202}.000 5 10.0.0.8 TCP_TUNNEL/200 512 CONNECT 0x7f.0.0.1:443 ` +
  "- HIER_DIRECT/127.0.0.1 -",
  `${BASE + 203}.000 5 10.0.0.8 TCP_MISS/200 512 GET http://example.org/ ` +
  "- HIER_DIRECT/93.184.215.14 text/html",
];

onEveryDatabase(
  "direct_ip: HTTP hosts, TLS without a name and proxy requests by address",
  [
    {
      collector: "zeek",
      files: {
        "http.log": zeekLog("http", HTTP_FIELDS, directHttp()),
        "ssl.log": DIRECT_SSL,
      },
    },
    { collector: "squid", files: { "access.log": DIRECT_SQUID } },
  ],
  async (bench, _kind, t) => {
    await t.step(
      "every address form, one row per source and address",
      async () => {
        const result = await rowsOf(bench, "direct_ip");
        assert.deepEqual(result.columns, [
          "source",
          "destination",
          "seen_in",
          "hits",
          "http_requests",
          "tls_connections",
          "proxy_requests",
          "sources",
          "first_seen",
          "last_seen",
        ]);
        assert.deepEqual(result.rows, [
          [
            "10.0.0.5",
            "203.0.113.5",
            "zeek_http zeek_ssl",
            6,
            4,
            2,
            0,
            2,
            stamp(10),
            stamp(101),
          ],
          [
            "10.0.0.6",
            "2001:db8::7",
            "zeek_http",
            2,
            2,
            0,
            0,
            1,
            stamp(30),
            stamp(31),
          ],
          [
            "10.0.0.8",
            "192.0.2.44",
            "squid",
            2,
            0,
            0,
            2,
            1,
            stamp(200),
            stamp(201),
          ],
          [
            "10.0.0.7",
            "198.51.100.9",
            "zeek_ssl",
            1,
            0,
            1,
            0,
            1,
            stamp(102),
            stamp(102),
          ],
          [
            "10.0.0.8",
            "0x7f.0.0.1",
            "squid",
            1,
            0,
            0,
            1,
            1,
            stamp(202),
            stamp(202),
          ],
          [
            "10.0.0.9",
            "203.0.113.5",
            "zeek_http",
            1,
            1,
            0,
            0,
            2,
            stamp(40),
            stamp(40),
          ],
        ]);
      },
    );

    await t.step("a limit cuts after the ranking, and since too", async () => {
      const two = await rowsOf(bench, "direct_ip", { limit: 2 });
      assert.deepEqual(two.rows.map((row) => row[1]), [
        "203.0.113.5",
        "2001:db8::7",
      ]);
      const late = await rowsOf(bench, "direct_ip", { since: stamp(100) });
      assert.deepEqual(late.rows.map((row) => row.slice(0, 4)), [
        ["10.0.0.5", "203.0.113.5", "zeek_ssl", 2],
        ["10.0.0.8", "192.0.2.44", "squid", 2],
        ["10.0.0.7", "198.51.100.9", "zeek_ssl", 1],
        ["10.0.0.8", "0x7f.0.0.1", "squid", 1],
      ]);
    });
  },
);

function agentHttp(): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const add = (
    ...args: [number, string, string, number, Parameters<typeof http>[5]]
  ) => rows.push(http(rows.length, ...args));
  const browser =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " +
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
  for (const [i, source] of ["10.0.0.1", "10.0.0.2", "10.0.0.3"].entries()) {
    add(i, source, "198.51.100.1", 80, {
      host: "www.example.com",
      agent: browser,
    });
  }
  for (let i = 0; i < 3; i++) {
    add(10 + i, "10.0.0.5", "203.0.113.5", 80, {
      host: "c2.example.net",
      agent: "curl/8.4.0",
    });
  }
  for (let i = 0; i < 10; i++) {
    add(20 + i, "10.0.0.6", "203.0.113.6", 80, {
      host: "cdn.example.org",
      agent: "Mozilla/5.0 (compatible; Updater 2.1; +support)",
    });
  }
  add(40, "10.0.0.7", "203.0.113.7", 80, { host: "x.example.com", agent: "x" });
  add(41, "10.0.0.8", "203.0.113.8", 80, {
    host: "-",
    agent: "-",
    version: "1.0",
    uri: "/a",
  });
  add(42, "10.0.0.8", "203.0.113.8", 80, { host: "-", agent: "-", uri: "/b" });
  add(43, "10.0.0.8", "203.0.113.8", 80, { host: "-", agent: "-", uri: "/b" });
  add(44, "10.0.0.9", "203.0.113.9", 8080, {
    host: "(empty)",
    agent: "(empty)",
    version: "1.0",
  });
  for (
    const [i, host] of ["a.example.com", "b.example.com", "c.example.com"]
      .entries()
  ) {
    add(50 + i, "10.0.0.10", "203.0.113.10", 80, {
      host,
      agent: "Fetcher/1.0 (internal tool)",
    });
  }
  // A response Zeek saw without its request: no method, no host, no agent.
  add(60, "10.0.0.11", "203.0.113.11", 80, {
    method: "-",
    host: "-",
    agent: "-",
    version: "-",
  });
  return rows;
}

onEveryDatabase(
  "rare_user_agent and missing_host_header on HTTP requests",
  [{
    collector: "zeek",
    files: { "http.log": zeekLog("http", HTTP_FIELDS, agentHttp()) },
  }],
  async (bench, _kind, t) => {
    await t.step(
      "rare agents: one source, fewest destinations, odd first",
      async () => {
        const result = await rowsOf(bench, "rare_user_agent");
        assert.deepEqual(result.columns, [
          "user_agent",
          "oddity",
          "sources",
          "source",
          "destinations",
          "destination",
          "requests",
          "first_seen",
          "last_seen",
        ]);
        assert.deepEqual(result.rows, [
          [
            null,
            "missing",
            1,
            "10.0.0.8",
            1,
            "203.0.113.8",
            3,
            stamp(41),
            stamp(43),
          ],
          [
            "curl/8.4.0",
            "tool",
            1,
            "10.0.0.5",
            1,
            "c2.example.net",
            3,
            stamp(10),
            stamp(12),
          ],
          [
            "",
            "empty",
            1,
            "10.0.0.9",
            1,
            "203.0.113.9",
            1,
            stamp(44),
            stamp(44),
          ],
          [
            "x",
            "short",
            1,
            "10.0.0.7",
            1,
            "x.example.com",
            1,
            stamp(40),
            stamp(40),
          ],
          [
            "Mozilla/5.0 (compatible; Updater 2.1; +support)",
            null,
            1,
            "10.0.0.6",
            1,
            "cdn.example.org",
            10,
            stamp(20),
            stamp(29),
          ],
          [
            "Fetcher/1.0 (internal tool)",
            null,
            1,
            "10.0.0.10",
            3,
            null,
            3,
            stamp(50),
            stamp(52),
          ],
        ]);
      },
    );

    await t.step(
      "max_sources lets shared agents in, after the rare",
      async () => {
        const result = await rowsOf(bench, "rare_user_agent", {
          max_sources: 3,
          limit: 20,
        });
        assert.equal(result.rows.length, 9);
        assert.deepEqual(result.rows.slice(6).map((row) => [row[2], row[3]]), [
          [3, "10.0.0.1"],
          [3, "10.0.0.2"],
          [3, "10.0.0.3"],
        ]);
      },
    );

    await t.step("requests without Host, responses left out", async () => {
      const result = await rowsOf(bench, "missing_host_header");
      assert.deepEqual(result.columns, [
        "source",
        "destination",
        "port",
        "requests",
        "http11_requests",
        "uris",
        "user_agents",
        "first_seen",
        "last_seen",
      ]);
      assert.deepEqual(result.rows, [
        ["10.0.0.8", "203.0.113.8", 80, 3, 2, 2, 0, stamp(41), stamp(43)],
        ["10.0.0.9", "203.0.113.9", 8080, 1, 0, 1, 1, stamp(44), stamp(44)],
      ]);
    });
  },
);

// ----------------------------------------------------------------- dns

function dnsRow(
  n: number,
  seconds: number,
  source: string,
  query: string,
  rcode: number,
): (string | number)[] {
  return [
    ts(seconds),
    `D${n}`,
    source,
    50000 + (n % 10000),
    "10.0.0.53",
    53,
    "udp",
    query,
    rcode,
    rcode === 3 ? "NXDOMAIN" : "NOERROR",
  ];
}

/** A reproducible generator, so fixtures are the same on every run. */
function generator(seed: number): (alphabet: string, length: number) => string {
  let state = seed;
  return (alphabet, length) => {
    let text = "";
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      text += alphabet[(state >>> 16) % alphabet.length];
    }
    return text;
  };
}

const HEX = "0123456789abcdef";
const CONSONANTS = "bcdfghjklmnpqrstvwxz";

/** Tunnel names: 16 hex characters under t.badtunnel.xyz. */
function tunnelNames(count: number, seed: number): string[] {
  const next = generator(seed);
  return Array.from(
    { length: count },
    () => `${next(HEX, 16)}.t.badtunnel.xyz`,
  );
}

function shannon(text: string): number {
  const chars = [...text].filter((c) => c !== ".");
  const counts: Record<string, number> = {};
  for (const c of chars) counts[c] = (counts[c] ?? 0) + 1;
  return -Object.values(counts).reduce(
    (sum, n) => sum + (n / chars.length) * Math.log2(n / chars.length),
    0,
  );
}

const FIRST_TUNNEL = tunnelNames(110, 1);
const SECOND_TUNNEL = tunnelNames(10, 2);

function tunnelDns(): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const add = (seconds: number, source: string, query: string, rcode = 0) =>
    rows.push(dnsRow(rows.length, seconds, source, query, rcode));
  FIRST_TUNNEL.forEach((name, i) => add(i, "10.0.0.5", name));
  SECOND_TUNNEL.forEach((name, i) => add(200 + i, "10.0.0.6", name));
  // The same name again, upper-cased by 0x20 encoding: one name.
  add(300, "10.0.0.6", FIRST_TUNNEL[0].toUpperCase());
  add(301, "10.0.0.6", "badtunnel.xyz");
  for (let i = 0; i < 50; i++) {
    add(400 + i, "10.0.0.7", `img${i}.cdn.example.com`);
  }
  for (let i = 0; i < 150; i++) {
    add(500 + i, "10.0.0.7", `bucket${i}.s3.amazonaws.com`);
  }
  for (let i = 0; i < 150; i++) add(700 + i, "10.0.0.8", `host${i}.corp.local`);
  for (let i = 0; i < 150; i++) {
    add(900 + i, "10.0.0.8", `${i}.0.10.in-addr.arpa`, 3);
  }
  return rows;
}

onEveryDatabase(
  "dns_tunneling: distinct names per registered domain, from the suffix list",
  [{
    collector: "zeek",
    files: { "dns.log": zeekLog("dns", DNS_FIELDS, tunnelDns()) },
  }],
  async (bench, _kind, t) => {
    const subdomains = [...FIRST_TUNNEL, ...SECOND_TUNNEL]
      .map((name) => name.slice(0, -".badtunnel.xyz".length));

    await t.step("the tunnel alone passes 100 subdomains", async () => {
      const result = await rowsOf(bench, "dns_tunneling");
      assert.deepEqual(result.columns, [
        "domain",
        "subdomains",
        "queries",
        "sources",
        "top_source",
        "top_source_subdomains",
        "longest_name",
        "mean_subdomain_length",
        "mean_entropy",
        "first_seen",
        "last_seen",
      ]);
      const entropy = subdomains.reduce((sum, s) => sum + shannon(s), 0) /
        subdomains.length;
      assert.deepEqual(result.rows, [[
        "badtunnel.xyz",
        120,
        121,
        2,
        "10.0.0.5",
        110,
        32,
        18,
        Math.round(entropy * 1000) / 1000,
        stamp(0),
        stamp(300),
      ]]);
    });

    await t.step(
      "lower, the CDN follows; buckets, .local and .arpa never",
      async () => {
        const result = await rowsOf(bench, "dns_tunneling", {
          min_subdomains: 2,
        });
        assert.deepEqual(result.rows.map((row) => row.slice(0, 6)), [
          ["badtunnel.xyz", 120, 121, 2, "10.0.0.5", 110],
          ["example.com", 50, 50, 1, "10.0.0.7", 50],
        ]);
      },
    );

    await t.step(
      "pages of names: each once, in order, however small",
      async () => {
        const connection: Connection = await bench.connect();
        const sql = `SELECT name FROM (SELECT LOWER(query) AS name FROM zeek_dns
        WHERE query IS NOT NULL AND id_orig_h = ?) q
        WHERE %AFTER% GROUP BY name ORDER BY name LIMIT ?`;
        const seen: string[] = [];
        for await (
          const page of keysetPages(connection, sql, {
            keys: ["name"],
            params: ["10.0.0.6"],
            pageRows: 3,
          })
        ) {
          assert.ok(page.length <= 3);
          seen.push(...page.map((row) => String(row[0])));
        }
        const expected = [
          ...new Set([
            ...SECOND_TUNNEL,
            FIRST_TUNNEL[0],
            "badtunnel.xyz",
          ]),
        ].sort();
        assert.deepEqual(seen, expected);
      },
    );
  },
);

/** Registered domains a DGA might make: 12 consonants under .com. */
function dgaDomains(count: number, seed: number): string[] {
  const next = generator(seed);
  return Array.from({ length: count }, () => `${next(CONSONANTS, 12)}.com`);
}

const FAST_DGA = dgaDomains(120, 3);
const SLOW_DGA = dgaDomains(120, 4);

function dgaDns(): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const add = (seconds: number, source: string, query: string, rcode = 3) =>
    rows.push(dnsRow(rows.length, seconds, source, query, rcode));
  // One a minute for two hours, each asked twice, plus two names of one.
  FAST_DGA.forEach((domain, i) => {
    add(60 * i, "10.0.0.5", domain);
    add(60 * i + 1, "10.0.0.5", `www.${domain}`);
  });
  add(10, "10.0.0.5", "a.qwrtzpsdfgk.com");
  add(11, "10.0.0.5", "b.qwrtzpsdfgk.com");
  for (const typo of ["gooogle.com", "faceboook.com", "wikipedai.org"]) {
    add(20, "10.0.0.5", typo);
  }
  // Every half hour for 60 hours.
  SLOW_DGA.forEach((domain, i) => add(1800 * i, "10.0.0.6", domain));
  // Ordinary names failing, single labels and .local, and answered ones.
  for (let i = 0; i < 150; i++) {
    add(100 + i, "10.0.0.7", `holiday${i}trips.com`);
    add(100 + i, "10.0.0.8", CONSONANTS.slice(i % 8, (i % 8) + 10) + i);
    add(100 + i, "10.0.0.8", `${FAST_DGA[i % 120].slice(0, -4)}.local`);
    add(100 + i, "10.0.0.9", SLOW_DGA[i % 120], 0);
  }
  return rows;
}

onEveryDatabase(
  "dga_nxdomain: bursts of failed random-looking domains per source",
  [{
    collector: "zeek",
    files: { "dns.log": zeekLog("dns", DNS_FIELDS, dgaDns()) },
  }],
  async (bench, _kind, t) => {
    const fast = [...FAST_DGA, "qwrtzpsdfgk.com"];
    assert.ok(
      fast.every((domain) =>
        looksRandom(splitName(domain, { platforms: false })!.label)
      ),
    );

    await t.step("defaults: 100 domains in 24 hours", async () => {
      const result = await rowsOf(bench, "dga_nxdomain");
      assert.deepEqual(result.columns, [
        "source",
        "burst_domains",
        "burst_start",
        "random_domains",
        "failed_domains",
        "failed_lookups",
        "examples",
        "first_seen",
        "last_seen",
      ]);
      assert.deepEqual(result.rows, [[
        "10.0.0.5",
        121,
        stamp(0),
        121,
        124,
        245,
        [...fast].sort().slice(0, 3).join(" "),
        stamp(0),
        stamp(60 * 119 + 1),
      ]]);
    });

    await t.step("a wider window catches the slow one", async () => {
      const result = await rowsOf(bench, "dga_nxdomain", { window_hours: 72 });
      assert.deepEqual(result.rows.map((row) => row.slice(0, 6)), [
        ["10.0.0.5", 121, stamp(0), 121, 124, 245],
        ["10.0.0.6", 120, stamp(0), 120, 120, 120],
      ]);
    });

    await t.step("an hour's window: the busiest hour", async () => {
      const result = await rowsOf(bench, "dga_nxdomain", {
        window_hours: 1,
        min_domains: 2,
      });
      // 60 domains start in the first hour, and qwrtzpsdfgk.com at 10 s.
      assert.deepEqual(result.rows.map((row) => row.slice(0, 3)), [
        ["10.0.0.5", 61, stamp(0)],
        ["10.0.0.6", 2, stamp(0)],
      ]);
    });
  },
);

// --------------------------------------------------------- real datasets

onEveryDatabase(
  "port_scans on Stratosphere 002: the Nmap scanner 172.16.1.11 ranks first",
  [{
    collector: "zeek",
    paths: ["stratosphere-ctu/002-zeek-scenario-port-scanning"],
  }],
  async (bench) => {
    const result = await rowsOf(bench, "port_scans");
    // SOURCE.txt: every row is from 172.16.1.11; S0 2,409 and REJ 1,273.
    assert.equal(result.rows.length, 1);
    const [row] = result.rows;
    assert.deepEqual(row.slice(0, 7), [
      "172.16.1.11",
      "vertical+horizontal",
      100,
      80,
      101,
      161,
      4044,
    ]);
    assert.ok(Number(row[6]) >= 2409 + 1273);
  },
);

onEveryDatabase(
  "APT29: direct_ip and rare_user_agent find the attacker servers",
  [{ collector: "zeek", paths: ["otrf-apt29-zeek"] }],
  async (bench, _kind, t) => {
    await t.step("direct_ip", async () => {
      const result = await rowsOf(bench, "direct_ip");
      // PoshC2 on day 2 calls https://192.168.0.4 (676 TLS connections);
      // day 1's Meterpreter and WebDAV use 192.168.0.4 and .5 by address.
      assert.deepEqual(result.rows.map((row) => row.slice(0, 7)), [
        ["10.0.1.5", "192.168.0.4", "zeek_http zeek_ssl", 677, 1, 676, 0],
        ["10.0.1.6", "192.168.0.4", "zeek_ssl", 376, 0, 376, 0],
        ["10.0.1.4", "192.168.0.4", "zeek_http", 62, 62, 0, 0],
        ["192.168.1.41", "10.0.5.13", "zeek_ssl", 5, 0, 5, 0],
        ["10.0.1.4", "192.168.0.5", "zeek_ssl", 2, 0, 2, 0],
      ]);
    });

    await t.step("rare_user_agent: WebDAV to 192.168.0.4 alone", async () => {
      const result = await rowsOf(bench, "rare_user_agent");
      assert.deepEqual(result.rows.map((row) => row.slice(0, 6)), [
        [null, "missing", 1, "10.0.1.5", 1, "192.168.0.4"],
        ["DavClnt", "short", 1, "10.0.1.4", 1, "192.168.0.4"],
        [
          "Microsoft-WebDAV-MiniRedir/10.0.18362",
          null,
          1,
          "10.0.1.4",
          1,
          "192.168.0.4",
        ],
      ]);
    });
  },
);

onEveryDatabase(
  "rita-proxy: the planted beacon's agent is rare; it goes by name",
  [{ collector: "zeek", paths: ["rita-proxy/proxy"] }],
  async (bench, _kind, t) => {
    await t.step("rare_user_agent", async () => {
      const result = await rowsOf(bench, "rare_user_agent");
      const beacon = result.rows.find((row) =>
        row[3] === "10.136.0.18" && Number(row[6]) === 400
      );
      assert.deepEqual(beacon?.slice(0, 5), [
        "Modzilla/-2.0 (Atari 7800)",
        null,
        1,
        "10.136.0.18",
        2,
      ]);
      const hosts = await bench.query(
        "SELECT DISTINCT host FROM zeek_http WHERE user_agent = ?",
        { params: ["Modzilla/-2.0 (Atari 7800)"] },
      );
      assert.ok(hosts.rows.some((row) => row[0] === "www.honestimnotevil.com"));
    });

    await t.step("direct_ip: every CONNECT and SNI names a host", async () => {
      const result = await rowsOf(bench, "direct_ip");
      assert.deepEqual(result.rows, []);
    });
  },
);

onEveryDatabase(
  "large_uploads on Stratosphere 003: the AndroidTester RAT sends 42 MB",
  [{
    collector: "zeek",
    paths: ["stratosphere-ctu/003-zeek-scenario-malicious"],
  }],
  async (bench) => {
    const result = await rowsOf(bench, "large_uploads");
    // SOURCE.txt: 10.8.0.61 -> 147.32.83.234:1337, 12 connections.
    assert.deepEqual(result.rows.map((row) => row.slice(0, 7)), [
      ["10.8.0.61", "147.32.83.234", "zeek_conn", 41_968_113, 5_845, 1, 12],
    ]);
  },
);

onEveryDatabase(
  "missing_host_header on Stratosphere 007: hostless rows are responses",
  [{
    collector: "zeek",
    paths: ["stratosphere-ctu/007-zeek-scenario-ssh-infected"],
  }],
  async (bench) => {
    const hostless = await bench.query(
      "SELECT COUNT(*) FROM zeek_http WHERE host IS NULL AND method IS NULL",
    );
    assert.ok(Number(hostless.rows[0][0]) > 0);
    const result = await rowsOf(bench, "missing_host_header");
    assert.deepEqual(result.rows, []);
  },
);

onEveryDatabase(
  "DNS baselines: WRCCDC 2018, proxy_rolling and 003 give no tunnel and no DGA",
  [{
    collector: "zeek",
    paths: [
      "zed-wrccdc2018/zeek-default/dns.log.gz",
      "rita-proxy/proxy_rolling",
      "stratosphere-ctu/003-zeek-scenario-malicious",
    ],
  }],
  async (bench, _kind, t) => {
    await t.step(
      "dns_tunneling: no domain reaches 100 subdomains",
      async () => {
        assert.deepEqual((await rowsOf(bench, "dns_tunneling")).rows, []);
        // The busiest is Steam's content network, 67 names from one cache.
        const low = await rowsOf(bench, "dns_tunneling", {
          min_subdomains: 20,
          limit: 1,
        });
        assert.deepEqual(low.rows.map((row) => row.slice(0, 6)), [
          ["steamcontent.com", 67, 658, 1, "172.31.255.5", 67],
        ]);
      },
    );

    await t.step(
      "dga_nxdomain: not one random-looking failed domain",
      async () => {
        const failed = await bench.query(
          "SELECT COUNT(*) FROM zeek_dns WHERE rcode = 3",
        );
        assert.ok(Number(failed.rows[0][0]) > 2000);
        assert.deepEqual(
          (await rowsOf(bench, "dga_nxdomain", { min_domains: 1 })).rows,
          [],
        );
      },
    );
  },
);
