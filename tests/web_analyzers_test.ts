/**
 * The web analyzers: exact rows on small Apache logs written here, and on
 * the real logs the Tomcat and IIS web shells rank first, the Tomcat
 * scanners above the attacker's own browsing, and the benign site shows
 * nothing worse than a crawler.
 */

import assert from "node:assert/strict";
import {
  QUERY_WORDS,
  queryEvidence,
} from "../modules/analyzers/web/_queries.ts";
import { isScriptPath } from "../modules/analyzers/web/_web.ts";
import type { SqlValue } from "../engine/types.ts";
import { onEveryDatabase } from "./helpers/datasets.ts";

const NIKTO = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)";
const GOOGLEBOT =
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0";
const MONITOR = "Monitor/1.0";

/**
 * An Apache combined line from `entry`: "HH:MM:SS client status request",
 * on the day given.
 */
function line(day: string, entry: string, agent = BROWSER): string {
  const [time, client, status, ...request] = entry.split(" ");
  return `${client} - - [${day}:${time} +0000] ` +
    `"${request.join(" ")} HTTP/1.1" ${status} 512 "-" "${agent}"`;
}

/** `count` lines, the nth from `entry(n)`. */
function lines(count: number, entry: (n: number) => string): string[] {
  return Array.from({ length: count }, (_, n) => entry(n));
}

const two = (n: number) => String(n).padStart(2, "0");

const JAN = "05/Jan/2026";

const scanLog = [
  // A Nikto scan: twelve missing paths in twelve seconds, then the root.
  ...lines(
    12,
    (n) => line(JAN, `10:00:${two(n)} 10.0.0.1 404 GET /probe${n + 1}`, NIKTO),
  ),
  line(JAN, "10:00:12 10.0.0.1 200 GET /", NIKTO),
  // A monitor polling a missing file every hour: many errors, one path.
  ...lines(
    12,
    (n) => line(JAN, `${two(n)}:00:00 10.0.0.4 404 GET /health.txt`, MONITOR),
  ),
  // Nessus: its own method and a probe named after it.
  line(JAN, "12:00:00 10.0.0.5 200 NESSUS /"),
  line(JAN, "12:00:01 10.0.0.5 404 GET /nessus123.html"),
  // A script fetching a status page.
  line(JAN, "12:30:00 10.0.0.3 200 GET /status", "curl/7.88.1"),
  // A crawler: volume and a couple of dead links, nothing more.
  ...lines(
    30,
    (n) => line(JAN, `13:${two(n)}:00 10.0.0.2 200 GET /page${n}`, GOOGLEBOT),
  ),
  line(JAN, "13:40:00 10.0.0.2 404 GET /gone1", GOOGLEBOT),
  line(JAN, "13:41:00 10.0.0.2 404 GET /gone2", GOOGLEBOT),
];

const SCANNER_COLUMNS = [
  "client_ip",
  "score",
  "reasons",
  "requests",
  "client_errors",
  "error_share",
  "paths",
  "error_paths",
  "tool",
  "first_seen",
  "last_seen",
];

onEveryDatabase("web_scanner on a small log: exact rows", [
  { collector: "web", files: { "scan.log": scanLog } },
], async (bench, _kind, t) => {
  const curl: SqlValue[] = [
    "10.0.0.3",
    1,
    "scripting client curl",
    1,
    0,
    0,
    1,
    0,
    "curl",
    "2026-01-05 12:30:00.000",
    "2026-01-05 12:30:00.000",
  ];
  const nessus: SqlValue[] = [
    "10.0.0.5",
    2,
    "scanner nessus in the request line",
    2,
    1,
    0.5,
    2,
    1,
    "nessus",
    "2026-01-05 12:00:00.000",
    "2026-01-05 12:00:01.000",
  ];

  await t.step("defaults", async () => {
    const result = await bench.analyze("web_scanner");
    assert.deepEqual(result.columns, SCANNER_COLUMNS);
    assert.deepEqual(result.rows, [
      [
        "10.0.0.1",
        5,
        "scanner nikto in the user agent; 11 client errors within 10 s; " +
        "most requests failed (12 of 13); 12 distinct paths answered 4xx",
        13,
        12,
        0.923,
        13,
        12,
        "nikto",
        "2026-01-05 10:00:00.000",
        "2026-01-05 10:00:12.000",
      ],
      nessus,
      [
        "10.0.0.4",
        1,
        "most requests failed (12 of 12)",
        12,
        12,
        1,
        1,
        1,
        null,
        "2026-01-05 00:00:00.000",
        "2026-01-05 11:00:00.000",
      ],
      curl,
    ]);
  });

  await t.step("a higher error threshold leaves only the names", async () => {
    const result = await bench.analyze("web_scanner", {
      params: { errors: 20 },
    });
    assert.deepEqual(result.rows.map((row) => row.slice(0, 3)), [
      ["10.0.0.1", 2, "scanner nikto in the user agent"],
      ["10.0.0.5", 2, "scanner nessus in the request line"],
      ["10.0.0.3", 1, "scripting client curl"],
    ]);
  });

  await t.step("since cuts the scan short", async () => {
    const result = await bench.analyze("web_scanner", {
      params: { since: "2026-01-05T10:00:05Z", limit: 2 },
    });
    assert.deepEqual(result.rows, [
      [
        "10.0.0.1",
        2,
        "scanner nikto in the user agent",
        8,
        7,
        0.875,
        8,
        7,
        "nikto",
        "2026-01-05 10:00:05.000",
        "2026-01-05 10:00:12.000",
      ],
      nessus,
    ]);
  });
});

const FEB = "01/Feb/2026";

const shellLog = [
  // A Tomcat manager deploy, then a shell that takes commands.
  line(FEB, "09:59:00 10.0.0.9 200 GET /manager/html"),
  line(FEB, "10:00:00 10.0.0.9 200 POST /manager/html/upload?nonce=1"),
  line(FEB, "10:01:00 10.0.0.9 200 GET /app/cmd.jsp?cmd=whoami"),
  ...lines(
    10,
    (n) => line(FEB, `10:${two(n + 2)}:00 10.0.0.9 200 POST /app/cmd.jsp`),
  ),
  // reGeorg: a socket opened, written and read through a JSP.
  line(
    FEB,
    "11:00:00 10.0.0.7 200 GET /tunnel.jsp?cmd=connect&target=10.1.1.1&port=22",
  ),
  line(FEB, "11:00:01 10.0.0.7 200 POST /tunnel.jsp?cmd=forward"),
  line(FEB, "11:00:02 10.0.0.7 200 POST /tunnel.jsp?cmd=read"),
  // whoami in base64.
  line(FEB, "12:00:00 10.0.0.8 200 GET /img.php?c=d2hvYW1p"),
  // A WebDAV PUT of a page, then a call to it.
  line(FEB, "13:00:00 10.0.0.6 201 PUT /up.jsp"),
  line(FEB, "13:00:05 10.0.0.6 200 GET /up.jsp"),
  // A scanner's probe that found nothing.
  line(FEB, "13:30:00 10.0.0.5 404 GET /cgi-bin/test.cgi?cmd=id"),
  // Ordinary use: a directory listing's sort, an upload form used the
  // way it is meant to be (the form, the upload), and an upload handler
  // posted to first and opened after: neither handler is new after an
  // upload, since posting to it did not create it.
  line(FEB, "08:00:00 10.0.0.4 200 GET /list.php?C=D;O=A"),
  line(FEB, "14:00:00 10.0.0.4 200 GET /upload.php"),
  line(FEB, "14:01:00 10.0.0.4 200 POST /upload.php"),
  line(FEB, "14:02:00 10.0.0.4 200 GET /upload.php"),
  line(FEB, "14:10:00 10.0.0.10 200 POST /files/upload.php"),
  line(FEB, "14:11:00 10.0.0.10 200 GET /files/upload.php"),
  // A spam bot posting a contact form that one other client reads.
  ...lines(
    12,
    (n) => line(FEB, `15:${two(n)}:00 10.0.0.3 200 POST /contact.php`),
  ),
  line(FEB, "16:00:00 10.0.0.2 200 GET /contact.php"),
];

const SHELL_COLUMNS = [
  "client_ip",
  "path",
  "score",
  "reasons",
  "requests",
  "posts",
  "clients",
  "first_seen",
  "last_seen",
];

onEveryDatabase("webshell on a small log: exact rows", [
  { collector: "web", files: { "shell.log": shellLog } },
], async (bench, _kind, t) => {
  const cmd: SqlValue[] = [
    "10.0.0.9",
    "/app/cmd.jsp",
    3,
    "first answered 60 s after this client's POST /manager/html/upload; " +
    "commands in the query string of 1 request (cmd=whoami); " +
    "10 POSTs to a script answered to 1 client",
    11,
    10,
    1,
    "2026-02-01 10:01:00.000",
    "2026-02-01 10:11:00.000",
  ];
  const contact: SqlValue[] = [
    "10.0.0.3",
    "/contact.php",
    1,
    "12 POSTs to a script answered to 2 clients",
    12,
    12,
    2,
    "2026-02-01 15:00:00.000",
    "2026-02-01 15:11:00.000",
  ];
  const tunnel: SqlValue[] = [
    "10.0.0.7",
    "/tunnel.jsp",
    1,
    "tunnelling parameters in 3 requests " +
    "(cmd=connect&target=10.1.1.1&port=22)",
    3,
    2,
    1,
    "2026-02-01 11:00:00.000",
    "2026-02-01 11:00:02.000",
  ];
  const put: SqlValue[] = [
    "10.0.0.6",
    "/up.jsp",
    1,
    "first answered 5 s after this client's PUT /up.jsp",
    2,
    0,
    1,
    "2026-02-01 13:00:00.000",
    "2026-02-01 13:00:05.000",
  ];
  const base64: SqlValue[] = [
    "10.0.0.8",
    "/img.php",
    1,
    "commands in the query string of 1 request (c=d2hvYW1p)",
    1,
    0,
    1,
    "2026-02-01 12:00:00.000",
    "2026-02-01 12:00:00.000",
  ];

  await t.step("defaults", async () => {
    const result = await bench.analyze("webshell");
    assert.deepEqual(result.columns, SHELL_COLUMNS);
    assert.deepEqual(result.rows, [cmd, contact, tunnel, put, base64]);
  });

  await t.step("max_clients=1 makes the form common", async () => {
    const result = await bench.analyze("webshell", {
      params: { max_clients: 1, limit: 3 },
    });
    assert.deepEqual(result.rows, [cmd, tunnel, put]);
  });

  await t.step("since after the upload leaves the shell unproven", async () => {
    // From 10:05 the shell has 7 POSTs, no upload and no command seen.
    const result = await bench.analyze("webshell", {
      params: { since: "2026-02-01T10:05:00Z" },
    });
    assert.deepEqual(result.rows, [contact, tunnel, put, base64]);
  });
});

Deno.test("query strings: commands and tunnels told from ordinary ones", () => {
  const cases: [string, string | undefined][] = [
    ["proxy", "tunnel"],
    ["proxy&port=3389&ip=127.0.0.1", "tunnel"],
    ["cmd=read", "tunnel"],
    ["cmd=connect&target=10.0.0.1&port=445", "tunnel"],
    ["cmd=connect", "command"],
    ["cmd=dir", "command"],
    ["c=whoami", "command"],
    ["x=ls+-la", "command"],
    ["x=ls%20-la", "command"],
    ["q=net%20user%20admin", "command"],
    ["run=cmd.exe%20%2Fc%20ipconfig", "command"],
    ["q=powershell -enc SQBFAFgA", "command"],
    ["c=Y21kIC9jIGRpcg==", "command"],
    ["host=127.0.0.1;id", "command"],
    ["host=127.0.0.1%3Bid", "command"],
    ["file=a.txt%7Ccat%20/etc/passwd", "command"],
    ["file=a.txt%7cls", "command"],
    ["sid=3b7c1d&ids=4", undefined],
    ["cmd=", undefined],
    ["C=D;O=A", undefined],
    ["sort=id&dir=asc", undefined],
    ["page=2", undefined],
    ["token=AbCdEf0123456789xyzXYZ", undefined],
    ["flav=rss20", undefined],
    ["url=http://example.org/proxy", undefined],
  ];
  for (const [query, expected] of cases) {
    assert.equal(queryEvidence(query), expected, query);
    // SQL sets aside the queries without one of these words, so a query
    // flagged without one would never reach queryEvidence.
    if (expected) assert.ok(passesPrefilter(query), query);
  }
});

/** What `LOWER(query) LIKE '%word%'` for some word of QUERY_WORDS keeps. */
function passesPrefilter(query: string): boolean {
  const lower = query.toLowerCase();
  return QUERY_WORDS.some((word) => {
    const pattern = word.split("%").map((part) =>
      part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    ).join(".*");
    return new RegExp(pattern).test(lower);
  });
}

Deno.test("script paths: extensions the server runs, before ; or at the end", () => {
  const cases: [string, boolean][] = [
    ["/error/cmd.jsp", true],
    ["/erp/conn.aspx", true],
    ["/x/Shell.PHP", true],
    ["/app/index.jsp;jsessionid=0A1B", true],
    ["/cgi-bin/test.cgi", true],
    ["/scripts/tagcloud.py", false],
    ["/files/wifipencap.sh", false],
    ["/style.css", false],
    ["/a.php/extra", false],
    ["/www.example.pl/", false],
    ["/config.plist", false],
    ["/jsp_app/", false],
  ];
  for (const [path, expected] of cases) {
    assert.equal(isScriptPath(path), expected, path);
  }
});

/** The real logs, told apart by their days (they do not overlap). */
const TOMCAT = { since: "2018-07-11", until: "2018-07-12" };
const IIS = { since: "2019-09-03", until: "2019-09-04" };
const ELASTIC = { since: "2015-05-17", until: "2015-05-21" };
const YAUAA = { since: "2015-10-25", until: "2015-11-01" };

onEveryDatabase("web analyzers on the real access logs", [
  { collector: "web", paths: ["web-access-logs"] },
], async (bench, _kind, t) => {
  await t.step("webshell: the Tomcat shell /error/cmd.jsp", async () => {
    const result = await bench.analyze("webshell", { params: TOMCAT });
    assert.deepEqual(result.rows, [[
      "192.168.105.76",
      "/error/cmd.jsp",
      2,
      "first answered 83 s after this client's POST /manager/html/upload; " +
      "16 POSTs to a script answered to 1 client",
      21,
      16,
      1,
      "2018-07-11 11:51:53.000",
      "2018-07-11 12:25:48.000",
    ]]);
  });

  await t.step("webshell: the Tunna shell /erp/conn.aspx on IIS", async () => {
    const result = await bench.analyze("webshell", { params: IIS });
    assert.deepEqual(result.rows, [[
      "10.0.2.17",
      "/erp/conn.aspx",
      2,
      "tunnelling parameters in 4298 requests " +
      "(proxy&port=3389&ip=127.0.0.1); " +
      "1737 POSTs to a script answered to 1 client",
      4298,
      1737,
      1,
      "2019-09-03 10:13:36.000",
      "2019-09-03 11:08:51.000",
    ]]);
  });

  await t.step(
    "webshell: both shells top when collected together",
    async () => {
      const result = await bench.analyze("webshell");
      assert.deepEqual(result.rows.slice(0, 2).map((row) => row[1]), [
        "/erp/conn.aspx",
        "/error/cmd.jsp",
      ]);
    },
  );

  await t.step("webshell: nothing on the benign site or the bots", async () => {
    // elastic-apache has no upload, no POST to a script, no command or
    // tunnel in a query; yauaa's spam bots post to /join_form, no script.
    for (const window of [ELASTIC, YAUAA]) {
      const result = await bench.analyze("webshell", { params: window });
      assert.deepEqual(result.rows, [], JSON.stringify(window));
    }
  });

  await t.step(
    "web_scanner: the Tomcat scanners above the attacker",
    async () => {
      const result = await bench.analyze("web_scanner", {
        params: { ...TOMCAT, limit: 50 },
      });
      const clients = result.rows.map((row) => row[0]);
      assert.deepEqual(clients.slice(0, 2), [
        "192.168.105.83",
        "192.168.105.64",
      ]);
      for (const row of result.rows.slice(0, 2)) {
        const [, score, reasons, , , share, , errorPaths, tool] = row;
        assert.equal(score, 5);
        assert.equal(tool, "nessus");
        assert.ok(Number(share) > 0.6, `${row[0]}: error share ${share}`);
        assert.ok(Number(errorPaths) > 600, `${row[0]}: ${errorPaths}`);
        assert.match(String(reasons), /^scanner nessus in the request line; /);
      }
      // The webshell's owner browsed, deployed and called his shell: no
      // scanner's signs, so he is not ranked at all.
      assert.ok(!clients.includes("192.168.105.76"), clients.join(", "));
    },
  );

  await t.step(
    "web_scanner: on the benign site, a crawler at most",
    async () => {
      const result = await bench.analyze("web_scanner", {
        params: { ...ELASTIC, limit: 100 },
      });
      const [top] = result.rows;
      // MJ12bot following dead links: 14 of its 27 requests were 404s, 11
      // of them within 28 s. No client here names a scanner or shows all
      // three behaviours of a scan.
      assert.deepEqual(top.slice(0, 3), [
        "144.76.95.39",
        2,
        "11 client errors within 28 s; most requests failed (14 of 27)",
      ]);
      const agents = await bench.query(
        "SELECT DISTINCT user_agent FROM web WHERE client_ip = ?",
        { params: ["144.76.95.39"] },
      );
      assert.match(String(agents.rows[0][0]), /MJ12bot/);
      assert.ok(result.rows.every((row) => Number(row[1]) <= 2));
      // Googlebot made the most requests (482) but is not ranked at all.
      const clients = result.rows.map((row) => row[0]);
      assert.ok(!clients.includes("66.249.73.135"));
      // Everything below the crawler is one sign: a misconfigured client
      // polling a missing URL, or a scripting client's user agent.
      for (const row of result.rows.slice(1)) {
        assert.equal(row[1], 1);
        assert.match(
          String(row[2]),
          /^(most requests failed \(\d+ of \d+\)|scripting client \S+)$/,
        );
      }
    },
  );

  await t.step("web_scanner: the spam bots are not scanners", async () => {
    const result = await bench.analyze("web_scanner", { params: YAUAA });
    assert.deepEqual(result.rows, []);
  });
});
