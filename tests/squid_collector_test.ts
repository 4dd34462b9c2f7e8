import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Workbench } from "../engine/workbench.ts";
import {
  hostAndPort,
  isIpLiteral,
  parseLine,
} from "../modules/collectors/squid.ts";
import { envOf } from "./helpers/temp.ts";

const NATIVE =
  "1762071300.123    145 10.20.1.5 TCP_MISS/200 5123 GET http://www.example.com/a?b=c - HIER_DIRECT/93.184.216.34 text/html";
const EXTENDED =
  "1762071301.000 3600000 10.20.1.6 TCP_TUNNEL/200 1200 987654 CONNECT 198.51.100.23:443 jdoe HIER_DIRECT/198.51.100.23 -";

/** A workbench on a fresh in-memory database, rejects in a temp folder. */
async function bench() {
  const dir = Deno.makeTempDirSync({ prefix: "gummer-squid-" });
  const workbench = await Workbench.open({
    env: envOf({ GUMMER_SQLITE: ":memory:" }),
  });
  return { workbench, rejects: join(dir, "rejects.ndjson"), dir };
}

function textInput(name: string, content: string | Uint8Array) {
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  return { name, open: () => Promise.resolve(ReadableStream.from([bytes])) };
}

async function rows(workbench: Workbench) {
  const result = await workbench.query("SELECT * FROM squid ORDER BY time");
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))
  );
}

Deno.test("a native line fills every column but the request size", () => {
  assert.deepEqual(parseLine(NATIVE), [
    "2025-11-02 08:15:00.123",
    145,
    "10.20.1.5",
    "TCP_MISS",
    200,
    5123,
    null,
    "GET",
    "http://www.example.com/a?b=c",
    "www.example.com",
    0,
    80,
    null,
    "HIER_DIRECT",
    "93.184.216.34",
    "93.184.216.34",
    "text/html",
  ]);
});

Deno.test("an extended line has the request size; CONNECT gives host:port", () => {
  assert.deepEqual(parseLine(EXTENDED), [
    "2025-11-02 08:15:01.000",
    3600000,
    "10.20.1.6",
    "TCP_TUNNEL",
    200,
    1200,
    987654,
    "CONNECT",
    "198.51.100.23:443",
    "198.51.100.23",
    1,
    443,
    "jdoe",
    "HIER_DIRECT",
    "198.51.100.23",
    "198.51.100.23",
    null,
  ]);
});

Deno.test("spaces inside the URL or the content type stay where they were", () => {
  const line = NATIVE
    .replace("/a?b=c", "/a b  c")
    .replace("text/html", "text/html; charset=utf-8");
  const row = parseLine(line) as unknown[];
  assert.equal(row[8], "http://www.example.com/a b  c");
  assert.equal(row[12], null);
  assert.equal(row[13], "HIER_DIRECT");
  assert.equal(row[16], "text/html; charset=utf-8");
});

Deno.test("hosts and ports come out of every URL shape", () => {
  const cases: [string, string, string | null, number | null][] = [
    ["CONNECT", "[2001:db8::1]:443", "2001:db8::1", 443],
    ["GET", "http://[2001:DB8::5]:8080/x", "2001:db8::5", 8080],
    ["GET", "https://user:pw@Login.Example.COM/path", "login.example.com", 443],
    ["GET", "ftp://files.example.net", "files.example.net", 21],
    ["GET", "http://example.org:99999/", "example.org", 80],
    ["GET", "gopher://example.org/", "example.org", null],
    ["CONNECT", "mail.example.com", "mail.example.com", null],
    ["NONE", "error:invalid-request", null, null],
    ["GET", "-", null, null],
  ];
  for (const [method, url, host, port] of cases) {
    assert.deepEqual(hostAndPort(method, url), { host, port }, url);
  }
});

Deno.test("IP literals include the forms browsers read as addresses", () => {
  for (const host of ["10.1.2.3", "2001:db8::1", "0x7f.1", "3232235777"]) {
    assert.equal(isIpLiteral(host), true, host);
  }
  for (const host of ["example.com", "10.1.2.3.example.com", "deadbeef"]) {
    assert.equal(isIpLiteral(host), false, host);
  }
});

Deno.test("malformed lines are rejected with the reason", () => {
  const cases: [string, string][] = [
    [
      "1762071300.123 145 10.20.1.5",
      "expected 10 fields (native format) or 11 (extended), got 3",
    ],
    [
      NATIVE.replace("1762071300.123", "yesterday"),
      'time "yesterday" is not epoch seconds',
    ],
    [
      NATIVE.replace("TCP_MISS/200", "TCP_MISS"),
      'result "TCP_MISS" is not CACHE_RESULT/status',
    ],
    [
      NATIVE.replace("TCP_MISS/200", "TCP_MISS/ok"),
      'result "TCP_MISS/ok" is not CACHE_RESULT/status',
    ],
    [NATIVE.replace(" 145 ", " -5 "), 'duration "-5" is not ms'],
    [NATIVE.replace(" 5123 ", " 5k "), 'reply size "5k" is not a byte count'],
    [
      NATIVE.replace("GET", "G\x00T"),
      "binary data: control character 0x00 at column 52",
    ],
    [
      NATIVE.replace("1762071300", "99999999999999"),
      'time "99999999999999.123" is out of range',
    ],
  ];
  for (const [line, reason] of cases) assert.equal(parseLine(line), reason);
});

Deno.test("a file of mixed good and bad lines: exact counts and rejects", async () => {
  const { workbench, rejects } = await bench();
  const garbage = new Uint8Array([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a]);
  const huge = `${NATIVE.slice(0, 60)}${"A".repeat(1 << 20)}\n`;
  const parts: (string | Uint8Array)[] = [
    `${NATIVE}\r\n`,
    `${EXTENDED}\n`,
    "\n",
    "only three fields\n",
    garbage,
    huge,
    `${NATIVE.replace("/a?b=c", "/caf\xe9")}\n`,
    NATIVE.slice(0, 50), // a truncated final line, no line end
  ];
  const bytes = Buffer.concat(
    parts.map((p) => typeof p === "string" ? new TextEncoder().encode(p) : p),
  );

  const report = await workbench.collect("squid", [
    textInput("mixed.log", bytes),
  ], {
    rejectFile: rejects,
  });
  assert.equal(report.inserted, 3);
  assert.equal(report.failed, 4);
  assert.deepEqual(report.failures, [
    {
      file: "mixed.log",
      line: 4,
      reason: "expected 10 fields (native format) or 11 (extended), got 3",
    },
    { file: "mixed.log", line: 5, reason: "not UTF-8 text (at byte 2)" },
    {
      file: "mixed.log",
      line: 6,
      reason:
        "line is 1048636 bytes, longer than the 65536 this collector accepts",
    },
    {
      file: "mixed.log",
      line: 8,
      reason: "expected 10 fields (native format) or 11 (extended), got 5",
    },
  ]);
  assert.deepEqual(report.files, [{
    file: "mixed.log",
    lines: 8,
    inserted: 3,
    failed: 4,
    detail: "native format: 2 lines, extended format: 1 lines",
    skipped: 0,
  }]);
  assert.equal(report.rejectFile, rejects);

  const records = Deno.readTextFileSync(rejects).trim().split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(records.map((r) => [r.collector, r.file, r.line]), [
    ["squid", "mixed.log", 4],
    ["squid", "mixed.log", 5],
    ["squid", "mixed.log", 6],
    ["squid", "mixed.log", 8],
  ]);
  assert.equal(records[0].text, "only three fields");
  assert.equal(records[1].base64, "AP/+Ezc=");
  assert.equal(records[2].length, huge.length - 1);
  assert.equal(records[2].text, huge.slice(0, -1));
  assert.equal(records[3].text, NATIVE.slice(0, 50));

  const urls = await workbench.query("SELECT url FROM squid ORDER BY url");
  assert.deepEqual(urls.rows, [
    ["198.51.100.23:443"],
    ["http://www.example.com/a?b=c"],
    ["http://www.example.com/caf\xe9"],
  ]);
  await workbench.close();
});

Deno.test("log text is bound, never spliced: injection is stored verbatim", async () => {
  const { workbench, rejects } = await bench();
  const evil = "http://evil.example/x');DROP  TABLE squid;--\"";
  const user = "a'b\"c;--";
  const line = NATIVE.replace("http://www.example.com/a?b=c", evil)
    .replace(" - HIER", ` ${user} HIER`);
  const report = await workbench.collect("squid", [
    textInput("evil.log", `${line}\n`),
  ], {
    rejectFile: rejects,
  });
  assert.equal(report.inserted, 1);
  const [row] = await rows(workbench);
  assert.equal(row.url, evil);
  assert.equal(row.username, user);
  assert.equal(row.host, "evil.example");
  const tables = await workbench.query(
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  );
  assert.deepEqual(tables.rows, [["gummer_files"], ["squid"]]);
  await workbench.close();
});

Deno.test("gzip input is read whatever the file is called", async () => {
  const { workbench, dir, rejects } = await bench();
  const path = join(dir, "access.log.1.gz");
  Deno.writeFileSync(
    path,
    gzipSync(new TextEncoder().encode(`${NATIVE}\n${EXTENDED}\n`)),
  );
  const renamed = join(dir, "access.log.2");
  Deno.writeFileSync(
    renamed,
    gzipSync(new TextEncoder().encode(`${EXTENDED}\n${NATIVE}\n`)),
  );
  // The same content under a third name: known by its fingerprint.
  const copy = join(dir, "copy-of-1");
  Deno.copyFileSync(path, copy);

  const report = await workbench.collect("squid", [path, renamed, copy], {
    rejectFile: rejects,
  });
  assert.equal(report.inserted, 4);
  assert.equal(report.failed, 0);
  assert.equal(report.rejectFile, undefined);
  assert.deepEqual(report.files.map((f) => [f.inserted, f.skipped]), [
    [2, 0],
    [2, 0],
    [0, 2],
  ]);
  assert.equal((await rows(workbench)).length, 4);
  await workbench.close();
});

Deno.test("batches smaller than the input still insert every row once", async () => {
  const { workbench, rejects } = await bench();
  const lines = Array.from(
    { length: 2500 },
    (_, i) => NATIVE.replace("1762071300.123", `${1762071300 + i}.000`),
  );
  const report = await workbench.collect(
    "squid",
    [textInput("many.log", lines.join("\n"))],
    { rejectFile: rejects, batchSize: 100 },
  );
  assert.equal(report.inserted, 2500);
  const count = await workbench.query("SELECT COUNT(DISTINCT time) FROM squid");
  assert.deepEqual(count.rows, [[2500]]);
  await workbench.close();
});

Deno.test("a missing file stops the run before anything is collected", async () => {
  const { workbench } = await bench();
  await assert.rejects(
    () => workbench.collect("squid", ["/no/such/access.log"]),
    /Cannot read "\/no\/such\/access.log": no such file\./,
  );
  await workbench.close();
});

Deno.test("a gzip file cut short keeps its lines and the next file", async () => {
  const { workbench, dir, rejects } = await bench();
  const lines = Array.from(
    { length: 3000 },
    (_, i) => NATIVE.replace("1762071300.123", `${1762071300 + i}.000`),
  );
  const whole = gzipSync(new TextEncoder().encode(lines.join("\n") + "\n"));
  const cut = join(dir, "cut.log.gz");
  Deno.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  const next = join(dir, "next.log");
  Deno.writeTextFileSync(next, `${EXTENDED}\n`);

  const report = await workbench.collect("squid", [cut, next], {
    rejectFile: rejects,
  });
  const [cutReport, nextReport] = report.files;
  assert.equal(cutReport.failed, 1);
  assert.ok(cutReport.inserted > 0 && cutReport.inserted < 3000);
  assert.deepEqual(report.failures, [{
    file: cut,
    line: cutReport.inserted + 1,
    reason: `cannot read past line ${cutReport.inserted}: ` +
      "unexpected end of file",
  }]);
  // The line the cut went through is kept, as far as it was readable.
  const [reject] = Deno.readTextFileSync(rejects).trim().split("\n")
    .map((line) => JSON.parse(line));
  assert.ok(reject.text.length > 0);
  assert.ok(lines[cutReport.inserted].startsWith(reject.text));
  assert.equal(nextReport.inserted, 1);
  const stored = await workbench.query("SELECT COUNT(*) FROM squid");
  assert.deepEqual(stored.rows, [[cutReport.inserted + 1]]);
  await workbench.close();
});
