/**
 * The Zeek collector: TSV and JSON writers, the log type from headers, keys
 * or names, every malformed case, and the real logs in ../shared/datasets
 * (or $GUMMER_DATASETS), whose counts were derived in the shell,
 * independently of the parser, as each test says.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { FileReport, Input, SqlValue } from "../engine/types.ts";
import { Workbench } from "../engine/workbench.ts";
import {
  choose,
  logFromName,
  tables,
  zeekParser,
} from "../modules/collectors/zeek.ts";
import { createTarget, KINDS, unavailable } from "../tools/test_targets.ts";
import { envOf, ROOT } from "./helpers/temp.ts";

/** A workbench on a fresh in-memory database, rejects in a temp folder. */
async function bench() {
  const dir = Deno.makeTempDirSync({ prefix: "gummer-zeek-" });
  const workbench = await Workbench.open({
    env: envOf({ GUMMER_SQLITE: ":memory:" }),
  });
  return { workbench, rejects: join(dir, "rejects.ndjson"), dir };
}

function input(name: string, content: string | Uint8Array): Input {
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  return { name, open: () => Promise.resolve(ReadableStream.from([bytes])) };
}

async function objects(workbench: Workbench, sql: string) {
  const result = await workbench.query(sql);
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))
  );
}

function rejectRecords(path: string) {
  return Deno.readTextFileSync(path).trim().split("\n")
    .map((line) => JSON.parse(line));
}

const TSV_HEAD = [
  "#separator \\x09",
  "#set_separator\t,",
  "#empty_field\t(empty)",
  "#unset_field\t-",
  "#path\tconn",
  "#open\t2026-11-02-08-00-00",
];

/** conn fields in a shuffled order, with a site's `_node_name` first. */
const SHUFFLED = [
  "#fields\t_node_name\tuid\tid.resp_p\tts\tid.orig_h\tid.orig_p\t" +
  "id.resp_h\tproto\tduration\torig_bytes\tresp_bytes\tconn_state\t" +
  "local_orig\ttunnel_parents\tservice",
  "#types\tstring\tstring\tport\ttime\taddr\tport\taddr\tenum\tinterval\t" +
  "count\tcount\tstring\tbool\tset[string]\tstring",
];

const TSV_LINE = "worker-1\tCabc123\t443\t1762070400.250000\t10.0.0.5\t" +
  "51000\t198.51.100.7\ttcp\t12.5\t1200\t56000\tSF\tT\tCx1,Cx2\tssl";

/** The columns every writer must give the same event. */
const EXPECTED_CONN = {
  ts: "2025-11-02 08:00:00.250",
  uid: "Cabc123",
  id_orig_h: "10.0.0.5",
  id_orig_p: 51000,
  id_resp_h: "198.51.100.7",
  id_resp_p: 443,
  proto: "tcp",
  service: "ssl",
  duration: 12.5,
  orig_bytes: 1200,
  resp_bytes: 56000,
  conn_state: "SF",
  local_orig: 1,
  local_resp: null,
  missed_bytes: null,
  history: null,
  orig_pkts: null,
  orig_ip_bytes: null,
  resp_pkts: null,
  resp_ip_bytes: null,
  tunnel_parents: '["Cx1","Cx2"]',
};

const EVENT = {
  uid: "Cabc123",
  proto: "tcp",
  service: "ssl",
  duration: 12.5,
  orig_bytes: 1200,
  resp_bytes: 56000,
  conn_state: "SF",
  local_orig: true,
  tunnel_parents: ["Cx1", "Cx2"],
};

Deno.test("TSV columns in any order, extra fields kept as JSON", async () => {
  const { workbench, rejects } = await bench();
  const text = [...TSV_HEAD, ...SHUFFLED, TSV_LINE, "#close\t2026"].join("\n");
  const report = await workbench.collect("zeek", [input("x.log", text)], {
    rejectFile: rejects,
  });
  assert.deepEqual(
    report.files.map((f) => [f.inserted, f.failed, f.headers, f.detail]),
    [[1, 0, 9, "conn log (from #path) into zeek_conn, TSV: 1 rows"]],
  );
  const [row] = await objects(workbench, "SELECT * FROM zeek_conn");
  const { extra, ...columns } = row;
  assert.deepEqual(columns, EXPECTED_CONN);
  assert.deepEqual(JSON.parse(String(extra)), { _node_name: "worker-1" });
  await workbench.close();
});

Deno.test("JSON: dotted, underscored and nested keys, epoch or ISO time", async () => {
  const { workbench, rejects } = await bench();
  const dotted = {
    "id.orig_h": "10.0.0.5",
    "id.orig_p": 51000,
    "id.resp_h": "198.51.100.7",
    "id.resp_p": 443,
  };
  const underscored = {
    id_orig_h: "10.0.0.5",
    id_orig_p: 51000,
    id_resp_h: "198.51.100.7",
    id_resp_p: 443,
  };
  const nested = {
    id: {
      orig_h: "10.0.0.5",
      orig_p: 51000,
      resp_h: "198.51.100.7",
      resp_p: 443,
    },
  };
  const lines = [
    { _path: "conn", ts: 1762070400.25, ...dotted, ...EVENT },
    { "@stream": "conn", ts: "1762070400.25", ...underscored, ...EVENT },
    { ts: "2025-11-02T08:00:00.250000Z", ...nested, ...EVENT },
    { ts: "2025-11-02T09:00:00.25+01:00", ...dotted, ...EVENT },
  ].map((line) => JSON.stringify(line));
  const report = await workbench.collect(
    "zeek",
    [input("conn.json", lines.join("\n") + "\n")],
    { rejectFile: rejects },
  );
  assert.deepEqual(report.failures, []);
  assert.equal(report.inserted, 4);
  const rows = await objects(workbench, "SELECT * FROM zeek_conn");
  assert.deepEqual(rows.map((row) => row.extra), [
    '{"_path":"conn"}',
    '{"@stream":"conn"}',
    null,
    null,
  ]);
  for (const { extra: _, ...columns } of rows) {
    assert.deepEqual(columns, EXPECTED_CONN);
  }
  await workbench.close();
});

Deno.test("unset, empty and sets read the same from TSV and JSON", () => {
  const head = [...TSV_HEAD.slice(0, 4), "#path\tdns"];
  const tsv = zeekParser({ log: "dns", table: "dns", from: "#path" });
  for (const line of head) assert.equal(tsv.parse(line), null);
  tsv.parse("#fields\tts\tquery\tanswers\tttls\trejected\tqtype_name");
  tsv.parse(
    "#types\ttime\tstring\tvector[string]\tvector[interval]\tbool\tstring",
  );
  const fromTsv = tsv.parse(
    "12.5\t(empty)\ta.example,192.0.2.1\t60.0,30.0\tF\t-",
  );
  const json = zeekParser({ log: "dns", table: "dns", from: "_path" });
  const fromJson = json.parse(JSON.stringify({
    ts: 12.5,
    query: "",
    answers: ["a.example", "192.0.2.1"],
    ttls: ["60.0", "30.0"],
    rejected: false,
    qtype_name: null,
  }));
  assert.deepEqual(fromTsv, fromJson);
  const dns = tables.find((t) => t.name === "zeek_dns")!;
  const row = Object.fromEntries(
    dns.columns.map((c, i) => [c.name, (fromTsv as SqlValue[])[i]]),
  );
  assert.deepEqual(
    Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)),
    {
      // A capture replayed with a relative clock: 1970, kept as data.
      ts: "1970-01-01 00:00:12.500",
      query: "",
      answers: '["a.example","192.0.2.1"]',
      ttls: '["60.0","30.0"]',
      rejected: 0,
    },
  );
});

Deno.test("the log type: #path, _path, @stream, the file name, the parameter", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const tsv = bytes([...TSV_HEAD, ...SHUFFLED].join("\n") + "\n");
  assert.deepEqual(choose("anything.txt", tsv), {
    log: "conn",
    table: "conn",
    from: "#path",
  });
  assert.deepEqual(choose("x", bytes('{"_path":"weird","ts":1}\n')), {
    log: "weird",
    table: "other",
    from: "_path",
  });
  assert.deepEqual(choose("x", bytes('{"@stream":"conn_long","ts":1}\n')), {
    log: "open_conn",
    table: "open_conn",
    from: "_path",
  });
  assert.deepEqual(choose("logs/NASHUA_dns.log", bytes('{"ts":1}\n')), {
    log: "dns",
    table: "dns",
    from: "the file name",
  });
  assert.deepEqual(choose("-", bytes('{"ts":1}\n'), "ssl"), {
    log: "ssl",
    table: "ssl",
    from: "the path parameter",
  });
  assert.deepEqual(
    choose("x", bytes('{"_path":"conn"}\n{"_path":"dns"}\n')),
    { log: "other", table: "other", from: "_path", mixed: true },
  );
  assert.equal(
    choose("-", bytes('{"ts":1}\n')),
    "cannot tell which Zeek log this is: no _path or @stream key, and the " +
      'name "-" does not say; name it after its type (conn.log) or give ' +
      "-p path=TYPE",
  );
  assert.equal(
    choose("notes.log", bytes("hello\n")),
    "not a Zeek log: its first line is neither a # header (TSV) nor a JSON " +
      "object",
  );
  assert.equal(
    choose("x.log", bytes("# a comment\n1\t2\n")),
    "not a Zeek log: it starts with # but has no #separator or #fields " +
      "header in its first lines",
  );
  for (
    const [name, log] of [
      ["conn.00:00:00-01:00:00.log.gz", "conn"],
      ["/data/zeek/2026-11-02/dns.12:00:00-13:00:00.log", "dns"],
      ["conn.log.labeled", "conn"],
      ["UTICA-ONE-DRIVE_smb_mapping.log", "smb_mapping"],
      ["SCRANTON_open_conn.log", "open_conn"],
      ["ssh.json.gz", "ssh"],
      ["SENSOR7_custom_thing.log", "custom_thing"],
      ["custom_thing.log", "custom_thing"],
    ]
  ) assert.equal(logFromName(name), log, name);
});

Deno.test("a mixed JSON file keeps each row's type in zeek_other", async () => {
  const { workbench, rejects } = await bench();
  const text = [
    { _path: "conn", ts: 1, uid: "C1", "id.orig_h": "10.0.0.1" },
    { _path: "dns", ts: 2, uid: "C1", query: "example.org" },
  ].map((o) => JSON.stringify(o)).join("\n");
  await workbench.collect("zeek", [input("all.json", text)], {
    rejectFile: rejects,
  });
  assert.deepEqual(
    (await workbench.query(
      "SELECT log_type, uid, id_orig_h, extra FROM zeek_other ORDER BY ts",
    )).rows,
    [
      ["conn", "C1", "10.0.0.1", '{"_path":"conn"}'],
      ["dns", "C1", null, '{"_path":"dns","query":"example.org"}'],
    ],
  );
  await workbench.close();
});

Deno.test("bad lines are set aside with where and why; the rest goes in", async () => {
  const { workbench, rejects } = await bench();
  const header = [...TSV_HEAD, ...SHUFFLED];
  const good = TSV_LINE;
  const huge = "x".repeat(10 * 1024 * 1024);
  const parts = [
    "1\tC0\t443\t1762070400\t10.0.0.1\t1\t10.0.0.2\ttcp\t1\t1\t1\tSF\tT\t-\t-",
    ...header, //                                 lines 2 to 9
    good, //                                      10
    good.replace("\t443\t", "\thttps\t"), //      11 a port that is a word
    good.split("\t").slice(0, 10).join("\t"), //  12 too few fields
    good.replace("Cabc123", "Ca\0bc"), //         13 a NUL byte
    good.replace("12.5", "-"), //                 14 unset: fine
    good.replace("\tT\t", "\tyes\t"), //          15 not a bool
    good.replace("1762070400.250000", "soon"), // 16 not a time
    '{"_path":"dns","ts":1}', //                  17 another log
    '{"ts":1, "uid":', //                         18 cut JSON
    huge, //                                      19 10 MB
    good.slice(0, 30), //                         20 truncated, no line end
  ];
  // Raw binary garbage as line 15: not UTF-8.
  const garbage = new Uint8Array([0xff, 0xfe, 0x00, 0x9c]);
  const text = new TextEncoder().encode(parts.slice(0, 14).join("\n") + "\n");
  const rest = new TextEncoder().encode("\n" + parts.slice(14).join("\n"));
  const withGarbage = new Uint8Array([...text, ...garbage, ...rest]);

  const report = await workbench.collect(
    "zeek",
    [input("conn.log", withGarbage)],
    { rejectFile: rejects },
  );
  assert.deepEqual(report.failures.map((f) => [f.line, f.reason]), [
    [1, "a data line before any #fields header"],
    [11, 'field id.resp_p: expected an integer, got "https"'],
    [12, "expected 15 tab-separated fields, as #fields says, got 10"],
    [13, "binary data: NUL byte at column 12"],
    [15, "not UTF-8 text (at byte 1)"],
    [16, 'field local_orig: expected T or F, got "yes"'],
    [
      17,
      'field ts: expected a time (epoch seconds or ISO 8601 with a zone), got "soon"',
    ],
    [
      18,
      "this line is from a dns log but the file is read as a conn log (from " +
      "#path); a file that mixes log types goes in whole only when its " +
      "first lines show the mix",
    ],
    [19, report.failures[8]?.reason],
    [
      20,
      `line is ${huge.length} bytes, longer than the 1048576 this ` +
      "collector accepts",
    ],
    [21, "expected 15 tab-separated fields, as #fields says, got 4"],
  ]);
  assert.match(report.failures[8].reason, /^not JSON: /);
  assert.deepEqual(
    [report.inserted, report.failed, report.files[0].headers],
    [2, 11, 8],
  );
  assert.deepEqual(
    (await workbench.query("SELECT uid, duration FROM zeek_conn ORDER BY 2"))
      .rows,
    [["Cabc123", null], ["Cabc123", 12.5]],
  );
  // Every failure is in the reject file, the garbage byte for byte.
  const records = rejectRecords(rejects);
  assert.deepEqual(records.map((r) => r.line), [
    1,
    11,
    12,
    13,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
  ]);
  await workbench.close();
});

Deno.test("a folder: each log into its own table, gzip and rotation names", async () => {
  const { workbench, rejects, dir } = await bench();
  const logs = join(dir, "logs");
  Deno.mkdirSync(join(logs, "2026-11-02"), { recursive: true });
  const conn = [...TSV_HEAD, ...SHUFFLED, TSV_LINE].join("\n") + "\n";
  Deno.writeFileSync(
    join(logs, "2026-11-02", "conn.08:00:00-09:00:00.log.gz"),
    gzipSync(new TextEncoder().encode(conn)),
  );
  Deno.writeTextFileSync(
    join(logs, "2026-11-02", "SENSOR_dns.json"),
    JSON.stringify({ ts: 5, uid: "C9", query: "example.org", rcode: 3 }) +
      "\n",
  );
  Deno.writeTextFileSync(
    join(logs, "weird.log"),
    JSON.stringify({ ts: 6, name: "bad_TCP_checksum" }) + "\n",
  );
  Deno.writeTextFileSync(join(logs, "README.md"), "# notes\n");
  const report = await workbench.collect("zeek", [logs], {
    rejectFile: rejects,
  });
  assert.deepEqual(
    report.files.map((f) => [f.file.slice(logs.length + 1), f.inserted]),
    [
      ["2026-11-02/SENSOR_dns.json", 1],
      ["2026-11-02/conn.08:00:00-09:00:00.log.gz", 1],
      ["weird.log", 1],
    ],
  );
  assert.deepEqual(report.passedOver, [join(logs, "README.md")]);
  assert.deepEqual(
    (await workbench.query("SELECT query, rcode FROM zeek_dns")).rows,
    [["example.org", 3]],
  );
  assert.deepEqual(
    (await workbench.query("SELECT log_type, extra FROM zeek_other")).rows,
    [["weird", '{"name":"bad_TCP_checksum"}']],
  );
  assert.equal(
    (await workbench.query("SELECT COUNT(*) FROM zeek_conn")).rows[0][0],
    1,
  );
  await workbench.close();
});

Deno.test("a grown TSV log: only its new lines go in, read with its headers", async () => {
  const { workbench, rejects, dir } = await bench();
  const path = join(dir, "conn.log");
  // Past the 64 KiB that identify a file, so that growing keeps its identity.
  const lines = Array.from(
    { length: 800 },
    (_, i) => TSV_LINE.replace("Cabc123", `C${String(i).padStart(6, "0")}`),
  );
  Deno.writeTextFileSync(
    path,
    [...TSV_HEAD, ...SHUFFLED, ...lines].join("\n") + "\n",
  );
  assert.ok(Deno.statSync(path).size > 64 * 1024);
  const first = await workbench.collect("zeek", [path], {
    rejectFile: rejects,
  });
  const same = await workbench.collect("zeek", [path], {
    rejectFile: rejects,
  });
  Deno.writeTextFileSync(
    path,
    TSV_LINE.replace("Cabc123", "Cnew") + "\n#close\t2026\n",
    { append: true },
  );
  const grown = await workbench.collect("zeek", [path], {
    rejectFile: rejects,
  });
  assert.deepEqual(
    [first, same, grown].map((r) => [r.inserted, r.failed, r.files[0].skipped]),
    [[800, 0, 0], [0, 0, 808], [1, 0, 808]],
  );
  assert.deepEqual(
    (await workbench.query(
      `SELECT COUNT(*), COUNT(DISTINCT uid), MIN(id_resp_p), MAX(local_orig)
       FROM zeek_conn`,
    )).rows,
    [[801, 801, 443, 1]],
  );
  assert.deepEqual(
    (await workbench.query(
      "SELECT ts, id_resp_p, tunnel_parents FROM zeek_conn WHERE uid = 'Cnew'",
    )).rows,
    [["2025-11-02 08:00:00.250", 443, '["Cx1","Cx2"]']],
  );
  await workbench.close();
});

Deno.test("standard input needs -p path when nothing names the log", async () => {
  const { workbench, rejects } = await bench();
  const line = JSON.stringify({ ts: 1, uid: "C1", version: 2 }) + "\n";
  const without = await workbench.collect("zeek", [input("-", line)], {
    rejectFile: rejects,
  });
  assert.equal(without.failed, 1);
  assert.match(without.failures[0].reason, /give -p path=TYPE/);
  const forced = await workbench.collect("zeek", [input("-", line)], {
    rejectFile: rejects,
    params: { path: "ssh" },
  });
  assert.equal(forced.inserted, 1);
  assert.deepEqual(
    (await workbench.query("SELECT uid, version FROM zeek_ssh")).rows,
    [["C1", 2]],
  );
  await assert.rejects(
    workbench.collect("zeek", [input("-", line)], {
      rejectFile: rejects,
      params: { path: "conn; DROP TABLE zeek_ssh" },
    }),
    /path parameter must be a Zeek log type/,
  );
  await workbench.close();
});

// The real logs.

const DATASETS = Deno.env.get("GUMMER_DATASETS") ??
  join(ROOT, "..", "shared", "datasets");
const FOLDERS = [
  "rita-proxy",
  "stratosphere-ctu",
  "otrf-apt29-zeek",
  "zed-wrccdc2018",
];
const FOUND = FOLDERS.every((f) => existsSync(join(DATASETS, f)));
const MISSING = "skipped: datasets not found";

/**
 * [folder, files read, rows inserted] with no failures, each derived in
 * the shell. The files are those the patterns take (`*.log`, `*.log.*`,
 * `*.json`, `*.json.gz`: `find` with those names), and the rows are their
 * lines that are neither `#` headers nor blank (`zcat -f | grep -v '^#' |
 * grep -cv '^[[:space:]]*$'`): 20,090, 53,295, 8,065 and 114,398. In
 * otrf-apt29-zeek, four day-2 loaded_scripts.log files are byte for byte
 * the first one (`md5sum`): their 4 x 480 = 1,920 lines are the same
 * content, already collected, so 6,145 rows go in.
 */
const EXPECTED: [string, number, number][] = [
  ["rita-proxy", 32, 20_090],
  ["stratosphere-ctu", 51, 53_295],
  ["otrf-apt29-zeek", 111, 8_065 - 1_920],
  ["zed-wrccdc2018", 15, 114_398],
];

function datasetTest(name: string, fn: () => Promise<void>) {
  if (FOUND) Deno.test(name, fn);
  else Deno.test({ name: `${name} (${MISSING})`, ignore: true, fn });
}

/** One command per folder, as a hunter would run it. */
async function collectFolders(workbench: Workbench, rejects: string) {
  const counts: [string, number, number][] = [];
  const files: FileReport[] = [];
  let failed = 0;
  for (const [folder] of EXPECTED) {
    const report = await workbench.collect(
      "zeek",
      [join(DATASETS, folder)],
      { rejectFile: rejects },
    );
    counts.push([folder, report.files.length, report.inserted]);
    files.push(...report.files);
    failed += report.failed;
  }
  return { counts, failed, files };
}

/**
 * A file's data lines counted the simplest way, apart from the parser:
 * lines that are not blank and do not start with #.
 */
function dataLines(path: string): number {
  const bytes = Deno.readFileSync(path);
  const text = new TextDecoder().decode(
    path.endsWith(".gz") ? gunzipSync(bytes) : bytes,
  );
  return text.split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#")).length;
}

const COMPARED = [
  "zeek_conn",
  "zeek_dns",
  "zeek_http",
  "zeek_ssl",
  "zeek_other",
];

/** A table's rows as JSON, in an order that does not depend on the dialect. */
async function wholeTable(workbench: Workbench, table: string) {
  const result = await workbench.query(`SELECT * FROM ${table}`);
  return result.rows.map((row) => JSON.stringify(row)).sort();
}

let loaded: Promise<Workbench> | undefined;
let reports: FileReport[] = [];

/**
 * Every Zeek folder collected into one SQLite database, once for the whole
 * file; it is the reference the other databases are compared with.
 */
function sqlite(): Promise<Workbench> {
  loaded ??= (async () => {
    const { workbench, rejects } = await bench();
    const { counts, failed, files } = await collectFolders(workbench, rejects);
    assert.deepEqual(counts, EXPECTED);
    assert.equal(failed, 0);
    reports = files;
    return workbench;
  })();
  return loaded;
}

datasetTest(
  "real logs: every Zeek file's rows, one command per folder",
  async () => {
    await sqlite();
    // Each file: every data line is a row, or was already collected from a
    // file with the same content (the four copies of loaded_scripts.log).
    const copies: string[] = [];
    for (const file of reports) {
      assert.equal(file.failed, 0, file.file);
      if (file.inserted === dataLines(file.file)) continue;
      assert.deepEqual([file.inserted, file.skipped], [0, file.lines]);
      copies.push(file.file.slice(file.file.lastIndexOf("/") + 1));
    }
    assert.deepEqual(copies, [
      "UTICA-A_loaded_scripts.log",
      "UTICA-C_loaded_scripts.log",
      "UTICA-D_loaded_scripts.log",
      "UTICA-ONE-DRIVE_loaded_scripts.log",
    ]);
    assert.equal(reports.length, 32 + 51 + 111 + 15);
  },
);

datasetTest("real logs: APT29 C2 connections, bytes and duration", async () => {
  const workbench = await sqlite();
  // SOURCE.txt: 10.0.1.4 -> 192.168.0.5:1234, one connection of 705 s with
  // 0.9 MB back (NASHUA_conn.log, JSON with underscore keys and @stream).
  assert.deepEqual(
    (await workbench.query(
      `SELECT ts, duration, orig_bytes, resp_bytes, conn_state FROM zeek_conn
       WHERE id_orig_h = '10.0.1.4' AND id_resp_h = '192.168.0.5'
         AND id_resp_p = 1234`,
    )).rows,
    [["2020-04-30 00:08:02.361", 705.174614906311, 70042, 910700, "RSTO"]],
  );
  // Day 2: 676 PoshC2 connections 10.0.1.5 -> 192.168.0.4:443; day 1: 376
  // TLS connections 10.0.1.6 -> 192.168.0.4:8443; LSASS campaign (TSV): 6
  // Meterpreter connections 192.168.1.41 -> 10.0.5.13:8080.
  assert.deepEqual(
    (await workbench.query(
      `SELECT id_orig_h, id_resp_h, id_resp_p, COUNT(*) FROM zeek_conn
       WHERE (id_resp_h = '192.168.0.4' AND id_resp_p IN (443, 8443))
          OR (id_resp_h = '10.0.5.13' AND id_resp_p = 8080)
       GROUP BY id_orig_h, id_resp_h, id_resp_p
       HAVING COUNT(*) > 5 ORDER BY 1, 3`,
    )).rows,
    [
      ["10.0.1.5", "192.168.0.4", 443, 676],
      ["10.0.1.6", "192.168.0.4", 8443, 376],
      ["192.168.1.41", "10.0.5.13", 8080, 6],
    ],
  );
  // Sensor fields with no column are kept in extra.
  assert.deepEqual(
    (await workbench.query(
      `SELECT extra FROM zeek_conn WHERE uid = 'Cvf4XX17hSAgXDdGEd'`,
    )).rows,
    [[
      '{"@stream":"conn","@system":"bobs.bigwheel.local","@proc":"zeek",' +
      '"orig_l2_addr":"00:0d:3a:13:e3:69","resp_l2_addr":"12:34:56:78:9a:bc"}',
    ]],
  );
});

datasetTest(
  "real logs: Stratosphere scans, honeypot logins and labels",
  async () => {
    const workbench = await sqlite();
    // SOURCE.txt (verified there): 002 is 4,504 rows from 172.16.1.11 (JSON,
    // dotted keys), S0 2,409 and REJ 1,273; 007's ssh.log has 8,528 rows,
    // 3,200 with auth_success true.
    assert.deepEqual(
      (await workbench.query(
        `SELECT conn_state, COUNT(*) FROM zeek_conn
       WHERE id_orig_h = '172.16.1.11' AND conn_state IN ('S0', 'REJ')
       GROUP BY conn_state ORDER BY 1`,
      )).rows,
      [["REJ", 1273], ["S0", 2409]],
    );
    assert.deepEqual(
      (await workbench.query(
        `SELECT COUNT(*), SUM(auth_success) FROM zeek_ssh
       WHERE id_resp_h = '192.168.1.194'`,
      )).rows,
      [[8528, 3200]],
    );
    // The labeled conn logs' two extra columns: Malicious 4,201 + 3,373 +
    // 3,951 + 3,028 and Benign 1,402 + 1,937 + 4,771 + 782.
    assert.deepEqual(
      (await workbench.query(
        `SELECT CASE WHEN extra LIKE '%"label":"Malicious"%' THEN 'Malicious'
                   WHEN extra LIKE '%"label":"Benign"%' THEN 'Benign' END,
              COUNT(*)
       FROM zeek_conn WHERE extra LIKE '%"label":"Malicious"%'
          OR extra LIKE '%"label":"Benign"%' GROUP BY 1 ORDER BY 1`,
      )).rows,
      [["Benign", 8892], ["Malicious", 14553]],
    );
  },
);

datasetTest(
  "real logs: the TSV and JSON writers give the same rows",
  async () => {
    const workbench = await sqlite();
    // zed-wrccdc2018 holds ssh, notice, rdp, ntlm and smb_mapping from both
    // writers (JSON with ISO times and _path): every ssh row is there twice,
    // equal in every column but extra.
    const ssh = (await workbench.query(
      `SELECT COUNT(*), COUNT(DISTINCT ts || uid || COALESCE(client, '')
       || COALESCE(server, '') || COALESCE(auth_success, -1))
     FROM zeek_ssh WHERE ts LIKE '2018-03-24%'`,
    )).rows[0];
    assert.deepEqual(ssh, [44, 22]);
    const rdp = (await workbench.query(
      `SELECT COUNT(*), COUNT(DISTINCT ts || uid) FROM zeek_other
     WHERE log_type = 'rdp'`,
    )).rows[0];
    assert.deepEqual(rdp, [8244, 4122]);
  },
);

datasetTest("real logs: RITA's proxy beacon is in zeek_http", async () => {
  const workbench = await sqlite();
  // SOURCE.txt: http.log has 397 CONNECT www.honestimnotevil.com from
  // 10.136.0.18 to the proxy 10.136.0.16:3128.
  assert.deepEqual(
    (await workbench.query(
      `SELECT id_orig_h, id_resp_h, id_resp_p, COUNT(*) FROM zeek_http
       WHERE method = 'CONNECT' AND host = 'www.honestimnotevil.com'
       GROUP BY id_orig_h, id_resp_h, id_resp_p`,
    )).rows,
    [["10.136.0.18", "10.136.0.16", 3128, 397]],
  );
});

for (const kind of KINDS.filter((k) => k !== "sqlite")) {
  const skip = FOUND ? unavailable(kind) : MISSING;
  Deno.test({
    name: `real logs on ${kind}: every Zeek folder, the same rows as SQLite` +
      (skip ? ` (${skip})` : ""),
    ignore: skip !== undefined,
    async fn() {
      const target = await createTarget(kind);
      const workbench = await target.open();
      const rejects = join(Deno.makeTempDirSync(), "rejects.ndjson");
      try {
        const { counts, failed } = await collectFolders(workbench, rejects);
        assert.deepEqual(counts, EXPECTED);
        assert.equal(failed, 0);
        const reference = await sqlite();
        for (const table of COMPARED) {
          assert.deepEqual(
            await wholeTable(workbench, table),
            await wholeTable(reference, table),
            table,
          );
        }
      } finally {
        await workbench.close();
        await target.drop();
      }
    },
  });
}
