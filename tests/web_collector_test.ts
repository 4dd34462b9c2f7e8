/**
 * The web collector: Apache/nginx common and combined (with or without a
 * virtual host), Tomcat, IIS W3C. Small cases are written inline; the real
 * logs in ../shared/datasets/web-access-logs (or $GUMMER_DATASETS) are
 * collected whole into every database, and their counts were derived in
 * the shell, independently of the parser, as each test says.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Input, SqlValue } from "../engine/types.ts";
import { Workbench } from "../engine/workbench.ts";
import { webParser } from "../modules/collectors/web.ts";
import { createTarget, KINDS, unavailable } from "../tools/test_targets.ts";
import { envOf, ROOT } from "./helpers/temp.ts";

const COMBINED =
  '203.0.113.5 - alice [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1&b=2 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
const COMMON =
  '203.0.113.6 ident7 - [10/Oct/2000:23:55:36 +0000] "POST /login HTTP/1.1" 302 -';

const W3C_HEADER = [
  "#Software: Microsoft Internet Information Services 10.0",
  "#Version: 1.0",
  "#Date: 2024-03-01 00:00:00",
  "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port " +
  "cs-username c-ip cs-version cs(User-Agent) cs(Referer) cs-host " +
  "sc-status sc-substatus sc-win32-status sc-bytes time-taken",
];
const W3C_LINE =
  "2024-03-01 08:15:00 10.0.0.5 POST /owa/auth.owa cmd=whoami&x=1 443 " +
  "CORP\\jdoe 198.51.100.9 HTTP/1.1 Mozilla/5.0+(Windows+NT+10.0) - " +
  "mail.example.com 200 0 0 5120 31";

/** A workbench on a fresh in-memory database, rejects in a temp folder. */
async function bench() {
  const dir = Deno.makeTempDirSync({ prefix: "gummer-web-" });
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

/** Rows of the web table as objects, in a stable order. */
async function rows(workbench: Workbench, where = "") {
  const result = await workbench.query(
    `SELECT * FROM web ${where} ORDER BY time, client_ip, url`,
  );
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))
  );
}

function rejectRecords(path: string) {
  return Deno.readTextFileSync(path).trim().split("\n")
    .map((line) => JSON.parse(line));
}

/** One line through a fresh parser, as the engine would hand it over. */
function parse(line: string): SqlValue[] | string | null {
  return webParser().parse(line);
}

Deno.test("a combined line fills every column it has, in UTC", () => {
  assert.deepEqual(parse(COMBINED), [
    "2000-10-10 20:55:36.000",
    "203.0.113.5",
    null,
    "alice",
    "GET",
    "/apache_pb.gif?a=1&b=2",
    "/apache_pb.gif",
    "a=1&b=2",
    "HTTP/1.0",
    200,
    2326,
    "http://www.example.com/start.html",
    "Mozilla/4.08 [en] (Win98; I ;Nav)",
    null,
    null,
    null,
    null,
    "combined",
  ]);
});

Deno.test("a common line has no referer or agent; `-` is null", () => {
  assert.deepEqual(parse(COMMON), [
    "2000-10-10 23:55:36.000",
    "203.0.113.6",
    "ident7",
    null,
    "POST",
    "/login",
    "/login",
    null,
    "HTTP/1.1",
    302,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    "common",
  ]);
});

Deno.test("time offsets are undone, across days and years", () => {
  const at = (stamp: string) =>
    (parse(COMMON.replace("10/Oct/2000:23:55:36 +0000", stamp)) as string[])[0];
  assert.equal(at("01/Jan/2024:01:30:00 +0530"), "2023-12-31 20:00:00.000");
  assert.equal(at("31/Dec/2023:20:00:00 -0930"), "2024-01-01 05:30:00.000");
  assert.equal(at("29/Feb/2024:12:00:00 +0000"), "2024-02-29 12:00:00.000");
  assert.equal(at("01/Jan/1970:03:00:00 +0300"), "1970-01-01 00:00:00.000");

  const bad: [string, string][] = [
    ["29/Feb/2023:12:00:00 +0000", "there is no 29 February 2023"],
    ["10/Okt/2000:13:55:36 -0700", "an unknown month"],
    ["10/Oct/2000:24:00:00 -0700", "hour 24"],
    ["10/Oct/2000:13:55:36 0700", "a zone without its sign"],
    ["10/Oct/2000:13:55:36", "no zone"],
    ["2000-10-10T13:55:36Z", "ISO, not Apache"],
    ["01/Jan/1970:02:59:59 +0300", "before 1970 in UTC"],
  ];
  for (const [stamp, why] of bad) {
    assert.equal(
      parse(COMMON.replace("10/Oct/2000:23:55:36 +0000", stamp)),
      `time "${stamp}" is not a time like 10/Oct/2000:13:55:36 -0700`,
      why,
    );
  }
});

Deno.test("a virtual host first is read as vhost and port", () => {
  const cases: [string, string | null, number | null][] = [
    ["www.example.com:443", "www.example.com", 443],
    ["www.example.com", "www.example.com", null],
    ["[2001:db8::1]:8443", "[2001:db8::1]", 8443],
    ["2001:db8::1", "2001:db8::1", null],
    ["intranet:http", "intranet:http", null],
  ];
  for (const [field, vhost, port] of cases) {
    const row = parse(`${field} ${COMBINED}`) as SqlValue[];
    assert.deepEqual([row[1], row[13], row[15], row[17]], [
      "203.0.113.5",
      vhost,
      port,
      "combined",
    ], field);
    const common = parse(`${field} ${COMMON}`) as SqlValue[];
    assert.deepEqual([common[13], common[15], common[17]], [
      vhost,
      port,
      "common",
    ]);
  }
});

Deno.test("request lines that are not METHOD target PROTOCOL keep their row", () => {
  // [request as logged, method, url, path, query, protocol]
  const cases: (string | null)[][] = [
    // A TLS ClientHello on the HTTP port, as Apache escapes it.
    [
      String.raw`\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03`,
      null,
      String.raw`\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03`,
      null,
      null,
      null,
    ],
    // The same bytes raw, as Tomcat writes them: escaped here.
    ["\x16\x03\x01\x00", null, String.raw`\x16\x03\x01\x00`, null, null, null],
    [
      "GET /\x00.jsp HTTP/1.1",
      "GET",
      "/\\x00.jsp",
      "/\\x00.jsp",
      null,
      "HTTP/1.1",
    ],
    ["-", null, null, null, null, null],
    ["t3 12.2.1 ", null, "t3 12.2.1 ", null, null, null],
    ["some invalid request", null, "some invalid request", null, null, null],
    ["GET", null, "GET", null, null, null],
    // HTTP/0.9: Apache logs no version, Tomcat a trailing space.
    ["GET /index.jsp", "GET", "/index.jsp", "/index.jsp", null, null],
    ["GET /index.jsp ", "GET", "/index.jsp", "/index.jsp", null, null],
    [
      "GET ../../../windows/win.ini HTTP/1.1",
      "GET",
      "../../../windows/win.ini",
      "../../../windows/win.ini",
      null,
      "HTTP/1.1",
    ],
    ["GET /a b?c d HTTP/1.1", "GET", "/a b?c d", "/a b", "c d", "HTTP/1.1"],
    [
      'GET /x.dll?postdata="><script>foo</script> HTTP/1.1',
      "GET",
      '/x.dll?postdata="><script>foo</script>',
      "/x.dll",
      'postdata="><script>foo</script>',
      "HTTP/1.1",
    ],
    ["PRI * HTTP/2.0", "PRI", "*", "*", null, "HTTP/2.0"],
    [
      "CONNECT mail.example.com:25 HTTP/1.0",
      "CONNECT",
      "mail.example.com:25",
      "mail.example.com:25",
      null,
      "HTTP/1.0",
    ],
    ["GET /? HTTP/1.1", "GET", "/?", "/", "", "HTTP/1.1"],
    ["GET /a  HTTP/1.1", "GET", "/a ", "/a ", null, "HTTP/1.1"],
    ["GET ", null, "GET ", null, null, null],
  ];
  for (const [request, method, url, path, query, protocol] of cases) {
    const line = COMMON.replace("POST /login HTTP/1.1", request!);
    const row = parse(line) as SqlValue[];
    assert.ok(Array.isArray(row), `${request}: ${row}`);
    assert.deepEqual(
      row.slice(4, 9),
      [method, url, path, query, protocol],
      JSON.stringify(request),
    );
    assert.equal(row[9], 302);
  }
});

Deno.test("quotes inside quoted fields: escaped by Apache, raw from Tomcat", () => {
  const escaped = COMBINED.replace(
    '"Mozilla/4.08 [en] (Win98; I ;Nav)"',
    String.raw`"sqlmap \"1.0\" \\"`,
  );
  const row = parse(escaped) as SqlValue[];
  assert.equal(row[12], String.raw`sqlmap \"1.0\" \\`);

  const refererQuote = COMBINED.replace(
    '"http://www.example.com/start.html"',
    '"http://x/?q=a"b"',
  );
  assert.equal((parse(refererQuote) as SqlValue[])[11], 'http://x/?q=a"b');
});

Deno.test("lines wrapped in quotes are unwrapped, both ways of escaping", () => {
  const csv = `"${COMBINED.replaceAll('"', '""')}"`;
  const json = `"${COMBINED.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  assert.deepEqual(parse(csv), parse(COMBINED));
  assert.deepEqual(parse(json), parse(COMBINED));
  // With no quotes inside, there is nothing to undo.
  assert.equal(
    parse('"2024-03-01 08:15:00 10.0.0.5 GET"'),
    "a W3C (IIS) line, but no #Fields header came before it",
  );
  assert.equal(
    parse(`"${COMMON}`),
    "the line starts with a quote but ends without",
  );
  assert.equal(
    parse(`"${COMBINED}"`),
    "the line is wrapped in quotes, but the quotes inside it are neither " +
      'doubled ("") nor escaped (\\")',
  );
});

Deno.test("malformed access lines get their reason", () => {
  const cases: [string, string][] = [
    ["", "no [time] field: not a web access log line"],
    ["\x00\x01\x02garbage", "no [time] field: not a web access log line"],
    [
      "2024-03-01 08:15:00 10.0.0.5 GET / - 80 - 198.51.100.9 - - 200 0 0 1",
      "a W3C (IIS) line, but no #Fields header came before it",
    ],
    [
      COMMON.replace("203.0.113.6 ident7 -", "203.0.113.6 -"),
      "expected 3 fields before the [time] (4 with a virtual host), got 2",
    ],
    [
      `a b ${COMBINED}`,
      "expected 3 fields before the [time] (4 with a virtual host), got 5",
    ],
    [COMMON.replace("+0000]", "+0000"), "the [time] has no closing bracket"],
    [
      COMMON.replace('] "POST', "] POST"),
      "expected a quoted request after the [time]",
    ],
    [
      COMMON.replace('HTTP/1.1" 302', "HTTP/1.1 302"),
      "the request has no closing quote followed by a status",
    ],
    [
      COMMON.replace('" 302 -', '" 3020 -'),
      'status "3020" is not a 3-digit HTTP status',
    ],
    [COMMON.replace(" 302 -", " 302"), "no response size after the status"],
    [
      COMMON.replace(" 302 -", " 302 12k"),
      'response size "12k" is not a byte count or -',
    ],
    [
      `${COMMON} extra`,
      'unexpected "extra" after the response size: expected a quoted ' +
      "referer (combined format) or the end of the line (common format)",
    ],
    [
      `${COMMON} "-"`,
      "expected a quoted user agent after the referer",
    ],
    [
      COMBINED.slice(0, -1),
      "the user agent has no closing quote (was the line cut short?)",
    ],
    [
      `${COMBINED} "198.51.100.1"`,
      "more quoted fields after the user agent than the combined format has",
    ],
    [
      COMMON.replace("203.0.113.6", "h".repeat(256)),
      `client "${"h".repeat(40)}…" is longer than any address or host ` +
      "name (255 characters)",
    ],
    [
      "# written by hand",
      '"# written by hand" is not a W3C directive; those are #Software, ' +
      "#Version, #Date, #Fields, #Start-Date, #End-Date, #Remark",
    ],
  ];
  for (const [line, reason] of cases) {
    assert.equal(parse(line), reason, line.slice(0, 60));
  }
});

Deno.test("a mixed file: exact counts, reasons and rejected bytes", async () => {
  const { workbench, rejects } = await bench();
  const garbage = new Uint8Array([0x16, 0x03, 0x01, 0xfc, 0xff, 0x00, 0x0a]);
  const huge = `${COMMON.slice(0, 60)}${"A".repeat(10 << 20)}\n`;
  const parts: (string | Uint8Array)[] = [
    `${COMBINED}\r\n`, // 1: CRLF
    `www.example.com:443 ${COMBINED}\n`, // 2
    "\r\n", // 3: blank, neither row nor failure
    `${COMMON}\n`, // 4
    garbage, // 5: not UTF-8
    `${COMMON.replace("203.0.113.6 ident7 -", "203.0.113.6")}\n`, // 6
    huge, // 7
    `"${COMMON.replaceAll('"', '""')}"\r\n`, // 8: wrapped in quotes
    COMBINED.slice(0, 150), // 9: a final line cut short, no line end
  ];
  const bytes = Buffer.concat(
    parts.map((p) => typeof p === "string" ? new TextEncoder().encode(p) : p),
  );

  const report = await workbench.collect("web", [input("mixed.log", bytes)], {
    rejectFile: rejects,
  });
  assert.deepEqual(report.failures, [
    { file: "mixed.log", line: 5, reason: "not UTF-8 text (at byte 4)" },
    {
      file: "mixed.log",
      line: 6,
      reason:
        "expected 3 fields before the [time] (4 with a virtual host), got 1",
    },
    {
      file: "mixed.log",
      line: 7,
      reason: `line is ${
        huge.length - 1
      } bytes, longer than the 65536 this collector accepts`,
    },
    {
      file: "mixed.log",
      line: 9,
      reason: "the user agent has no closing quote (was the line cut short?)",
    },
  ]);
  assert.deepEqual(report.files, [{
    file: "mixed.log",
    lines: 9,
    inserted: 4,
    failed: 4,
    skipped: 0,
    detail: "common: 2 lines, combined: 2 lines, " +
      "with a virtual host: 1 lines",
  }]);

  const records = rejectRecords(rejects);
  assert.deepEqual(records.map((r) => [r.collector, r.line]), [
    ["web", 5],
    ["web", 6],
    ["web", 7],
    ["web", 9],
  ]);
  assert.equal(
    records[0].base64,
    Buffer.from(garbage.slice(0, -1)).toString("base64"),
  );
  assert.equal(records[2].length, huge.length - 1);
  assert.equal(records[3].text, COMBINED.slice(0, 150));

  const stored = await rows(workbench);
  assert.deepEqual(
    stored.map((r) => [r.client_ip, r.vhost, r.server_port, r.format]),
    [
      ["203.0.113.5", null, null, "combined"],
      ["203.0.113.5", "www.example.com", 443, "combined"],
      ["203.0.113.6", null, null, "common"],
      ["203.0.113.6", null, null, "common"],
    ],
  );
  assert.equal(stored[0].user_agent, "Mozilla/4.08 [en] (Win98; I ;Nav)");
  await workbench.close();
});

Deno.test("IIS: headers are no failures, and a later #Fields changes the layout", async () => {
  const { workbench, rejects } = await bench();
  const text = [
    ...W3C_HEADER,
    W3C_LINE,
    "#Remark: the layout changes below, and the date comes from #Date",
    "#Date: 2024-03-02 00:00:00",
    "#Fields: time c-ip cs-method cs-uri-stem sc-status",
    "23:59:59.285 198.51.100.10 GET /favicon.ico 404",
    "23:59:60 198.51.100.10 GET /favicon.ico 404",
    "00:00:01 198.51.100.10 GET /favicon.ico",
    "# Default traces of a webshell",
    "#Fields: date cs-method c-ip sc-bytes",
    "2024-03-03 GET 198.51.100.11 12",
    "#Fields: date time c-ip sc-status s-port time-taken sc-bytes",
    "2024-03-03 10:00:00 198.51.100.12 2000 80 1 2",
    "2024-03-03 10:00:00 198.51.100.12 200 http 1 2",
    "2024-03-03 10:00:00 198.51.100.12 200 80 -1 2",
    "2024-03-03 10:00:00 198.51.100.12 200 80 1 lots",
    "2024-13-03 10:00:00 198.51.100.12 200 80 1 2",
  ].join("\r\n") + "\r\n";

  const report = await workbench.collect("web", [input("u_ex.log", text)], {
    rejectFile: rejects,
  });
  assert.deepEqual(report.failures.map((f) => [f.line, f.reason]), [
    [10, 'time "2024-03-02 23:59:60" is not a time like 2019-09-03 10:13:36'],
    [11, "expected 5 fields, as the #Fields header says, got 4"],
    [
      12,
      '"# Default traces of a webshell" is not a W3C directive; those are ' +
      "#Software, #Version, #Date, #Fields, #Start-Date, #End-Date, #Remark",
    ],
    [14, "the #Fields header names no date and time field"],
    [16, 'sc-status "2000" is not a 3-digit HTTP status'],
    [17, 's-port "http" is not a whole number'],
    [18, 'time-taken "-1" is not a whole number'],
    [19, 'sc-bytes "lots" is not a whole number'],
    [20, 'time "2024-13-03 10:00:00" is not a time like 2019-09-03 10:13:36'],
  ]);
  assert.deepEqual(
    report.files.map((f) => [f.inserted, f.failed, f.headers, f.detail]),
    [[2, 9, 9, "iis: 2 lines"]],
  );
  // Only the failures reach the reject file, never the headers.
  assert.deepEqual(
    rejectRecords(rejects).map((r) => r.line),
    [10, 11, 12, 14, 16, 17, 18, 19, 20],
  );

  assert.deepEqual(await rows(workbench), [
    {
      time: "2024-03-01 08:15:00.000",
      client_ip: "198.51.100.9",
      ident: null,
      username: "CORP\\jdoe",
      method: "POST",
      url: "/owa/auth.owa?cmd=whoami&x=1",
      path: "/owa/auth.owa",
      query: "cmd=whoami&x=1",
      protocol: "HTTP/1.1",
      http_status: 200,
      response_bytes: 5120,
      referer: null,
      user_agent: "Mozilla/5.0+(Windows+NT+10.0)",
      vhost: "mail.example.com",
      server_ip: "10.0.0.5",
      server_port: 443,
      time_taken_ms: 31,
      format: "iis",
    },
    {
      time: "2024-03-02 23:59:59.285",
      client_ip: "198.51.100.10",
      ident: null,
      username: null,
      method: "GET",
      url: "/favicon.ico",
      path: "/favicon.ico",
      query: null,
      protocol: null,
      http_status: 404,
      response_bytes: null,
      referer: null,
      user_agent: null,
      vhost: null,
      server_ip: null,
      server_port: null,
      time_taken_ms: null,
      format: "iis",
    },
  ]);
  await workbench.close();
});

Deno.test("a resumed IIS log still knows its #Fields layout", async () => {
  const { workbench, dir, rejects } = await bench();
  // Over 64 KiB, so that the grown file keeps the fingerprint of its start.
  const lines = Array.from(
    { length: 1000 },
    (_, i) => W3C_LINE.replace("08:15:00", `08:${clock(i)}`),
  );
  const path = join(dir, "u_ex240301.log");
  Deno.writeTextFileSync(path, [...W3C_HEADER, ...lines].join("\n") + "\n");
  const first = await workbench.collect("web", [path], { rejectFile: rejects });
  assert.deepEqual([first.inserted, first.failed], [1000, 0]);

  const more = [W3C_LINE.replace("08:15:00", "09:00:00")];
  Deno.writeTextFileSync(path, more.join("\n") + "\n", { append: true });
  const again = await workbench.collect("web", [path], { rejectFile: rejects });
  assert.deepEqual(
    again.files.map((f) => [f.inserted, f.failed, f.skipped]),
    [[1, 0, 1004]],
  );
  const last = await rows(workbench, "WHERE time >= '2024-03-01 09:00:00'");
  assert.deepEqual(
    last.map((r) => [r.time, r.path, r.server_port]),
    [["2024-03-01 09:00:00.000", "/owa/auth.owa", 443]],
  );
  await workbench.close();
});

function clock(i: number): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(Math.floor(i / 60) % 60)}:${two(i % 60)}`;
}

// ---------------------------------------------------------------------------
// The real logs.

const DATASETS = Deno.env.get("GUMMER_DATASETS") ??
  join(ROOT, "..", "shared", "datasets");
const WEB = join(DATASETS, "web-access-logs");
const ELASTIC = join(WEB, "elastic-apache", "apache_logs");
const HACKERS = join(WEB, "yauaa-hackers", "hackers-access.log");
const TOMCAT = join(
  WEB,
  "sbousseaden-tomcat-iis-webshell",
  "web_attack_and_isp_webshell_localhost_access_log.txt",
);
const IIS = join(
  WEB,
  "sbousseaden-tomcat-iis-webshell",
  "Tunna_rdp_tunnel_IIS.log",
);
const APACHE_ERRORS = join(
  DATASETS,
  "loghub-linux-ssh",
  "Apache",
  "Apache_2k.log",
);
const FOUND = [ELASTIC, HACKERS, TOMCAT, IIS].every((p) => existsSync(p));
const MISSING = "skipped: datasets not found";

/**
 * [file, lines, inserted, failed] for each real log, derived in the shell:
 *
 * - apache_logs: `wc -l` gives 10,000 lines, every one with a line end. A
 *   grep for the whole combined layout
 *   (`^\S+ \S+ \S+ \[../.../....:..:..:.. [-+]....\] "[^"]*" [0-9]{3}
 *   ([0-9]+|-) "[^"]*" "[^"]*"$`) misses only line 8899, whose user agent
 *   has no closing quote (`awk -F'"'` counts 5 quotes on it, 6 elsewhere).
 * - hackers-access.log: 3,456 lines, all matching that grep.
 * - the Tomcat log: 2,661 lines, all CRLF. The common layout's grep misses
 *   only lines 879 and 1508, whose requests hold a raw `"` (kept), and
 *   `iconv -f utf-8` stops in line 27 (the TLS hello): Python's decoder
 *   puts the first bad byte, 0xfc, at offset 57 (byte 58 counting from 1).
 * - the IIS log: 4,308 lines. `grep '^#'` finds 9: two blocks of #Software,
 *   #Version, #Date and #Fields (headers), and line 5, "# Default traces
 *   of Tunna", which no W3C directive is (a failure). One line is blank.
 *   The other 4,298 have the 15 fields #Fields names.
 */
const EXPECTED: [string, number, number, number][] = [
  [ELASTIC, 10_000, 9_999, 1],
  [HACKERS, 3_456, 3_456, 0],
  [TOMCAT, 2_661, 2_660, 1],
  [IIS, 4_308, 4_298, 1],
];

const EXPECTED_FAILURES = [
  {
    file: ELASTIC,
    line: 8899,
    reason: "the user agent has no closing quote (was the line cut short?)",
  },
  { file: TOMCAT, line: 27, reason: "not UTF-8 text (at byte 58)" },
  {
    file: IIS,
    line: 5,
    reason: '"# Default traces of Tunna Tunneling tool…" is not a W3C ' +
      "directive; those are #Software, #Version, #Date, #Fields, " +
      "#Start-Date, #End-Date, #Remark",
  },
];

/** A test that needs real logs, or says plainly why it did not run. */
function datasetTest(
  name: string,
  fn: () => Promise<void>,
  found = FOUND,
) {
  if (found) Deno.test(name, fn);
  else Deno.test({ name: `${name} (${MISSING})`, ignore: true, fn });
}

async function scalar(workbench: Workbench, sql: string): Promise<SqlValue> {
  return (await workbench.query(sql)).rows[0][0];
}

async function grouped(workbench: Workbench, sql: string) {
  return (await workbench.query(sql)).rows;
}

datasetTest("real logs: exact counts per file and reasons", async () => {
  const { workbench, rejects } = await bench();
  const report = await workbench.collect("web", EXPECTED.map(([f]) => f), {
    rejectFile: rejects,
  });
  assert.deepEqual(
    report.files.map((f) => [f.file, f.lines, f.inserted, f.failed]),
    EXPECTED,
  );
  assert.deepEqual(report.failures, EXPECTED_FAILURES);
  assert.deepEqual(report.files.map((f) => f.detail), [
    "combined: 9999 lines",
    "combined: 3456 lines",
    "common: 2660 lines",
    "iis: 4298 lines",
  ]);
  // The TLS hello is kept byte for byte in the reject file.
  const hello = rejectRecords(rejects).find((r) => r.line === 27);
  const raw = Buffer.from(hello.base64, "base64");
  assert.equal(raw.indexOf(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])), 49);
  await workbench.close();
});

datasetTest("real logs: the Tomcat webshell and the scanners", async () => {
  const { workbench, rejects } = await bench();
  await workbench.collect("web", [TOMCAT], { rejectFile: rejects });

  // `grep -c /error/cmd.jsp` gives 21: 5 GET and 16 POST, all from
  // 192.168.105.76: the GETs from 14:51:53 to 15:07:57 at +0300, the POSTs
  // (commands) from 15:10:19 to 15:25:48.
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT client_ip, method, COUNT(*), MIN(time), MAX(time) FROM web
       WHERE path = '/error/cmd.jsp' GROUP BY client_ip, method
       ORDER BY method`,
    ),
    [
      [
        "192.168.105.76",
        "GET",
        5,
        "2018-07-11 11:51:53.000",
        "2018-07-11 12:07:57.000",
      ],
      [
        "192.168.105.76",
        "POST",
        16,
        "2018-07-11 12:10:19.000",
        "2018-07-11 12:25:48.000",
      ],
    ],
  );
  // The WAR uploads through the manager as "admin": `grep -c` finds 4,
  // three before the shell's first call and one while it was in use.
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT username, method, COUNT(*) FROM web
       WHERE client_ip = '192.168.105.76' AND path = '/manager/html/upload'
       GROUP BY username, method`,
    ),
    [["admin", "POST", 4]],
  );

  // `awk '{print $1}' | sort | uniq -c`: 1290 lines from .83, one of them
  // the TLS hello; 1233 from .64.
  assert.deepEqual(
    await grouped(
      workbench,
      "SELECT client_ip, COUNT(*) FROM web GROUP BY client_ip ORDER BY 1",
    ),
    [
      ["192.168.105.64", 1233],
      ["192.168.105.76", 115],
      ["192.168.105.83", 1289],
      ["192.168.153.46", 23],
    ],
  );

  // `awk -F'"'` on the request: 14 are "-", and 8 more are not HTTP
  // (GNUTELLA CONNECT/0.x, "some invalid request", "t3 12.2.1 "), each
  // sent by both scanners.
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT url, COUNT(*) FROM web WHERE method IS NULL
       GROUP BY url ORDER BY url`,
    ),
    [
      [null, 14],
      ["GNUTELLA CONNECT/0.4 ", 2],
      ["GNUTELLA CONNECT/0.6 ", 2],
      ["some invalid request", 2],
      ["t3 12.2.1 ", 2],
    ],
  );

  // Lines 853 and 1829 ask for "/<NUL>.jsp"; the NUL is kept as \x00.
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT time, client_ip, url, http_status FROM web
       WHERE url LIKE '%x00%' ORDER BY time`,
    ),
    [
      ["2018-07-11 06:32:26.000", "192.168.105.83", "/\\x00.jsp", 400],
      ["2018-07-11 07:31:09.000", "192.168.105.64", "/\\x00.jsp", 400],
    ],
  );

  // Line 26 is stamped 01/Jan/1970:03:00:00 +0300, the epoch itself.
  assert.equal(
    await scalar(workbench, "SELECT MIN(time) FROM web"),
    "1970-01-01 00:00:00.000",
  );
  // `awk` sums the last field, 12,392,083 bytes, over 2,661 lines; 189 are
  // `-`, one of them the rejected line 27.
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT SUM(response_bytes), COUNT(*) - COUNT(response_bytes),
       COUNT(referer), COUNT(user_agent) FROM web`,
    ),
    [[12_392_083, 188, 0, 0]],
  );
  await workbench.close();
});

datasetTest("real logs: the RDP tunnel through the IIS webshell", async () => {
  const { workbench, rejects } = await bench();
  await workbench.collect("web", [IIS], { rejectFile: rejects });

  // awk on the 15-field lines: 2,561 GET and 1,737 POST to /erp/conn.aspx,
  // all from 10.0.2.17 to 10.0.2.15:80, status 200; time-taken sums to
  // 18,505 ms.
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT client_ip, method, path, server_ip, server_port, http_status,
       COUNT(*) FROM web
       GROUP BY client_ip, method, path, server_ip, server_port, http_status
       ORDER BY method`,
    ),
    [
      ["10.0.2.17", "GET", "/erp/conn.aspx", "10.0.2.15", 80, 200, 2561],
      ["10.0.2.17", "POST", "/erp/conn.aspx", "10.0.2.15", 80, 200, 1737],
    ],
  );
  assert.equal(
    await scalar(workbench, "SELECT SUM(time_taken_ms) FROM web"),
    18_505,
  );

  // The tunnel opens with `proxy&port=3389&ip=127.0.0.1`: three GETs,
  // `grep port=3389` finds them at 10:13:36, 11:04:05 and 11:04:55.
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT time, method, url FROM web
       WHERE query LIKE '%proxy&port=3389%' ORDER BY time`,
    ),
    [
      [
        "2019-09-03 10:13:36.000",
        "GET",
        "/erp/conn.aspx?proxy&port=3389&ip=127.0.0.1",
      ],
      [
        "2019-09-03 11:04:05.000",
        "GET",
        "/erp/conn.aspx?proxy&port=3389&ip=127.0.0.1",
      ],
      [
        "2019-09-03 11:04:55.000",
        "GET",
        "/erp/conn.aspx?proxy&port=3389&ip=127.0.0.1",
      ],
    ],
  );
  await workbench.close();
});

datasetTest("real logs: Apache combined, benign and spam bots", async () => {
  const { workbench, rejects } = await bench();
  await workbench.collect("web", [ELASTIC, HACKERS], { rejectFile: rejects });

  // apache_logs, all +0000: its first line exactly.
  assert.deepEqual(
    await rows(
      workbench,
      `WHERE time = '2015-05-17 10:05:03.000' AND client_ip = '83.149.9.216'`,
    ),
    [
      {
        time: "2015-05-17 10:05:03.000",
        client_ip: "83.149.9.216",
        ident: null,
        username: null,
        method: "GET",
        url: "/presentations/logstash-monitorama-2013/images/kibana-search.png",
        path:
          "/presentations/logstash-monitorama-2013/images/kibana-search.png",
        query: null,
        protocol: "HTTP/1.1",
        http_status: 200,
        response_bytes: 203023,
        referer:
          "http://semicomplete.com/presentations/logstash-monitorama-2013/",
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) " +
          "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 " +
          "Safari/537.36",
        vhost: null,
        server_ip: null,
        server_port: null,
        time_taken_ms: null,
        format: "combined",
      },
    ],
  );

  // awk over apache_logs without line 8899 (a 200 from 46.118.127.106):
  // status 200 on 9,125 lines, 404 on 213, 60 of them from 208.91.156.11;
  // 482 lines from Googlebot's 66.249.73.135; referer `-` on 4,072 and
  // user agent `-` on 190; sizes sum to 2,747,282,505 with 669 `-`.
  const benign = "time < '2015-10-01'";
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT http_status, COUNT(*) FROM web WHERE ${benign}
       AND http_status IN (200, 404) GROUP BY http_status ORDER BY 1`,
    ),
    [[200, 9125], [404, 213]],
  );
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT client_ip, COUNT(*) FROM web WHERE ${benign}
       AND http_status = 404 GROUP BY client_ip ORDER BY 2 DESC, 1 LIMIT 1`,
    ),
    [["208.91.156.11", 60]],
  );
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT COUNT(*) - COUNT(referer), COUNT(*) - COUNT(user_agent),
       SUM(response_bytes), COUNT(*) - COUNT(response_bytes),
       SUM(CASE WHEN client_ip = '66.249.73.135' THEN 1 ELSE 0 END)
       FROM web WHERE ${benign}`,
    ),
    [[4072, 190, 2_747_282_505, 669, 482]],
  );

  // hackers-access.log, all +0100: 2,376 GET and 1,080 POST; `awk -F'"'`
  // on the request finds /join_form (before any `?`) in 585 GETs and 576
  // POSTs; the top clients as its SOURCE.txt counts them; the
  // last line at 30/Oct/2015:15:59:39 +0100.
  const bots = "time >= '2015-10-01'";
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT method, COUNT(*), SUM(CASE WHEN path = '/join_form' THEN 1
       ELSE 0 END) FROM web WHERE ${bots} GROUP BY method ORDER BY 1`,
    ),
    [["GET", 2376, 585], ["POST", 1080, 576]],
  );
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT client_ip, COUNT(*) FROM web WHERE ${bots}
       GROUP BY client_ip ORDER BY 2 DESC, 1 LIMIT 3`,
    ),
    [["216.244.81.34", 150], ["192.99.244.139", 74], ["23.254.164.173", 72]],
  );
  assert.deepEqual(
    await grouped(
      workbench,
      `SELECT MIN(time), MAX(time), SUM(response_bytes) FROM web
       WHERE ${bots}`,
    ),
    [["2015-10-25 03:11:25.000", "2015-10-30 14:59:39.000", 46_882_196]],
  );
  await workbench.close();
});

datasetTest("real logs: an Apache error log is not an access log", async () => {
  const { workbench, rejects } = await bench();
  // 2,000 lines, each like "[Sun Dec 04 04:47:44 2005] [notice] ...": none
  // of the first twenty is an access line, so the file is set aside whole.
  const report = await workbench.collect("web", [APACHE_ERRORS], {
    rejectFile: rejects,
  });
  assert.deepEqual([report.inserted, report.failed], [0, 1]);
  assert.deepEqual(report.failures, [{
    file: APACHE_ERRORS,
    line: 1,
    reason: "not a web access log: none of its first 20 lines is one " +
      "(the whole file is set aside)",
  }]);
  assert.equal(rejectRecords(rejects).length, 1);
  await workbench.close();
}, existsSync(APACHE_ERRORS));

/** The whole table, in an order that does not depend on the dialect. */
async function wholeTable(workbench: Workbench): Promise<SqlValue[][]> {
  const result = await workbench.query("SELECT * FROM web");
  const key = (row: SqlValue[]) => JSON.stringify(row);
  return result.rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

let reference: Promise<SqlValue[][]> | undefined;

/** The real logs collected into SQLite, once for every database test. */
function sqliteRows(): Promise<SqlValue[][]> {
  reference ??= (async () => {
    const { workbench, rejects } = await bench();
    try {
      await workbench.collect("web", EXPECTED.map(([f]) => f), {
        rejectFile: rejects,
      });
      return await wholeTable(workbench);
    } finally {
      await workbench.close();
    }
  })();
  return reference;
}

for (const kind of KINDS.filter((k) => k !== "sqlite")) {
  const skip = FOUND ? unavailable(kind) : MISSING;
  Deno.test({
    name: `real logs on ${kind}: the same counts and rows as SQLite` +
      (skip ? ` (${skip})` : ""),
    ignore: skip !== undefined,
    async fn() {
      const target = await createTarget(kind);
      const workbench = await target.open();
      const rejects = join(Deno.makeTempDirSync(), "rejects.ndjson");
      try {
        const report = await workbench.collect(
          "web",
          EXPECTED.map(([f]) => f),
          { rejectFile: rejects },
        );
        assert.deepEqual(
          report.files.map((f) => [f.file, f.lines, f.inserted, f.failed]),
          EXPECTED,
        );
        assert.deepEqual(report.failures, EXPECTED_FAILURES);
        const stored = await wholeTable(workbench);
        assert.equal(stored.length, 9_999 + 3_456 + 2_660 + 4_298);
        assert.deepEqual(stored, await sqliteRows());
      } finally {
        await workbench.close();
        await target.drop();
      }
    },
  });
}
