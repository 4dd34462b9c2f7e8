/**
 * The authentication analyzers, ssh_bruteforce and password_spraying:
 * exact rows on small sshd, Zeek and Windows logs written here, and on
 * the real OpenSSH and Linux logs of loghub the known brute forcer ranks
 * first, with every count equal to one read straight from the raw lines.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { SqlValue } from "../engine/types.ts";
import type { Workbench } from "../engine/workbench.ts";
import { dataset, onEveryDatabase } from "./helpers/datasets.ts";

const two = (n: number) => String(n).padStart(2, "0");

/** A syslog time on 11 March (brute force) or 12 March (spraying). */
function clock(day: number, seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  return `Mar ${day} ${two(h)}:${two(m)}:${two(seconds % 60)}`;
}

/** Seconds after midnight of HH:MM:SS. */
function at(time: string): number {
  const [h, m, s] = time.split(":").map(Number);
  return h * 3600 + m * 60 + s;
}

/** A Gummer time stamp in March 2030. */
const stamp = (day: number, time: string) => `2030-03-${day} ${time}.000`;

let pid = 1000;

/** An sshd line on host fx, `seconds` after midnight of the day. */
function sshd(day: number, seconds: number, message: string): string {
  return `${clock(day, seconds)} fx sshd[${pid++}]: ${message}`;
}

function failed(user: string, source: string, port = 40000): string {
  return `Failed password for ${user} from ${source} port ${port} ssh2`;
}

const PAM = "pam_unix(sshd:auth): authentication failure; logname= uid=0 " +
  "euid=0 tty=ssh ruser= rhost=";

/** Brute force on 11 March. */
const BRUTE = [
  // A: six failures in a minute, each also logged by pam_unix, then a
  // success: counted once per attempt, and ranked above bigger sources.
  ...[0, 10, 20, 30, 40, 50].flatMap((s) => [
    sshd(11, at("10:00:00") + s, `${PAM}198.51.100.7  user=root`),
    sshd(11, at("10:00:00") + s, failed("root", "198.51.100.7", 4000 + s)),
  ]),
  sshd(
    11,
    at("10:01:30"),
    "Accepted password for root from 198.51.100.7 " +
      "port 4100 ssh2",
  ),
  // B: three accounts that do not exist, then root with rsyslog's
  // "message repeated": 3 + 1 + 3 failures.
  ...["guest", "test", "oracle"].flatMap((user, i) => [
    sshd(11, at("10:10:00") + 5 * i, `Invalid user ${user} from 198.51.100.8`),
    sshd(
      11,
      at("10:10:00") + 5 * i,
      failed(`invalid user ${user}`, "198.51.100.8"),
    ),
  ]),
  sshd(11, at("10:10:15"), failed("root", "198.51.100.8", 5000)),
  sshd(
    11,
    at("10:10:20"),
    "message repeated 3 times: [ " +
      `${failed("root", "198.51.100.8", 5000)}]`,
  ),
  // C: eight failures three minutes apart: never five in ten minutes.
  ...Array.from(
    { length: 8 },
    (_, i) =>
      sshd(11, at("10:20:00") + 180 * i, failed("admin", "198.51.100.9")),
  ),
  // D: five failures spanning exactly ten minutes: both ends count.
  ...[0, 150, 300, 450, 600].map((s) =>
    sshd(11, at("11:00:00") + s, failed("admin", "198.51.100.10"))
  ),
  // E: a client offering ten keys that do not fit: not guessing.
  ...Array.from(
    { length: 10 },
    (_, i) =>
      sshd(
        11,
        at("11:30:00") + i,
        "Failed publickey for deploy from " +
          "198.51.100.11 port 6000 ssh2: RSA SHA256:abc",
      ),
  ),
  // F: an old sshd that logs through PAM only, on another host.
  ...Array.from(
    { length: 5 },
    (_, i) =>
      `${clock(11, at("12:00:00") + i)} old sshd(pam_unix)[900]: ` +
      "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= " +
      "rhost=203.0.113.5  user=admin",
  ),
];

/** Spraying on 12 March. */
const SPRAY = [
  // S1: one failure on each of six accounts, six on root, then a logon
  // to one of the six.
  ...["alice", "bob", "carol", "dave", "erin", "frank"].map((user, i) =>
    sshd(12, at("14:00:00") + i, failed(user, "203.0.113.20"))
  ),
  ...Array.from(
    { length: 6 },
    (_, i) => sshd(12, at("14:01:00") + i, failed("root", "203.0.113.20")),
  ),
  sshd(
    12,
    at("14:05:00"),
    "Accepted password for carol from 203.0.113.20 " +
      "port 40001 ssh2",
  ),
  // S2: four accounts only.
  ...["alice", "bob", "carol", "dave"].map((user, i) =>
    sshd(12, at("15:00:00") + i, failed(user, "203.0.113.21"))
  ),
];

/** Zeek's view of a honeypot on 11 March, JSON lines. */
const ZEEK_SSH = [
  ...[0, 10, 20, 30, 40, 50].map((s) => zeekSsh(s, "192.0.2.50", false, 1)),
  zeekSsh(90, "192.0.2.50", true, 2),
  // Zeek could not tell the outcome: not counted.
  ...Array.from({ length: 10 }, (_, i) => zeekSsh(i, "192.0.2.51")),
];

function zeekSsh(
  seconds: number,
  source: string,
  success?: boolean,
  attempts?: number,
): string {
  const ts = Date.UTC(2030, 2, 11, 13, 0, seconds) / 1000;
  return JSON.stringify({
    _path: "ssh",
    ts,
    uid: `C${source}${seconds}`,
    "id.orig_h": source,
    "id.orig_p": 50000 + seconds,
    "id.resp_h": "192.0.2.1",
    "id.resp_p": 22,
    version: 2,
    ...(success === undefined ? {} : { auth_success: success }),
    ...(attempts === undefined ? {} : { auth_attempts: attempts }),
    direction: "INBOUND",
  });
}

/** A Windows Security event on 12 March, flattened as OTRF exports it. */
function security(
  id: number,
  time: string,
  fields: Record<string, string>,
): string {
  return JSON.stringify({
    Hostname: "DC1.corp.example",
    Channel: "Security",
    EventID: id,
    TimeCreated: `2030-03-12T${time}.000Z`,
    ...fields,
  });
}

const WINDOWS = [
  // 10.0.0.66: once on five accounts, six times on frank, then bob logs on.
  ...["alice", "bob", "carol", "dave", "erin"].map((user, i) =>
    security(4625, `09:00:0${i}`, {
      TargetUserName: user,
      IpAddress: "10.0.0.66",
      LogonType: "3",
    })
  ),
  ...Array.from({ length: 6 }, (_, i) =>
    security(4625, `09:01:0${i}`, {
      TargetUserName: "frank",
      IpAddress: "10.0.0.66",
      LogonType: "3",
    })),
  security(4624, "09:05:00", {
    TargetUserName: "bob",
    IpAddress: "10.0.0.66",
    LogonType: "3",
  }),
  // 10.0.0.77, Kerberos: Alice and alice are one account.
  ...["Alice", "alice", "greg", "hank", "ivan", "judy"].map((user, i) =>
    security(4771, `10:00:0${i}`, {
      TargetUserName: user,
      ServiceName: "krbtgt",
      IpAddress: "::ffff:10.0.0.77",
    })
  ),
  // 10.0.0.88: four accounts only.
  ...["alice", "bob", "carol", "dave"].map((user, i) =>
    security(4625, `11:00:0${i}`, {
      TargetUserName: user,
      IpAddress: "10.0.0.88",
      LogonType: "3",
    })
  ),
  // NTLM checks on the DC: WKS-EVIL (written three ways) fails once on
  // each of five accounts, one of them unknown, then liam's password works.
  ...["kate", "liam", "mia", "noah", "olivia"].map((user, i) =>
    security(4776, `12:00:0${i}`, {
      PackageName: "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
      TargetUserName: user,
      Workstation: ["WKS-EVIL", "\\\\WKS-EVIL", "wks-evil"][i % 3],
      Status: user === "olivia" ? "0xC0000064" : "0xc000006a",
    })
  ),
  security(4776, "12:05:00", {
    TargetUserName: "liam",
    Workstation: "WKS-EVIL",
    Status: "0x0",
  }),
  // WKS-OK: two mistyped passwords and the right ones, nothing sprayed.
  ...["kate", "kate", "liam"].map((user, i) =>
    security(4776, `12:10:0${i}`, {
      TargetUserName: user,
      Workstation: "WKS-OK",
      Status: i < 2 ? "0xc000006a" : "0x0",
    })
  ),
];

const BRUTE_DAY = { since: "2030-03-11", until: "2030-03-12" };
const SPRAY_DAY = { since: "2030-03-12", until: "2030-03-13" };
const REAL = { until: "2016-01-01" };

const OPENSSH = "loghub-linux-ssh/OpenSSH";
const LINUX = "loghub-linux-ssh/Linux";
const HONEYPOT = "stratosphere-ctu/007-zeek-scenario-ssh-infected/ssh.log";
const HONEYPOT_DAYS = { since: "2020-09-01", until: "2020-10-01" };

async function rows(
  bench: Workbench,
  aid: string,
  params: Record<string, string | number>,
): Promise<SqlValue[][]> {
  return (await bench.analyze(aid, { params })).rows;
}

onEveryDatabase("auth analyzers", [
  { collector: "auth", paths: [OPENSSH, LINUX], params: { year: "2015" } },
  {
    collector: "auth",
    files: { "fixture-auth.log": [...BRUTE, ...SPRAY] },
    params: { year: "2030" },
  },
  { collector: "zeek", paths: [HONEYPOT], files: { "ssh.log": ZEEK_SSH } },
  { collector: "windows", files: { "security.json": WINDOWS } },
], async (bench, _kind, t) => {
  await t.step("ssh_bruteforce: fixture rows, successes first", async () => {
    const result = await bench.analyze("ssh_bruteforce", {
      params: BRUTE_DAY,
    });
    assert.deepEqual(result.columns, [
      "source_ip",
      "log",
      "failures",
      "peak_failures_10m",
      "users_tried",
      "invalid_users",
      "successes",
      "accounts",
      "targets",
      "first_seen",
      "last_seen",
    ]);
    assert.deepEqual(result.rows, [
      [
        "192.0.2.50",
        "zeek_ssh",
        7,
        7,
        null,
        null,
        1,
        null,
        1,
        stamp(11, "13:00:00"),
        stamp(11, "13:01:30"),
      ],
      [
        "198.51.100.7",
        "auth",
        6,
        6,
        1,
        0,
        1,
        "root",
        1,
        stamp(11, "10:00:00"),
        stamp(11, "10:01:30"),
      ],
      [
        "198.51.100.8",
        "auth",
        7,
        7,
        4,
        3,
        0,
        null,
        1,
        stamp(11, "10:10:00"),
        stamp(11, "10:10:20"),
      ],
      [
        "198.51.100.10",
        "auth",
        5,
        5,
        1,
        0,
        0,
        null,
        1,
        stamp(11, "11:00:00"),
        stamp(11, "11:10:00"),
      ],
      [
        "203.0.113.5",
        "auth",
        5,
        5,
        1,
        0,
        0,
        null,
        1,
        stamp(11, "12:00:00"),
        stamp(11, "12:00:04"),
      ],
    ]);
  });

  await t.step("ssh_bruteforce: min_failures and limit", async () => {
    const four = await rows(bench, "ssh_bruteforce", {
      ...BRUTE_DAY,
      min_failures: 4,
    });
    // C reaches four in ten minutes (10:20, 10:23, 10:26, 10:29).
    assert.deepEqual(four.find((row) => row[0] === "198.51.100.9"), [
      "198.51.100.9",
      "auth",
      8,
      4,
      1,
      0,
      0,
      null,
      1,
      stamp(11, "10:20:00"),
      stamp(11, "10:41:00"),
    ]);
    assert.equal(four.length, 6);
    const two = await rows(bench, "ssh_bruteforce", { ...BRUTE_DAY, limit: 2 });
    assert.deepEqual(two.map((row) => row[0]), ["192.0.2.50", "198.51.100.7"]);
  });

  await t.step("ssh_bruteforce: 183.62.140.253 first on loghub", async () => {
    const found = await rows(bench, "ssh_bruteforce", { ...REAL, limit: 50 });
    assert.deepEqual(found, rawBruteForce());
    assert.deepEqual(found[0].slice(0, 7), [
      "183.62.140.253",
      "auth",
      286,
      279,
      10,
      8,
      0,
    ]);
  });

  await t.step("ssh_bruteforce: Zeek's password guesser first", async () => {
    // Zeek's own notice.log names 45.141.84.126 as guessing passwords on
    // the honeypot; it also got in.
    const found = await rows(bench, "ssh_bruteforce", {
      ...HONEYPOT_DAYS,
      limit: 50,
    });
    assert.deepEqual(found, rawZeekBruteForce());
    assert.deepEqual(found[0].slice(0, 7), [
      "45.141.84.126",
      "zeek_ssh",
      88,
      52,
      null,
      null,
      1,
    ]);
  });

  await t.step("password_spraying: fixture rows", async () => {
    const result = await bench.analyze("password_spraying", {
      params: SPRAY_DAY,
    });
    assert.deepEqual(result.columns, [
      "source",
      "log",
      "sprayed_accounts",
      "accounts",
      "failures",
      "max_per_account",
      "accounts_logged_on",
      "targets",
      "first_seen",
      "last_seen",
    ]);
    assert.deepEqual(result.rows, [
      [
        "203.0.113.20",
        "auth",
        6,
        7,
        12,
        6,
        1,
        1,
        stamp(12, "14:00:00"),
        stamp(12, "14:05:00"),
      ],
      [
        "10.0.0.66",
        "windows",
        5,
        6,
        11,
        6,
        1,
        1,
        stamp(12, "09:00:00"),
        stamp(12, "09:05:00"),
      ],
      [
        "wks-evil",
        "ntlm",
        5,
        5,
        5,
        1,
        1,
        1,
        stamp(12, "12:00:00"),
        stamp(12, "12:05:00"),
      ],
      [
        "10.0.0.77",
        "windows",
        5,
        5,
        6,
        2,
        0,
        1,
        stamp(12, "10:00:00"),
        stamp(12, "10:00:05"),
      ],
    ]);
  });

  await t.step("password_spraying: thresholds are parameters", async () => {
    const four = await rows(bench, "password_spraying", {
      ...SPRAY_DAY,
      min_accounts: 4,
    });
    assert.deepEqual(four.map((row) => [row[0], row[2]]), [
      ["203.0.113.20", 6],
      ["10.0.0.66", 5],
      ["wks-evil", 5],
      ["10.0.0.77", 5],
      ["10.0.0.88", 4],
      ["203.0.113.21", 4],
    ]);
    // With one failure per account allowed, Alice-and-alice drops out.
    const once = await rows(bench, "password_spraying", {
      ...SPRAY_DAY,
      max_per_account: 1,
    });
    assert.deepEqual(once.map((row) => [row[0], row[2]]), [
      ["203.0.113.20", 6],
      ["10.0.0.66", 5],
      ["wks-evil", 5],
    ]);
  });

  await t.step("password_spraying: loghub's user-name sweeps", async () => {
    const found = await rows(bench, "password_spraying", {
      ...REAL,
      limit: 50,
    });
    assert.deepEqual(found, rawSprays());
    assert.equal(found[0][0], "187.141.143.180");
  });
});

/** One guess read from a raw loghub line. */
interface Guess {
  source: string;
  /** The account; "" when the line names none (pam_unix without user=). */
  user: string;
  invalid: boolean;
  /** Attempts the line stands for; 0 for "Invalid user" probes. */
  n: number;
  time: string;
}

/**
 * The guesses in the loghub files, read with regular expressions of our
 * own rather than the collector. OpenSSH logs each attempt itself, so its
 * Failed lines count and PAM's do not; the Linux host's sshd logs through
 * PAM only.
 */
function rawGuesses(): Guess[] {
  const guesses: Guess[] = [];
  const failed = /Failed (\S+) for (invalid user )?(.*) from (\S+) port \d+/;
  const probe = /sshd\[\d+\]: Invalid user (.*) from (\S+)\s*$/;
  for (const line of rawLines(OPENSSH, "OpenSSH_2k.log")) {
    const match = failed.exec(line);
    if (match && match[1] !== "publickey") {
      const repeated = /message repeated (\d+) times/.exec(line);
      guesses.push({
        source: match[4],
        user: match[3],
        invalid: match[2] !== undefined,
        n: repeated ? Number(repeated[1]) : 1,
        time: timeOf(line),
      });
    }
    const invalid = probe.exec(line);
    if (invalid) {
      guesses.push({
        source: invalid[2],
        user: invalid[1],
        invalid: true,
        n: 0,
        time: timeOf(line),
      });
    }
  }
  const pam =
    /sshd\(pam_unix\).*authentication failure;.* rhost=(\S+)(?:\s+user=(\S+))?/;
  for (const line of rawLines(LINUX, "Linux_2k.log")) {
    const match = pam.exec(line);
    if (!match) continue;
    guesses.push({
      source: match[1],
      user: match[2] ?? "",
      invalid: false,
      n: 1,
      time: timeOf(line),
    });
  }
  return guesses;
}

function bySource(guesses: Guess[]): Map<string, Guess[]> {
  const sources = new Map<string, Guess[]>();
  for (const guess of guesses) {
    sources.set(guess.source, [...sources.get(guess.source) ?? [], guess]);
  }
  return sources;
}

/**
 * ssh_bruteforce's rows by its rules: the most failures within any ten
 * minutes (both ends included) at least 5. No source logs on after
 * failing in these files, so failures and the peak alone rank them.
 */
function rawBruteForce(): SqlValue[][] {
  const rows: SqlValue[][] = [];
  for (const [source, guesses] of bySource(rawGuesses())) {
    const ms = (g: Guess) => Date.parse(g.time.replace(" ", "T") + "Z");
    const sorted = [...guesses].sort((a, b) => ms(a) - ms(b));
    let peak = 0;
    for (const end of sorted) {
      const inside = sorted.filter((g) =>
        ms(g) <= ms(end) && ms(g) >= ms(end) - 600_000
      );
      peak = Math.max(peak, inside.reduce((sum, g) => sum + g.n, 0));
    }
    if (peak < 5) continue;
    const users = new Set(guesses.filter((g) => g.user).map((g) => g.user));
    const invalid = new Set(
      guesses.filter((g) => g.invalid).map((g) => g.user),
    );
    const failures = guesses.filter((g) => g.n > 0);
    rows.push([
      source,
      "auth",
      failures.reduce((sum, g) => sum + g.n, 0),
      peak,
      users.size,
      invalid.size,
      0,
      null,
      1,
      failures.map((g) => g.time).sort()[0],
      guesses.map((g) => g.time).sort().at(-1)!,
    ]);
  }
  return rows.sort((a, b) =>
    Number(b[2]) - Number(a[2]) || Number(b[3]) - Number(a[3]) ||
    (a[0]! < b[0]! ? -1 : 1)
  );
}

/**
 * ssh_bruteforce's rows from the honeypot's ssh.log, read as JSON here:
 * a connection Zeek judged failed is all failures, one it judged
 * successful is failures but its last attempt.
 */
function rawZeekBruteForce(): SqlValue[][] {
  const byOrigin = new Map<string, { ms: number; failed: number }[]>();
  const logons = new Map<string, number[]>();
  for (const line of rawLines(HONEYPOT, "")) {
    if (!line.trim()) continue;
    const conn = JSON.parse(line);
    const attempts = Number(conn.auth_attempts ?? 0);
    if (conn.auth_success == null || attempts <= 0) continue;
    const origin = conn["id.orig_h"];
    const ms = Math.floor(conn.ts * 1000);
    if (conn.auth_success) {
      logons.set(origin, [...logons.get(origin) ?? [], ms]);
    }
    const failed = conn.auth_success ? attempts - 1 : attempts;
    if (failed === 0) continue;
    byOrigin.set(origin, [...byOrigin.get(origin) ?? [], { ms, failed }]);
  }

  const rows: SqlValue[][] = [];
  const time = (ms: number) =>
    new Date(ms).toISOString().replace("T", " ").slice(0, 23);
  for (const [origin, failures] of byOrigin) {
    const peak = Math.max(
      ...failures.map((end) =>
        failures.filter((f) => f.ms <= end.ms && f.ms >= end.ms - 600_000)
          .reduce((sum, f) => sum + f.failed, 0)
      ),
    );
    if (peak < 5) continue;
    const first = Math.min(...failures.map((f) => f.ms));
    const after = (logons.get(origin) ?? []).filter((ms) => ms >= first);
    const last = Math.max(...failures.map((f) => f.ms), ...after);
    rows.push([
      origin,
      "zeek_ssh",
      failures.reduce((sum, f) => sum + f.failed, 0),
      peak,
      null,
      null,
      after.length,
      null,
      1,
      time(first),
      time(last),
    ]);
  }
  return rows.sort((a, b) =>
    Number(Number(b[6]) > 0) - Number(Number(a[6]) > 0) ||
    Number(b[2]) - Number(a[2]) || Number(b[3]) - Number(a[3]) ||
    (a[0]! < b[0]! ? -1 : 1)
  ).slice(0, 50);
}

/** password_spraying's rows by its rules, computed from the raw lines. */
function rawSprays(): SqlValue[][] {
  const rows: SqlValue[][] = [];
  for (const [source, guesses] of bySource(rawGuesses())) {
    const failures = guesses.filter((g) => g.n > 0 && g.user !== "");
    const perUser = new Map<string, number>();
    for (const g of failures) {
      perUser.set(g.user, (perUser.get(g.user) ?? 0) + g.n);
    }
    const sprayed = [...perUser.values()].filter((n) => n <= 4).length;
    if (sprayed < 5) continue;
    const times = failures.map((g) => g.time).sort();
    rows.push([
      source,
      "auth",
      sprayed,
      perUser.size,
      failures.reduce((sum, g) => sum + g.n, 0),
      Math.max(...perUser.values()),
      0,
      1,
      times[0],
      times.at(-1)!,
    ]);
  }
  return rows.sort((a, b) =>
    Number(b[2]) - Number(a[2]) || Number(b[4]) - Number(a[4]) ||
    (a[0]! < b[0]! ? -1 : 1)
  );
}

function rawLines(folder: string, file: string): string[] {
  return readFileSync(dataset(folder, file), "utf8").split(/\r?\n/);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug"]
  .concat(["Sep", "Oct", "Nov", "Dec"]);

/** The time stamp of a loghub line: both files lie within 2015. */
function timeOf(line: string): string {
  const month = two(MONTHS.indexOf(line.slice(0, 3)) + 1);
  const day = two(Number(line.slice(4, 6).trim()));
  return `2015-${month}-${day} ${line.slice(7, 15)}.000`;
}
