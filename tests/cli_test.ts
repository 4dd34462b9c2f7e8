/**
 * The command line, run as a hunter runs it: a subprocess in its own
 * working folder, checked for stdout, stderr and exit status.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadRegistry } from "../engine/registry.ts";
import { moduleSource, ROOT, tempTree } from "./helpers/temp.ts";

const ENTRY = join(ROOT, "gummer.ts");
const NATIVE_LINE =
  "1762071300.123    145 10.20.1.5 TCP_MISS/200 5123 GET http://203.0.113.9/a - HIER_DIRECT/203.0.113.9 text/html";
const EXTENDED_LINES = [
  "1762071300.000 10 10.20.1.5 TCP_MISS/200 500 900 GET http://203.0.113.9/a - HIER_DIRECT/203.0.113.9 text/html",
  "1762071301.000 20 10.20.1.6 TCP_MISS/200 500 800 GET http://203.0.113.9/b - HIER_DIRECT/203.0.113.9 text/html",
  "1762071302.000 30 10.20.1.5 TCP_MISS/200 500 700 GET http://198.51.100.7/c - HIER_DIRECT/198.51.100.7 text/html",
  "1762071303.000 40 10.20.1.5 TCP_MISS/200 500 600 GET http://www.example.com/ - HIER_DIRECT/93.184.216.34 text/html",
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs gummer in `cwd` with only the given environment (plus PATH/HOME). */
async function gummer(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; stdin?: string },
): Promise<Run> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
    NO_COLOR: "1",
    ...options.env,
  };
  const deno = Deno.env.get("DENO_DIR");
  if (deno) env.DENO_DIR = deno;
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ENTRY, ...args],
    cwd: options.cwd,
    env,
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/** A working folder holding an extended-format log and nothing else. */
function workFolder(extra: Record<string, string> = {}): string {
  return tempTree({ "access.log": `${EXTENDED_LINES.join("\n")}\n`, ...extra });
}

/** A working folder whose gummer.db already holds the extended log. */
async function collected(extra: Record<string, string> = {}): Promise<string> {
  const cwd = workFolder(extra);
  const run = await gummer(["-c", "squid", "access.log"], { cwd });
  assert.equal(run.code, 0, run.stderr);
  return cwd;
}

function assertNoStack(run: Run): void {
  assert.doesNotMatch(run.stderr, /\n\s+at .*:\d+:\d+/);
}

Deno.test("-h shows every flag of the original tool", async () => {
  const run = await gummer(["-h"], { cwd: workFolder() });
  assert.equal(run.code, 0);
  for (
    const flag of [
      "-h,   --help",
      "-l,   --list_anal",
      "-ldb, --list_databases",
      "-lo,  --list_outputs",
      "-lc,  --list_collectors",
      "-a,   --analyzer ID",
      "-db,  --dbconnector ID",
      "-o,   --output ID",
      "-c,   --collector ID",
      "-p,   --param KEY=VALUE",
      "--out FILE",
      "--modules DIR",
      "-v,   --verbose",
      "-q,   --quiet",
    ]
  ) assert.ok(run.stdout.includes(flag), flag);
  assert.equal(run.stderr, "");
});

Deno.test("lists print [aid] name with the description beneath, by aid", async () => {
  const cwd = workFolder();
  const outputs = await gummer(["-lo"], { cwd });
  assert.equal(outputs.code, 0);
  const heads = outputs.stdout.split("\n").filter((l) => l.startsWith("["));
  assert.deepEqual(heads, [
    "[csv] CSV",
    "[html] HTML report",
    "[json] JSON array",
    "[ndjson] Newline-delimited JSON",
    "[table] Terminal table",
  ]);
  const lines = outputs.stdout.split("\n");
  assert.match(lines[1], /^ {4}\S/);

  const databases = await gummer(["--list_databases"], { cwd });
  assert.deepEqual(
    databases.stdout.split("\n").filter((l) => l.startsWith("[")),
    [
      "[mysql] MySQL / MariaDB",
      "[postgres] PostgreSQL",
      "[sqlite] SQLite (embedded)",
    ],
  );
  assert.match(databases.stdout, /\n {4}target: gummer\.db\n/);
  const collectors = await gummer(["-lc"], { cwd });
  assert.deepEqual(
    collectors.stdout.split("\n").filter((l) => l.startsWith("[")).map((l) =>
      l.split("]")[0] + "]"
    ),
    ["[auth]", "[csv]", "[ndjson]", "[squid]", "[web]", "[windows]", "[zeek]"],
  );
  const analyzers = await gummer(["-l"], { cwd });
  const listed = analyzers.stdout.split("\n").filter((l) => l.startsWith("["));
  const registry = await loadRegistry();
  const shipped = registry.list("analyzers").map(({ module }) => module);
  assert.ok(shipped.length >= 20, `${shipped.length} analyzers`);
  assert.deepEqual(
    listed,
    shipped.map((module) => `[${module.aid}] ${module.name}`).sort(),
  );
  assert.ok(listed.includes("[apt_ips] Destinations reached by IP address"));
  const verbose = await gummer(["-l", "-v"], { cwd });
  assert.match(verbose.stdout, /\n {4}-p limit = 10: integer, rows to show\n/);
});

Deno.test("--describe shows all an analyzer declares", async () => {
  const cwd = workFolder();
  const run = await gummer(["--describe", "apt_ips"], { cwd });
  assert.equal(run.code, 0, run.stderr);
  const text = run.stdout;
  assert.match(text, /^\[apt_ips\] Destinations reached by IP address\n/);
  assert.match(text, /\n {4}hypothesis:\n {6}Implants reach their command/);
  assert.match(text, /\n {4}ATT&CK: T1071\.001, T1090\n/);
  assert.match(text, /\n {4}tables: squid\n/);
  assert.match(text, /\n {4}false positives:\n {6}Connectivity checks/);
  assert.match(text, /\n {4}-p since = : time, only rows at or after/);
  const unknown = await gummer(["--describe", "nope"], { cwd });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown analyzer "nope"\. Known analyzers:/);
});

Deno.test("usage errors exit 2 with a message and no stack", async () => {
  const cwd = workFolder();
  const cases: [string[], RegExp][] = [
    [[], /^gummer: Nothing to do: give -a ID/],
    [
      ["--bogus"],
      /^gummer: Unknown option --bogus\. Run with -h for help\.\n$/,
    ],
    [["-a"], /^gummer: -a needs a value\./],
    [["-a", "-l"], /^gummer: -a needs a value\./],
    [["access.log"], /without a collector: add -c ID/],
    [
      ["-p", "limit=3"],
      /-p sets parameters of an analyzer or a collector: add -a ID or -c ID\./,
    ],
    [
      ["-c", "squid", "access.log", "-p", "year=2019"],
      /The collector squid has no parameter "year"\. It takes no parameters\./,
    ],
    [
      ["-c", "squid", "access.log", "-a", "apt_ips", "-p", "depth=2"],
      /Neither the analyzer apt_ips nor the collector squid has a parameter "depth"\./,
    ],
    [
      ["-c", "squid"],
      /-c squid needs log files to collect \(- for standard input\)\./,
    ],
    [["-q", "-v", "-l"], /-q and -v cannot be used together/],
    [
      ["-a", "apt_ips", "-p", "since=last tuesday"],
      /Cannot use "last tuesday" as since of the analyzer apt_ips: expected a time such as 2026-11-02/,
    ],
    [
      ["-a", "nope"],
      /Unknown analyzer "nope"\. Known analyzers: apt_ips, apt_size, apt_time, beacons, .*, webshell\./,
    ],
    [
      ["-a", "apt_ips", "-db", "oracle"],
      /Unknown connector "oracle"\. Known connectors: mysql, postgres, sqlite\./,
    ],
    [
      ["-a", "apt_ips", "-o", "xml"],
      /Unknown output "xml"\. Known outputs: csv, html, json, ndjson, table\./,
    ],
    [
      ["-c", "suricata", "access.log"],
      /Unknown collector "suricata"\. Known collectors: auth, csv, ndjson, squid, web, windows, zeek\./,
    ],
    [
      ["-a", "apt_ips", "-p", "limit=abc"],
      /Cannot use "abc" as limit of the analyzer apt_ips: expected a whole number\./,
    ],
    [["-a", "apt_ips", "-p", "limit=0"], /the smallest allowed is 1/],
    [
      ["-a", "apt_ips", "-p", "depth=3"],
      /The analyzer apt_ips has no parameter "depth"\. Its parameters: since, until, limit\./,
    ],
    [
      ["-a", "apt_ips", "-p", "limit"],
      /Cannot read parameter "limit": write it as key=value\./,
    ],
  ];
  for (const [args, message] of cases) {
    const run = await gummer(args, { cwd });
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(" "));
    assert.equal(run.stdout, "", args.join(" "));
    assertNoStack(run);
  }
  // A usage error must not have created a database as a side effect.
  assert.throws(() => Deno.statSync(join(cwd, "gummer.db")));
});

Deno.test("collect, then analyze with each output", async () => {
  const cwd = workFolder();
  const collect = await gummer(["-c", "squid", "access.log"], { cwd });
  assert.equal(collect.code, 0);
  assert.equal(collect.stdout, "");
  assert.equal(
    collect.stderr,
    "access.log: 4 inserted, 0 failed (extended format: 4 lines)\n" +
      "squid: 4 inserted, 0 failed\n",
  );

  const json = await gummer(["-a", "apt_ips", "-o", "json"], { cwd });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), [
    {
      host: "203.0.113.9",
      hits: 2,
      clients: 2,
      first_seen: "2025-11-02 08:15:00.000",
      last_seen: "2025-11-02 08:15:01.000",
    },
    {
      host: "198.51.100.7",
      hits: 1,
      clients: 1,
      first_seen: "2025-11-02 08:15:02.000",
      last_seen: "2025-11-02 08:15:02.000",
    },
  ]);

  const csv = await gummer(["-a", "apt_size", "-o", "csv", "-p", "limit=2"], {
    cwd,
  });
  assert.equal(
    csv.stdout,
    "time,client_ip,method,host,url,request_size,http_status\r\n" +
      "2025-11-02 08:15:00.000,10.20.1.5,GET,203.0.113.9,http://203.0.113.9/a,900,200\r\n" +
      "2025-11-02 08:15:01.000,10.20.1.6,GET,203.0.113.9,http://203.0.113.9/b,800,200\r\n",
  );

  const ndjson = await gummer([
    "-a",
    "apt_time",
    "-o",
    "ndjson",
    "-p",
    "limit=1",
  ], { cwd });
  assert.equal(
    ndjson.stdout,
    '{"client_ip":"10.20.1.5","host":"www.example.com","longest_ms":40,"total_ms":40,"connections":1}\n',
  );

  const table = await gummer(["-a", "apt_ips", "-p", "limit=1"], { cwd });
  assert.equal(
    table.stdout,
    "host         hits  clients  first_seen               last_seen\n" +
      "-----------  ----  -------  -----------------------  -----------------------\n" +
      "203.0.113.9     2        2  2025-11-02 08:15:00.000  2025-11-02 08:15:01.000\n" +
      "(1 row)\n",
  );
});

Deno.test("-c and -a together collect first; --out writes a file", async () => {
  const cwd = workFolder();
  const run = await gummer(
    [
      "-c",
      "squid",
      "access.log",
      "-a",
      "apt_ips",
      "-o",
      "csv",
      "--out",
      "ips.csv",
      "-q",
    ],
    { cwd },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr, "");
  assert.equal(
    Deno.readTextFileSync(join(cwd, "ips.csv")).split("\r\n")[1],
    "203.0.113.9,2,2,2025-11-02 08:15:00.000,2025-11-02 08:15:01.000",
  );
});

Deno.test("standard input and gzip are collected", async () => {
  const cwd = workFolder();
  const run = await gummer(["-c", "squid", "-"], {
    cwd,
    stdin: `${NATIVE_LINE}\nnot a squid line\n`,
  });
  assert.equal(run.code, 0);
  assert.match(
    run.stderr,
    /^-: 1 inserted, 1 failed \(native format: 1 lines\)\n/,
  );
  assert.match(
    run.stderr,
    /\n {2}-:2: expected 10 fields \(native format\) or 11/,
  );
  assert.match(
    run.stderr,
    /Rejected lines were appended to gummer\.rejects\.ndjson\n$/,
  );
  const reject = JSON.parse(
    Deno.readTextFileSync(join(cwd, "gummer.rejects.ndjson")),
  );
  assert.equal(reject.text, "not a squid line");
  assert.equal(reject.line, 2);
});

Deno.test("run-time failures exit 1 with a clear message and no stack", async () => {
  const cwd = workFolder({ "native.log": `${NATIVE_LINE}\n` });
  const missing = await gummer(["-c", "squid", "access.log", "nope.log"], {
    cwd,
  });
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    'gummer: Cannot read "nope.log": no such file.\n',
  );
  assertNoStack(missing);

  const native = await gummer([
    "-c",
    "squid",
    "native.log",
    "-a",
    "apt_size",
    "-q",
  ], { cwd });
  assert.equal(native.code, 1);
  assert.match(
    native.stderr,
    /^gummer: The apt_size analyzer failed: apt_size needs request sizes, which only Squid's extended log format records/,
  );

  const empty = await gummer(["-a", "apt_ips"], { cwd: workFolder() });
  assert.equal(empty.code, 1);
  assert.equal(
    empty.stderr,
    "gummer: The apt_ips analyzer reads the table squid, which this " +
      "database does not have: collect logs into it first (-c squid).\n",
  );

  const nothing = await gummer(["-c", "squid", "logs/*.gz"], { cwd });
  assert.equal(nothing.code, 1);
  assert.equal(
    nothing.stderr,
    'gummer: Cannot read "logs/*.gz": no file matches it.\n',
  );
});

Deno.test("folders are read recursively in order, globs expanded", async () => {
  const line = EXTENDED_LINES[0];
  const cwd = tempTree({
    "logs/b/access.log.2": `${line.replace("1762071300", "1762071302")}\n`,
    "logs/a/access.log": `${line}\n`,
    "logs/a/access.log.1": `${line.replace("1762071300", "1762071301")}\n`,
    "logs/a/README.txt": "not a log\n",
    "logs/.hidden/access.log": `${line}\n`,
    "other/access-2026.log": `${line.replace("1762071300", "1762071303")}\n`,
  });
  const run = await gummer(["-c", "squid", "logs", "other/*.log"], { cwd });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    run.stderr.split("\n").filter((l) => l.includes(": 1 inserted")),
    [
      "logs/a/access.log: 1 inserted, 0 failed (extended format: 1 lines)",
      "logs/a/access.log.1: 1 inserted, 0 failed (extended format: 1 lines)",
      "logs/b/access.log.2: 1 inserted, 0 failed (extended format: 1 lines)",
      "other/access-2026.log: 1 inserted, 0 failed (extended format: 1 lines)",
    ],
  );
  assert.match(
    run.stderr,
    /\nPassed over, not squid logs: logs\/a\/README\.txt\n/,
  );

  const empty = await gummer(["-c", "squid", "logs/a/README.txt"], { cwd });
  assert.equal(empty.code, 0, "a file named directly is always read");
  assert.match(empty.stderr, /README\.txt: 0 inserted, 1 failed/);
});

Deno.test("private modules: --modules, GUMMER_PATH, broken files, defects", async () => {
  const cwd = await collected();
  const pack = tempTree({
    "analyzers/clients.ts": moduleSource(
      { aid: "clients", name: "Clients", desc: "Every client." },
      `export const params = { min: { type: "integer", default: 1, desc: "hits" } };
export async function launch(connection, params) {
  return await connection.query(
    "SELECT client_ip, COUNT(*) AS hits FROM squid GROUP BY client_ip HAVING COUNT(*) >= ? ORDER BY client_ip",
    [params.min],
  );
}`,
    ),
    "analyzers/broken_sql.ts": moduleSource(
      { aid: "broken_sql", name: "Broken", desc: "Bad SQL." },
      `export function launch(connection) { return connection.query("SELEKT 1"); }`,
    ),
    "analyzers/defect.ts": moduleSource(
      { aid: "defect", name: "Defect", desc: "A bug." },
      `export function launch() { return null.rows; }`,
    ),
    "analyzers/half.ts": moduleSource({ aid: "half", name: "Half" }),
  });

  const flag = await gummer([
    "--modules",
    pack,
    "-a",
    "clients",
    "-p",
    "min=2",
    "-o",
    "csv",
  ], { cwd });
  assert.equal(flag.code, 0, flag.stderr);
  assert.equal(flag.stdout, "client_ip,hits\r\n10.20.1.5,3\r\n");
  assert.equal(
    flag.stderr,
    `warn: skipped module ${
      join(pack, "analyzers/half.ts")
    }: does not export desc\n`,
  );

  const env = { GUMMER_PATH: `/nowhere:${pack}` };
  const listed = await gummer(["-l", "-q"], { cwd, env });
  assert.equal(listed.code, 0);
  assert.equal(listed.stderr, "");
  assert.ok(listed.stdout.includes("[clients] Clients\n    Every client.\n"));

  const sql = await gummer(["-a", "broken_sql", "-q"], { cwd, env });
  assert.equal(sql.code, 1);
  assert.match(
    sql.stderr,
    /^gummer: The broken_sql analyzer failed: SQLite: near "SELEKT": syntax error/,
  );
  assertNoStack(sql);

  const defect = await gummer(["-a", "defect", "-q"], { cwd, env });
  assert.equal(defect.code, 1);
  assert.match(
    defect.stderr,
    /^gummer: unexpected error: Cannot read properties of null/,
  );
  assert.match(defect.stderr, /Run again with -v for details\.\n$/);
  assertNoStack(defect);
  const detailed = await gummer(["-a", "defect", "-v"], { cwd, env });
  assert.match(detailed.stderr, /\n\s+at .*defect\.ts/);
});

Deno.test("-v -v logs every query with its time; GUMMER_LOG_FILE keeps a copy", async () => {
  const cwd = await collected();
  const run = await gummer(["-a", "apt_ips", "-v", "-v"], {
    cwd,
    env: { GUMMER_LOG_FILE: "gummer.log" },
  });
  assert.equal(run.code, 0);
  assert.match(
    run.stderr,
    /debug: query \(\d+\.\d ms\): SELECT host, COUNT\(\*\) AS hits/,
  );
  assert.match(run.stderr, /info: apt_ips: 2 rows in \d+\.\d ms/);
  const log = Deno.readTextFileSync(join(cwd, "gummer.log"));
  assert.match(log, /^\d{4}-\d\d-\d\dT[\d:.]+Z debug: query \(/m);

  // The file keeps every query even when stderr is quiet.
  const quiet = await gummer(["-a", "apt_time", "-q"], {
    cwd,
    env: { GUMMER_LOG_FILE: "gummer.log" },
  });
  assert.equal(quiet.stderr, "");
  assert.match(
    Deno.readTextFileSync(join(cwd, "gummer.log")),
    /debug: query \(\d+\.\d ms\): SELECT client_ip, host, MAX\(duration_ms\)/,
  );

  const unwritable = await gummer(["-lo"], {
    cwd,
    env: { GUMMER_LOG_FILE: "no/such/dir/gummer.log" },
  });
  assert.equal(unwritable.code, 0);
  assert.match(
    unwritable.stderr,
    /^warn: cannot write the log file "no\/such\/dir\/gummer\.log": /,
  );
});

Deno.test("the database comes from the config file, then GUMMER_SQLITE", async () => {
  const cwd = workFolder({
    "gummer.json": JSON.stringify({
      connectors: { sqlite: { path: "cases/from-config.db" } },
    }),
  });
  Deno.mkdirSync(join(cwd, "cases"));
  const env = { GUMMER_SQLITE: "from-env.db" };
  const run = await gummer(["-c", "squid", "access.log", "-q"], { cwd, env });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(Deno.statSync(join(cwd, "cases/from-config.db")).isFile);
  assert.throws(() => Deno.statSync(join(cwd, "from-env.db")));

  const other = workFolder();
  const fromEnv = await gummer(["-c", "squid", "access.log", "-q"], {
    cwd: other,
    env,
  });
  assert.equal(fromEnv.code, 0);
  assert.ok(Deno.statSync(join(other, "from-env.db")).isFile);

  const broken = workFolder({ "gummer.json": "{ not json" });
  const bad = await gummer(["-l"], { cwd: broken });
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /^gummer: Cannot parse the config file ".*gummer\.json": /,
  );
});

Deno.test("a database that cannot be opened names the file", async () => {
  const cwd = workFolder();
  const env = { GUMMER_SQLITE: "no/such/folder/hunt.db" };
  const run = await gummer(["-c", "squid", "access.log"], { cwd, env });
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    'gummer: Cannot open the SQLite database "no/such/folder/hunt.db": ' +
      "unable to open database file: no/such/folder/hunt.db\n",
  );
});

Deno.test("under deno task, paths mean the folder the command was typed in", async () => {
  const typedIn = workFolder();
  const run = await gummer(["-c", "squid", "access.log", "-q"], {
    cwd: tempTree({}),
    env: { INIT_CWD: typedIn },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(Deno.statSync(join(typedIn, "gummer.db")).isFile);
});
