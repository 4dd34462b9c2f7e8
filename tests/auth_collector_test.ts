import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileInput } from "../engine/inputs.ts";
import { silentLogger } from "../engine/logger.ts";
import { resolveParams } from "../engine/params.ts";
import type { Input, Params, SqlValue } from "../engine/types.ts";
import { Workbench } from "../engine/workbench.ts";
import {
  launch,
  params as authParams,
  parser,
  tables,
} from "../modules/collectors/auth.ts";
import { createTarget, type Kind, unavailable } from "../tools/test_targets.ts";
import { envOf, ROOT } from "./helpers/temp.ts";

const COLUMNS = tables[0].columns.map((column) => column.name);
const HUNTING = [
  "event",
  "outcome",
  "username",
  "invalid_user",
  "source_ip",
  "source_port",
  "auth_method",
];

const DATASETS = Deno.env.get("GUMMER_DATASETS") ??
  join(ROOT, "..", "shared", "datasets");
const OPENSSH = join(DATASETS, "loghub-linux-ssh/OpenSSH/OpenSSH_2k.log");
const LINUX = join(DATASETS, "loghub-linux-ssh/Linux/Linux_2k.log");
const HAVE_DATASETS = existsSync(OPENSSH) && existsSync(LINUX);

/** A test on the loghub files, listed as skipped when they are absent. */
function datasetTest(name: string, fn: () => Promise<void> | void) {
  if (HAVE_DATASETS) Deno.test({ name, fn });
  else {
    Deno.test({
      name: `${name} (skipped: datasets not found)`,
      ignore: true,
      fn,
    });
  }
}

/** An input that is not a file on disk, as a notebook would build it. */
function textInput(name: string, content: string | Uint8Array): Input {
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  return { name, open: () => Promise.resolve(ReadableStream.from([bytes])) };
}

/** Parses lines as one file, each into a row by column name or a reason. */
function parseAll(
  lines: string[],
  params: Params = {},
  name = "no-such-dir/auth.log",
) {
  const file = parser(textInput(name, ""), params);
  return lines.map((line) => {
    const row = file.parse(line);
    if (typeof row === "string" || row === null) return row;
    return Object.fromEntries(COLUMNS.map((column, i) => [column, row[i]]));
  });
}

function parseOne(line: string, params: Params = {}) {
  const [row] = parseAll([line], params);
  assert.equal(typeof row, "object", `${line}: ${row}`);
  return row as Record<string, SqlValue>;
}

/** The hunting fields of a parsed line, in the table's order. */
function hunting(line: string): SqlValue[] {
  const row = parseOne(line, { year: 2005 });
  return HUNTING.map((column) => row[column]);
}

async function memoryBench() {
  const dir = Deno.makeTempDirSync({ prefix: "gummer-auth-" });
  const bench = await Workbench.open({
    env: envOf({ GUMMER_SQLITE: ":memory:" }),
  });
  return { bench, dir, rejects: join(dir, "rejects.ndjson") };
}

function concat(parts: (string | Uint8Array)[]): Uint8Array {
  const encoder = new TextEncoder();
  const chunks = parts.map((p) =>
    typeof p === "string" ? encoder.encode(p) : p
  );
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

Deno.test("sshd's login messages give event, outcome, user, source and method", () => {
  const cases: [string, SqlValue[]][] = [
    [
      "Dec 10 06:55:48 gate sshd[24200]: Failed password for invalid user webmaster from 203.0.113.5 port 38926 ssh2",
      [
        "failed_password",
        "failure",
        "webmaster",
        1,
        "203.0.113.5",
        38926,
        "password",
      ],
    ],
    [
      "Dec 10 06:55:49 gate sshd[24201]: Failed password for root from 198.51.100.7 port 22022 ssh2",
      [
        "failed_password",
        "failure",
        "root",
        0,
        "198.51.100.7",
        22022,
        "password",
      ],
    ],
    [
      "Dec 10 06:55:50 gate sshd[24202]: Failed publickey for git from 2001:db8::9 port 50100 ssh2: RSA SHA256:0000",
      [
        "failed_publickey",
        "failure",
        "git",
        0,
        "2001:db8::9",
        50100,
        "publickey",
      ],
    ],
    [
      "Dec 10 06:55:51 gate sshd[24203]: Failed none for invalid user admin from 203.0.113.5 port 1000 ssh2",
      ["failed_other", "failure", "admin", 1, "203.0.113.5", 1000, "none"],
    ],
    [
      "Dec 10 06:55:52 gate sshd[24204]: Accepted password for fztu from 192.0.2.44 port 49116 ssh2",
      [
        "accepted_password",
        "success",
        "fztu",
        0,
        "192.0.2.44",
        49116,
        "password",
      ],
    ],
    [
      // OpenSSH 9.8 and later log sessions as sshd-session.
      "Dec 10 06:55:53 gate sshd-session[24205]: Accepted publickey for alice from 192.0.2.45 port 50022 ssh2: ED25519 SHA256:abcd",
      [
        "accepted_publickey",
        "success",
        "alice",
        0,
        "192.0.2.45",
        50022,
        "publickey",
      ],
    ],
    [
      "Dec 10 06:55:54 gate sshd[24206]: Accepted keyboard-interactive/pam for bob from 192.0.2.46 port 1022 ssh2",
      [
        "accepted_other",
        "success",
        "bob",
        0,
        "192.0.2.46",
        1022,
        "keyboard-interactive/pam",
      ],
    ],
    [
      "Dec 10 06:55:55 gate sshd[24207]: Invalid user oracle from 203.0.113.5",
      ["invalid_user", "failure", "oracle", 1, "203.0.113.5", null, null],
    ],
    [
      "Dec 10 06:55:55 gate sshd[24207]: Invalid user oracle from 203.0.113.5 port 4444",
      ["invalid_user", "failure", "oracle", 1, "203.0.113.5", 4444, null],
    ],
    [
      "Dec 10 06:55:55 gate sshd[24207]: input_userauth_request: invalid user oracle [preauth]",
      ["invalid_user_request", "failure", "oracle", 1, null, null, null],
    ],
    [
      "Dec 10 06:55:56 gate sshd[24208]: Received disconnect from 203.0.113.5: 11: Bye Bye [preauth]",
      ["disconnect", null, null, null, "203.0.113.5", null, null],
    ],
    [
      "Dec 10 06:55:56 gate sshd[24208]: error: Received disconnect from 203.0.113.6: 2: Protocol error [preauth]",
      ["disconnect", null, null, null, "203.0.113.6", null, null],
    ],
    [
      "Dec 10 06:55:56 gate sshd[24208]: Received disconnect from 203.0.113.7 port 40000:11: Bye [preauth]",
      ["disconnect", null, null, null, "203.0.113.7", 40000, null],
    ],
    [
      "Dec 10 06:55:57 gate sshd[24209]: Disconnected from invalid user guest 203.0.113.8 port 5555 [preauth]",
      ["disconnect", null, "guest", 1, "203.0.113.8", 5555, null],
    ],
    [
      "Dec 10 06:55:57 gate sshd[24209]: Disconnected from user alice 192.0.2.45 port 50022",
      ["disconnect", null, "alice", 0, "192.0.2.45", 50022, null],
    ],
    [
      "Dec 10 06:55:58 gate sshd[24210]: Connection closed by 203.0.113.9 [preauth]",
      ["connection_closed", null, null, null, "203.0.113.9", null, null],
    ],
    [
      "Dec 10 06:55:58 gate sshd[24210]: Connection closed by authenticating user root 203.0.113.9 port 6000 [preauth]",
      ["connection_closed", null, "root", 0, "203.0.113.9", 6000, null],
    ],
    [
      "Dec 10 06:55:59 gate sshd[24211]: Disconnecting: Too many authentication failures for root [preauth]",
      ["too_many_failures", "failure", "root", null, null, null, null],
    ],
    [
      "Dec 10 06:55:59 gate sshd[24211]: Disconnecting invalid user test 203.0.113.10 port 7000: Too many authentication failures [preauth]",
      ["too_many_failures", "failure", "test", 1, "203.0.113.10", 7000, null],
    ],
    [
      "Dec 10 06:56:00 gate sshd[24212]: error: maximum authentication attempts exceeded for invalid user pi from 203.0.113.11 port 8000 ssh2 [preauth]",
      ["too_many_failures", "failure", "pi", 1, "203.0.113.11", 8000, null],
    ],
    [
      "Dec 10 06:56:01 gate sshd[24213]: reverse mapping checking getaddrinfo for host.example.net [203.0.113.12] failed - POSSIBLE BREAK-IN ATTEMPT!",
      ["break_in_attempt", null, null, null, "203.0.113.12", null, null],
    ],
    [
      "Dec 10 06:56:01 gate sshd[24213]: Address 203.0.113.13 maps to host.example.org, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
      ["break_in_attempt", null, null, null, "203.0.113.13", null, null],
    ],
    [
      "Dec 10 06:56:02 gate sshd[24214]: Did not receive identification string from 203.0.113.14",
      ["no_identification", null, null, null, "203.0.113.14", null, null],
    ],
    [
      // The client chooses the user name: a fake "from" inside it must not
      // become the source.
      "Dec 10 06:56:03 gate sshd[24215]: Failed password for invalid user x from 6.6.6.6 port 1 ssh2 from 203.0.113.15 port 2222 ssh2",
      [
        "failed_password",
        "failure",
        "x from 6.6.6.6 port 1 ssh2",
        1,
        "203.0.113.15",
        2222,
        "password",
      ],
    ],
    [
      "Dec 10 06:56:04 gate sshd[24216]: Server listening on 0.0.0.0 port 22.",
      [null, null, null, null, null, null, null],
    ],
    [
      // Only sshd's own lines are read as sshd's.
      "Dec 10 06:56:05 gate ftpd[24217]: Failed password for root from 203.0.113.16 port 21 ssh2",
      [null, null, null, null, null, null, null],
    ],
  ];
  for (const [line, expected] of cases) {
    assert.deepEqual(hunting(line), expected, line);
  }
});

Deno.test("pam_unix messages, old style and new, in any program", () => {
  const cases: [string, SqlValue[]][] = [
    [
      "Dec 10 06:56:06 gate sshd[24218]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.17  user=root",
      ["auth_failure", "failure", "root", null, "203.0.113.17", null, null],
    ],
    [
      // rhost may be a host name: it is kept as the source.
      "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=dsl-17.example.net",
      ["auth_failure", "failure", null, null, "dsl-17.example.net", null, null],
    ],
    [
      "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown",
      ["unknown_user", "failure", null, 1, null, null, null],
    ],
    [
      "Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)",
      ["session_opened", "success", "cyrus", null, null, null, null],
    ],
    [
      "Jun 15 04:06:19 combo su(pam_unix)[21416]: session closed for user cyrus",
      ["session_closed", null, "cyrus", null, null, null, null],
    ],
    [
      "Dec 10 09:32:20 gate sshd[24680]: pam_unix(sshd:session): session opened for user fztu(uid=1000) by (uid=0)",
      ["session_opened", "success", "fztu", null, null, null, null],
    ],
    [
      "Jul 11 11:33:13 combo gdm(pam_unix)[2803]: authentication failure; logname= uid=0 euid=0 tty=:0 ruser= rhost= ",
      ["auth_failure", "failure", null, null, null, null, null],
    ],
    [
      "Jun 18 02:08:10 combo su(pam_unix)[21900]: authentication failure; logname=ross uid=500 euid=0 tty= ruser=ross rhost=  user=root",
      ["auth_failure", "failure", "root", null, null, null, null],
    ],
    [
      "Dec 10 07:13:56 gate sshd[24227]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.18  user=root",
      [
        "more_auth_failures",
        "failure",
        "root",
        null,
        "203.0.113.18",
        null,
        null,
      ],
    ],
  ];
  for (const [line, expected] of cases) {
    assert.deepEqual(hunting(line), expected, line);
  }
});

Deno.test("the header gives host, program, pid, priority and the message", () => {
  const pick = (line: string) => {
    const row = parseOne(line, { year: 2005 });
    return [
      row.time,
      row.host,
      row.program,
      row.pid,
      row.priority,
      row.message,
    ];
  };
  assert.deepEqual(
    pick("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2"),
    [
      "2005-07-07 08:06:15.000",
      "combo",
      "-- root",
      2421,
      null,
      "ROOT LOGIN ON tty2",
    ],
  );
  assert.deepEqual(
    pick("Jun 19 04:09:11 combo syslogd 1.4.1: restart."),
    [
      "2005-06-19 04:09:11.000",
      "combo",
      "syslogd 1.4.1",
      null,
      null,
      "restart.",
    ],
  );
  assert.deepEqual(
    pick("Jul 27 14:41:57 combo kernel:  BIOS-e820: 0 - a0000 (usable)"),
    [
      "2005-07-27 14:41:57.000",
      "combo",
      "kernel",
      null,
      null,
      " BIOS-e820: 0 - a0000 (usable)",
    ],
  );
  assert.deepEqual(
    pick("<38>Dec 01 06:55:46.250 gate sshd[7]: Server listening"),
    ["2005-12-01 06:55:46.250", "gate", "sshd", 7, 38, "Server listening"],
  );
  // A line with no tag keeps all its text as the message.
  assert.deepEqual(
    pick("Mar  3 03:03:03 gate some daemon said this"),
    [
      "2005-03-03 03:03:03.000",
      "gate",
      null,
      null,
      null,
      "some daemon said this",
    ],
  );
  // A message cut short is still a row; nothing in it is lost.
  assert.deepEqual(
    pick("Dec 10 06:55:48 gate sshd[24200]: Failed passw"),
    ["2005-12-10 06:55:48.000", "gate", "sshd", 24200, null, "Failed passw"],
  );
});

Deno.test("RFC 5424 and RFC 3339 lines carry their own year and zone", () => {
  const rfc5424 = parseOne(
    '<165>1 2003-10-11T22:14:15.003+02:00 host.example.com sshd 4242 AUTH [origin@1 ip="192.0.2.1" note="a \\"quoted\\" \\] end"][meta@2 seq="9"] \uFEFFFailed password for root from 203.0.113.20 port 3333 ssh2',
    { tz_offset: "+0900" },
  );
  assert.deepEqual(rfc5424, {
    time: "2003-10-11 20:14:15.003",
    host: "host.example.com",
    program: "sshd",
    pid: 4242,
    event: "failed_password",
    outcome: "failure",
    username: "root",
    invalid_user: 0,
    source_ip: "203.0.113.20",
    source_port: 3333,
    auth_method: "password",
    repeats: 1,
    message: "Failed password for root from 203.0.113.20 port 3333 ssh2",
    priority: 165,
    msgid: "AUTH",
    structured_data:
      '[origin@1 ip="192.0.2.1" note="a \\"quoted\\" \\] end"][meta@2 seq="9"]',
  });

  const nil = parseOne("<13>1 - - - - - -");
  assert.deepEqual(
    [nil.time, nil.host, nil.program, nil.pid, nil.msgid, nil.message],
    [null, null, null, null, null, ""],
  );
  const procName = parseOne("<13>1 2003-10-11T22:14:15Z h app worker-3 - - hi");
  assert.deepEqual([procName.pid, procName.message], [null, "hi"]);

  // rsyslog's high-precision file format: microseconds and a zone.
  const precise = parseOne(
    "2024-03-01T10:00:00.123456+01:00 srv sshd[99]: Invalid user pi from 192.0.2.9 port 1",
    { tz_offset: "-0500" },
  );
  assert.deepEqual(
    [precise.time, precise.host, precise.event, precise.username],
    ["2024-03-01 09:00:00.123", "srv", "invalid_user", "pi"],
  );
});

Deno.test("BSD lines: the year given, New Year, stragglers, gaps and zones", () => {
  const times = (lines: string[], params: Params) =>
    parseAll(lines, params).map((row) =>
      typeof row === "string" || row === null ? row : row.time
    );

  assert.deepEqual(
    times([
      "Dec 31 23:59:58 h a: first",
      "Jan  1 00:00:01 h a: the new year",
      "Dec 31 23:59:59 h a: a straggler from the old year",
      "Jan  1 00:00:02 h a: back in the new year",
      "Mar  1 00:00:00 h a: two months later",
      "Feb 20 00:00:00 h a: a host whose clock is behind by 9 days",
      "Nov 30 00:00:00 h a: nine months of silence",
      "Jan  2 00:00:00 h a: another new year",
    ], { year: 2005 }),
    [
      "2005-12-31 23:59:58.000",
      "2006-01-01 00:00:01.000",
      "2005-12-31 23:59:59.000",
      "2006-01-01 00:00:02.000",
      "2006-03-01 00:00:00.000",
      "2006-02-20 00:00:00.000",
      "2006-11-30 00:00:00.000",
      "2007-01-02 00:00:00.000",
    ],
  );

  // Parameters arrive as text from -p; tz_offset moves BSD times only.
  const given = resolveParams(
    authParams,
    { year: "2005", tz_offset: "+0200" },
    "collector auth",
  );
  assert.deepEqual(
    times([
      "Jan  1 01:00:00 h a: local time, two hours ahead of UTC",
      "2005-06-01T12:00:00+02:00 h a: its own zone",
    ], given),
    ["2004-12-31 23:00:00.000", "2005-06-01 10:00:00.000"],
  );
  assert.deepEqual(
    times(["Jun  1 00:00:00 h a: x"], { year: 2005, tz_offset: "-05:30" }),
    ["2005-06-01 05:30:00.000"],
  );

  // A line with a full date anchors the BSD lines after it.
  assert.deepEqual(
    times([
      "<13>1 2010-12-31T23:00:00Z h a - - - x",
      "Jan  1 00:30:00 h a: y",
    ], {}),
    ["2010-12-31 23:00:00.000", "2011-01-01 00:30:00.000"],
  );

  // A line rejected for its header does not move the clock.
  assert.deepEqual(
    times([
      "Dec 10 06:55:46 h a: x",
      "Jun  1 00:00:00",
      "Dec 11 06:55:46 h a: y",
    ], { year: 2005 }),
    [
      "2005-12-10 06:55:46.000",
      "not syslog: no host after the time",
      "2005-12-11 06:55:46.000",
    ],
  );

  assert.deepEqual(times(["Feb 29 12:00:00 h a: x"], { year: 2004 }), [
    "2004-02-29 12:00:00.000",
  ]);
  assert.deepEqual(times(["Feb 29 12:00:00 h a: x"], { year: 2005 }), [
    "Feb 29 does not exist in 2005, the year this line was given; set the " +
    "year parameter",
  ]);
});

Deno.test("without a year, the file's modification time bounds its lines", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gummer-auth-" });
  const path = join(dir, "auth.log");
  Deno.writeTextFileSync(path, "");
  const mtime = new Date("2006-01-05T12:00:00Z");
  Deno.utimeSync(path, mtime, mtime);

  const file = parser(fileInput(path), {});
  const rows = [
    "Dec 30 10:00:00 h a: last year, as December is after 5 January",
    "Jan  4 10:00:00 h a: this year",
  ].map((line) => file.parse(line) as SqlValue[]);
  assert.deepEqual(rows.map((row) => row[0]), [
    "2005-12-30 10:00:00.000",
    "2006-01-04 10:00:00.000",
  ]);
  assert.equal(
    file.detail?.(),
    "BSD syslog: 2 lines from 2005-12-30 to 2006-01-04 (year from the " +
      "file's modification time, 2006-01-05, times at UTC+0000)",
  );

  // A day of slack for zones: 22 hours after the file was written is this
  // year, 46 hours after is last year.
  const first = (line: string) =>
    (parser(fileInput(path), {}).parse(line) as SqlValue[])[0];
  assert.equal(first("Jan  6 10:00:00 h a: x"), "2006-01-06 10:00:00.000");
  assert.equal(first("Jan  7 10:00:00 h a: x"), "2005-01-07 10:00:00.000");

  // Standard input has no file: the current date bounds it.
  const stdin = parser({ name: "-", open: () => Promise.reject() }, {});
  const row = stdin.parse("Jan  1 00:00:00 h a: x") as SqlValue[];
  assert.equal(row[0], `${new Date().getUTCFullYear()}-01-01 00:00:00.000`);
});

Deno.test("a line stands for its repeats", () => {
  const rows = parseAll([
    "Dec 10 07:13:43 gate sshd[24227]: Failed password for root from 203.0.113.30 port 42393 ssh2",
    "Dec 10 07:13:56 gate sshd[24227]: message repeated 5 times: [ Failed password for root from 203.0.113.30 port 42393 ssh2]",
    "Dec 10 07:14:00 gate last message repeated 3 times",
    "Dec 10 07:14:01 other last message repeated 2 times",
  ], { year: 2005 }) as Record<string, SqlValue>[];
  const view = (row: Record<string, SqlValue>) => [
    row.time,
    row.host,
    row.program,
    row.event,
    row.source_ip,
    row.repeats,
    row.message,
  ];
  assert.deepEqual(rows.map(view), [
    [
      "2005-12-10 07:13:43.000",
      "gate",
      "sshd",
      "failed_password",
      "203.0.113.30",
      1,
      "Failed password for root from 203.0.113.30 port 42393 ssh2",
    ],
    [
      "2005-12-10 07:13:56.000",
      "gate",
      "sshd",
      "failed_password",
      "203.0.113.30",
      5,
      "message repeated 5 times: [ Failed password for root from 203.0.113.30 port 42393 ssh2]",
    ],
    // sysklogd's repeat has no tag; it takes its host's previous line.
    [
      "2005-12-10 07:14:00.000",
      "gate",
      "sshd",
      "failed_password",
      "203.0.113.30",
      3,
      "last message repeated 3 times",
    ],
    // Another host's repeat is not about that line.
    [
      "2005-12-10 07:14:01.000",
      "other",
      null,
      null,
      null,
      1,
      "last message repeated 2 times",
    ],
  ]);
});

Deno.test("lines that are not syslog are rejected with the reason", () => {
  const cases: [string, string][] = [
    [
      "[Sun Dec 04 04:47:44 2005] [error] an Apache error log line",
      'not syslog: expected a time stamp such as "Dec 10 06:55:46" or ' +
      '"2003-10-11T22:14:15Z" at the start, found "[Sun Dec 04 04:47:44 ' +
      '2005] [error] an Ap…"',
    ],
    [
      "Dec 10 06:55:46",
      "not syslog: no host after the time",
    ],
    [
      "Dec 10 06:5",
      'time "06:5" is not hh:mm:ss',
    ],
    [
      "Dec 32 06:55:46 gate sshd[1]: x",
      'day "32" of "Dec 32 06:55:46 gate sshd[1]: x" is not 1 to 31',
    ],
    [
      "Dec 10 24:00:00 gate sshd[1]: x",
      'time "24:00:00" is not hh:mm:ss',
    ],
    [
      "Dec 10 06:55:46.x gate sshd[1]: x",
      'time "06:55:46.x" is not hh:mm:ss.fraction',
    ],
    [
      "Dec 10 06:55:46 gate sshd[1]: \x00\x00\x00",
      "binary data: control character 0x00 at column 31",
    ],
    [
      "<192>Dec 10 06:55:46 gate sshd[1]: x",
      "priority <192> is out of range (0 to 191)",
    ],
    [
      "<x>Dec 10 06:55:46 gate sshd[1]: x",
      'not syslog: "<x>Dec 10 06:55:46 gate sshd[1]: x" starts with < but no ' +
      "<PRI>",
    ],
    [
      "2024-13-01T10:00:00Z srv sshd[1]: x",
      'time stamp "2024-13-01T10:00:00Z" is not RFC 3339 ' +
      "(2003-10-11T22:14:15.003Z)",
    ],
    [
      "<13>1 2003-10-11T22:14:15Z host",
      "RFC 5424 line ends after 2 of its 6 header fields",
    ],
    [
      "<13>1 2003-10-11T22:14:15Z host app 12 ID ",
      "RFC 5424 line ends after 5 of its 6 header fields",
    ],
    [
      '<13>1 2003-10-11T22:14:15Z h app - - [id a="b" message',
      "RFC 5424 structured data is not closed by ]",
    ],
    [
      "<13>1 2003-10-11T22:14:15Z h app - - {sd} message",
      'RFC 5424 structured data must be - or [...], found "{sd} message"',
    ],
  ];
  for (const [line, reason] of cases) {
    assert.deepEqual(parseAll([line], { year: 2005 }), [reason], line);
  }
});

Deno.test("bad parameters stop the run before anything is collected", async () => {
  const { bench } = await memoryBench();
  const connection = await bench.connect();
  const input = textInput("auth.log", "Dec 10 06:55:46 gate sshd[1]: x\n");
  const run = (params: Params) =>
    launch(connection, [input], {
      logger: silentLogger,
      reject: () => {},
      params,
    });
  await assert.rejects(
    () => run({ tz_offset: "two hours" }),
    {
      name: "UsageError",
      message: 'Cannot use "two hours" as tz_offset of the collector auth: ' +
        "expected the logs' offset from UTC as +HHMM or -HHMM, such as +0200.",
    },
  );
  await assert.rejects(() => run({ year: 1800 }), {
    name: "UsageError",
    message: "Cannot use 1800 as year of the collector auth: expected a " +
      "year from 1970 to 9999, or 0 to take it from each file.",
  });
  assert.equal(await connection.hasTable("auth"), false);
  await bench.close();
});

Deno.test("a file of good and bad lines: exact counts, reasons and rejects", async () => {
  const { bench, rejects } = await memoryBench();
  const evil = `a'b"c;-- DROP TABLE auth`;
  const huge = `Dec 10 06:55:50 gate sshd[5]: ${"A".repeat(10 << 20)}\n`;
  const bytes = concat([
    "Dec 10 06:55:46 gate sshd[1]: Failed password for root from 203.0.113.1 port 1 ssh2\r\n",
    "this is not syslog at all\n",
    new Uint8Array([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a]),
    "\n",
    "Dec 10 06:55:47 gate sshd[2]: \x00\x00binary\n",
    huge,
    `Dec 10 06:55:51 gate sshd[6]: Invalid user ${evil} from 203.0.113.2\n`,
    "Dec 10 06:55:52 gate ftpd[7]: connection from 203.0.113.3 at noon\n",
    "Dec 10 06:5", // cut off while being written: no line end
  ]);

  const report = await bench.collect("auth", [textInput("mixed.log", bytes)], {
    rejectFile: rejects,
  });
  const notSyslog = 'not syslog: expected a time stamp such as "Dec 10 ' +
    '06:55:46" or "2003-10-11T22:14:15Z" at the start, found "this is not ' +
    'syslog at all"';
  assert.deepEqual(report.failures, [
    { file: "mixed.log", line: 2, reason: notSyslog },
    { file: "mixed.log", line: 3, reason: "not UTF-8 text (at byte 2)" },
    {
      file: "mixed.log",
      line: 5,
      reason: "binary data: control character 0x00 at column 31",
    },
    {
      file: "mixed.log",
      line: 6,
      reason: `line is ${huge.length - 1} bytes, longer than the 65536 ` +
        "this collector accepts",
    },
    { file: "mixed.log", line: 9, reason: 'time "06:5" is not hh:mm:ss' },
  ]);
  assert.equal(report.inserted, 3);
  assert.equal(report.failed, 5);
  assert.equal(report.files[0].lines, 9);

  const records = Deno.readTextFileSync(rejects).trim().split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(records.map((r) => [r.collector, r.line]), [
    ["auth", 2],
    ["auth", 3],
    ["auth", 5],
    ["auth", 6],
    ["auth", 9],
  ]);
  assert.equal(records[0].text, "this is not syslog at all");
  assert.equal(records[1].base64, "AP/+Ezc=");
  assert.equal(records[3].text, huge.slice(0, -1));
  assert.equal(records[4].text, "Dec 10 06:5");

  // Log text is bound, never spliced: the user name is stored verbatim.
  const stored = await bench.query(
    "SELECT program, event, username, source_ip FROM auth ORDER BY time",
  );
  assert.deepEqual(stored.rows, [
    ["sshd", "failed_password", "root", "203.0.113.1"],
    ["sshd", "invalid_user", evil, "203.0.113.2"],
    ["ftpd", null, null, null],
  ]);
  await bench.close();
});

Deno.test("a resumed collection dates its new lines after the ones it skipped", async () => {
  const { bench, dir } = await memoryBench();
  const connection = await bench.connect();
  const path = join(dir, "auth.log");
  // Over 64 KiB, so that the grown file keeps its fingerprint and resumes.
  const december = Array.from({ length: 1000 }, (_, i) => {
    const clock = new Date(Date.UTC(2005, 11, 31, 23, 0, i * 3))
      .toISOString().slice(11, 19);
    return `Dec 31 ${clock} gate sshd[${1000 + i}]: Failed password for ` +
      `root from 203.0.113.${i % 250} port ${20000 + i} ssh2\n`;
  });
  Deno.writeTextFileSync(path, december.join(""));
  const collect = () =>
    launch(connection, [fileInput(path)], {
      logger: silentLogger,
      reject: () => {},
      params: { year: 2005, tz_offset: "+0000" },
    });

  const first = await collect();
  assert.deepEqual([first.inserted, first.failed], [1000, 0]);
  Deno.writeTextFileSync(
    path,
    "Jan  1 00:00:05 gate sshd[3000]: Accepted publickey for ops from " +
      "192.0.2.10 port 50000 ssh2\n",
    { append: true },
  );
  const second = await collect();
  assert.deepEqual(
    [second.inserted, second.failed, second.files[0].skipped],
    [1, 0, 1000],
  );

  // Had the skipped lines not been seen, the year parameter would have
  // put the January line at the start of 2005.
  const years = await bench.query(
    `SELECT SUBSTR(time, 1, 4) AS year, COUNT(*) FROM auth
     GROUP BY SUBSTR(time, 1, 4) ORDER BY year`,
  );
  assert.deepEqual(years.rows, [["2005", 1000], ["2006", 1]]);
  await bench.close();
});

/** A tiny RFC 4180 reader for loghub's *_structured.csv files. */
function readCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n") {
      rows.push([...row, field.replace(/\r$/, "")]);
      row = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  const [header, ...body] = rows;
  return body.map((cells) =>
    Object.fromEntries(header.map((name, i) => [name, cells[i]]))
  );
}

const MONTH_NUMBERS: Record<string, string> = Object.fromEntries(
  ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"]
    .concat(["Nov", "Dec"])
    .map((month, i) => [month, String(i + 1).padStart(2, "0")]),
);

datasetTest("every loghub line's header matches the structured CSV", () => {
  // loghub names columns differently per file: OpenSSH's Component is the
  // host and it has no program; Linux's Level is the host. Its Content is
  // the message with surrounding spaces trimmed.
  const layouts = [
    { log: OPENSSH, month: "Date", day: "Day", host: "Component", pid: "Pid" },
    {
      log: LINUX,
      month: "Month",
      day: "Date",
      host: "Level",
      pid: "PID",
      program: "Component",
    },
  ];
  for (const layout of layouts) {
    const truth = readCsv(
      Deno.readTextFileSync(`${layout.log}_structured.csv`),
    );
    const lines = Deno.readTextFileSync(layout.log).split("\r\n");
    assert.equal(lines.length, 2000);
    assert.equal(truth.length, 2000);

    const rows = parseAll(lines, { year: 2005 });
    rows.forEach((row, i) => {
      const want = truth[i];
      assert.equal(typeof row, "object", `${layout.log}:${i + 1}: ${row}`);
      const got = row as Record<string, SqlValue>;
      const day = want[layout.day].padStart(2, "0");
      assert.deepEqual(
        [
          got.time,
          got.host,
          layout.program ? got.program : "-",
          got.pid,
          String(got.message).trim(),
        ],
        [
          `2005-${MONTH_NUMBERS[want[layout.month]]}-${day} ${want.Time}.000`,
          want[layout.host],
          layout.program ? want[layout.program] : "-",
          want[layout.pid] === "" ? null : Number(want[layout.pid]),
          want.Content,
        ],
        `${layout.log}:${i + 1}`,
      );
    });
  }
});

/** The rows of a query, as arrays. */
async function grouped(bench: Workbench, sql: string): Promise<SqlValue[][]> {
  return (await bench.query(sql)).rows;
}

datasetTest(
  "OpenSSH_2k.log: every line a row, and the brute force in it",
  async () => {
    const { bench, rejects } = await memoryBench();
    const report = await bench.collect("auth", [OPENSSH], {
      rejectFile: rejects,
    });
    // 2,000 lines (wc -l says 1,999: no final newline), all syslog.
    const [file] = report.files;
    assert.deepEqual(
      [file.lines, file.inserted, file.failed, report.rejectFile],
      [2000, 2000, 0, undefined],
    );
    assert.match(
      file.detail!,
      /^BSD syslog: 2000 lines from \d{4}-12-10 to \d{4}-12-10 \(year from the file's modification time, \d{4}-\d\d-\d\d, times at UTC\+0000\)$/,
    );

    // Each count is `grep -cF '<text>' OpenSSH_2k.log` for the text that
    // defines the event: "Failed password" (518 lines, and 2 inside "message
    // repeated"), "Failed none", "Accepted password", "pam_unix(sshd:auth):
    // authentication failure;", "check pass; user unknown", ": Invalid user ",
    // "input_userauth_request: invalid user", "POSSIBLE BREAK-IN ATTEMPT",
    // "Received disconnect from" (421, and 47 after "error: "), "Connection
    // closed by", "Did not receive identification string", "more
    // authentication failure", "Too many authentication failures", "session
    // opened", "session closed". The 8 left are "PAM service(sshd) ignoring
    // max retries" (7) and "fatal: Write failed" (1).
    const events = await grouped(
      bench,
      `SELECT COALESCE(event, '-'), COUNT(*) FROM auth
     GROUP BY COALESCE(event, '-') ORDER BY 1`,
    );
    assert.deepEqual(events, [
      ["-", 8],
      ["accepted_password", 1],
      ["auth_failure", 494],
      ["break_in_attempt", 85],
      ["connection_closed", 34],
      ["disconnect", 468],
      ["failed_other", 4],
      ["failed_password", 520],
      ["invalid_user", 113],
      ["invalid_user_request", 113],
      ["more_auth_failures", 10],
      ["no_identification", 10],
      ["session_closed", 1],
      ["session_opened", 1],
      ["too_many_failures", 3],
      ["unknown_user", 135],
    ]);

    // grep "Failed password" | grep -o 'from [0-9.]*' | sort | uniq -c. The
    // dataset's notes say 17 for 5.188.10.180; grep finds 18, one of them
    // for the user " 0101" (two spaces), which splitting on blanks miscounts.
    const sources = await grouped(
      bench,
      `SELECT source_ip, COUNT(*) AS attempts FROM auth
     WHERE event = 'failed_password'
     GROUP BY source_ip ORDER BY attempts DESC, source_ip LIMIT 5`,
    );
    assert.deepEqual(sources, [
      ["183.62.140.253", 286],
      ["187.141.143.180", 80],
      ["103.99.0.122", 46],
      ["112.95.230.3", 26],
      ["5.188.10.180", 18],
    ]);

    // 518 single lines plus two "message repeated 5 times"; 135 of the 520
    // name an invalid user (grep "Failed password for invalid user"); 487
    // ports (grep "Failed password" | grep -o ' port [0-9]* ssh2' | sort -u).
    const failed = await grouped(
      bench,
      `SELECT SUM(repeats), SUM(invalid_user), COUNT(DISTINCT source_port)
     FROM auth WHERE event = 'failed_password'`,
    );
    assert.deepEqual(failed, [[528, 135, 487]]);

    const accepted = await grouped(
      bench,
      `SELECT SUBSTR(time, 6), host, pid, username, source_ip, source_port,
     auth_method FROM auth WHERE outcome = 'success' AND event LIKE 'acc%'`,
    );
    assert.deepEqual(accepted, [
      [
        "12-10 09:32:20.000",
        "LabSZ",
        24680,
        "fztu",
        "119.137.62.142",
        49116,
        "password",
      ],
    ]);

    // The user with a leading space keeps it (grep "user  0101": 3 lines).
    const spaced = await grouped(
      bench,
      `SELECT event, COUNT(*) FROM auth WHERE username = ' 0101'
     GROUP BY event ORDER BY event`,
    );
    assert.deepEqual(spaced, [
      ["failed_password", 1],
      ["invalid_user", 1],
      ["invalid_user_request", 1],
    ]);
    await bench.close();
  },
);

datasetTest(
  "Linux_2k.log: every line a row, pam_unix failures by rhost",
  async () => {
    const { bench, rejects } = await memoryBench();
    const report = await bench.collect("auth", [LINUX], {
      rejectFile: rejects,
    });
    const [file] = report.files;
    assert.deepEqual(
      [file.lines, file.inserted, file.failed],
      [2000, 2000, 0],
    );

    // grep -cF "authentication failure;" (489 sshd(pam_unix), 1 gdm),
    // "check pass; user unknown", "session opened", "session closed"; the
    // other 1,147 lines (ftpd, kernel, ...) are rows without an event.
    const events = await grouped(
      bench,
      `SELECT COALESCE(event, '-'), COUNT(*) FROM auth
     GROUP BY COALESCE(event, '-') ORDER BY 1`,
    );
    assert.deepEqual(events, [
      ["-", 1147],
      ["auth_failure", 490],
      ["session_closed", 123],
      ["session_opened", 123],
      ["unknown_user", 117],
    ]);

    // grep "authentication failure;" | grep -o 'rhost=[^ ]*' | sort | uniq -c
    const rhosts = await grouped(
      bench,
      `SELECT source_ip, COUNT(*) AS failures FROM auth
     WHERE event = 'auth_failure'
     GROUP BY source_ip ORDER BY failures DESC, source_ip LIMIT 4`,
    );
    assert.deepEqual(rhosts, [
      ["150.183.249.110", 80],
      ["207.243.167.114", 23],
      ["n219076184117.netvigator.com", 23],
      ["60.30.224.116", 20],
    ]);

    // grep "authentication failure;" | grep -o ' user=.*' | sort | uniq -c;
    // the one failure with an empty rhost is gdm's, on the console.
    const users = await grouped(
      bench,
      `SELECT COALESCE(username, '-'), COUNT(*), COUNT(source_ip) FROM auth
     WHERE event = 'auth_failure'
     GROUP BY COALESCE(username, '-') ORDER BY 1`,
    );
    assert.deepEqual(users, [
      ["-", 118, 117],
      ["guest", 17, 17],
      ["root", 351, 351],
      ["test", 4, 4],
    ]);

    // awk '{print $5}' | sed 's/\[.*//; s/:$//' | sort | uniq -c | sort -rn
    const programs = await grouped(
      bench,
      `SELECT program, COUNT(*) AS lines FROM auth
     GROUP BY program ORDER BY lines DESC, program LIMIT 4`,
    );
    assert.deepEqual(programs, [
      ["ftpd", 916],
      ["sshd(pam_unix)", 677],
      ["su(pam_unix)", 172],
      ["kernel", 76],
    ]);
    await bench.close();
  },
);

/** Both datasets collected, the whole table sorted independently of SQL. */
async function collectDatasets(bench: Workbench): Promise<SqlValue[][]> {
  const rejects = join(Deno.makeTempDirSync(), "rejects.ndjson");
  const report = await bench.collect("auth", [OPENSSH, LINUX], {
    rejectFile: rejects,
  });
  assert.deepEqual(
    report.files.map((f) => [f.inserted, f.failed]),
    [[2000, 0], [2000, 0]],
  );
  const { rows } = await bench.query("SELECT * FROM auth");
  const key = (row: SqlValue[]) => JSON.stringify(row);
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

let reference: Promise<SqlValue[][]> | undefined;

/** The rows SQLite holds after collecting both datasets. */
function sqliteRows(): Promise<SqlValue[][]> {
  reference ??= (async () => {
    const { bench } = await memoryBench();
    try {
      return await collectDatasets(bench);
    } finally {
      await bench.close();
    }
  })();
  return reference;
}

for (const kind of ["postgres", "mysql", "mysql-insert"] as Kind[]) {
  const skip = HAVE_DATASETS
    ? unavailable(kind)
    : "skipped: datasets not found";
  Deno.test({
    name: `the datasets give SQLite's rows on ${kind}${
      skip ? ` (${skip})` : ""
    }`,
    ignore: skip !== undefined,
    async fn() {
      const expected = await sqliteRows();
      assert.equal(expected.length, 4000);
      const target = await createTarget(kind);
      const bench = await target.open();
      try {
        assert.deepEqual(await collectDatasets(bench), expected);
      } finally {
        await bench.close();
        await target.drop();
      }
    },
  });
}
