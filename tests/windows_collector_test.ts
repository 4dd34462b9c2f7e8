/**
 * The windows collector on the OTRF Security-Datasets (when present), on
 * small winlogbeat- and NXLog-shaped events written here, on malformed
 * lines, and on every database: SQLite, PostgreSQL and MariaDB must hold
 * the same rows.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../engine/errors.ts";
import { silentLogger } from "../engine/logger.ts";
import type { Input, SqlValue } from "../engine/types.ts";
import { Workbench } from "../engine/workbench.ts";
import {
  compactJson,
  launch,
  parseEvent,
  tables,
} from "../modules/collectors/windows.ts";
import { launch as openSqlite } from "../modules/connectors/sqlite.ts";
import { createTarget, type Kind, unavailable } from "../tools/test_targets.ts";
import { ROOT } from "./helpers/temp.ts";

const DATASETS = Deno.env.get("GUMMER_DATASETS") ??
  join(ROOT, "..", "shared", "datasets");
const OTRF = join(DATASETS, "otrf-windows-json");
const HAVE_OTRF = existsSync(OTRF);
const NO_OTRF = HAVE_OTRF ? "" : " (skipped: datasets not found)";

const COMSVCS = "psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json";
const DCSYNC =
  "covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.json";
const SCHTASK = "schtask_create_2020-12-1907003032.json";
const RUN_KEYS =
  "empire_persistence_registry_modification_run_keys_elevated_user_2020-07-22001847.json";
const OTRF_FILES = [COMSVCS, DCSYNC, SCHTASK, RUN_KEYS];

const COLUMNS = tables[0].columns.map((column) => column.name);

type Row = Record<string, SqlValue>;

function textInput(name: string, content: string | Uint8Array): Input {
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  return { name, open: () => Promise.resolve(ReadableStream.from([bytes])) };
}

function memoryBench(): Promise<Workbench> {
  return Workbench.open({
    env: (name) => name === "GUMMER_SQLITE" ? ":memory:" : undefined,
  });
}

function rejectPath(): string {
  return join(Deno.makeTempDirSync({ prefix: "gummer-windows-" }), "r.ndjson");
}

async function selectRows(
  bench: Workbench,
  where = "",
  params: SqlValue[] = [],
): Promise<Row[]> {
  const result = await bench.query(
    `SELECT * FROM windows_events ${where} ORDER BY time, record_id, event`,
    { params },
  );
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))
  );
}

/** A parsed row as an object, for fixtures parsed without a database. */
function rowOf(line: string, options = {}): Row {
  const row = parseEvent(line, options);
  assert.ok(Array.isArray(row), `expected a row, got: ${row}`);
  return Object.fromEntries(COLUMNS.map((c, i) => [c, row[i]]));
}

function withoutEvent(row: Row): Row {
  const { event: _event, ...rest } = row;
  return rest;
}

// ---------------------------------------------------------------------------
// Fixtures written for these tests: one Sysmon process creation and one
// network logon, as winlogbeat 8 and NXLog would each export them.

const SYSMON_DATA = {
  RuleName: "-",
  UtcTime: "2024-03-11 14:02:17.498",
  ProcessGuid: "{4a1c9e02-0f3d-65ef-2a01-000000000b00}",
  ProcessId: "6212",
  Image: "C:\\Windows\\System32\\cmd.exe",
  CommandLine: 'cmd.exe /c "whoami /all > %TEMP%\\w.txt"',
  CurrentDirectory: "C:\\Users\\alice\\",
  User: "CORP\\alice",
  LogonId: "0x5a3c1",
  IntegrityLevel: "High",
  Hashes:
    "SHA256=0000000000000000000000000000000000000000000000000000000000000001",
  ParentProcessId: "4410",
  ParentImage: "C:\\Windows\\explorer.exe",
  ParentCommandLine: "C:\\Windows\\Explorer.EXE",
};

const LOGON_DATA = {
  SubjectUserSid: "S-1-5-18",
  SubjectUserName: "WS-017$",
  SubjectDomainName: "CORP",
  TargetUserName: "alice",
  TargetDomainName: "CORP",
  LogonType: "3",
  WorkstationName: "-",
  ProcessId: "0x2f4",
  ProcessName: "C:\\Windows\\System32\\lsass.exe",
  IpAddress: "::ffff:10.20.30.40",
  IpPort: "51234",
};

function winlogbeat(
  time: string,
  system: Record<string, unknown>,
  data: Record<string, unknown>,
): string {
  return JSON.stringify({
    "@timestamp": time,
    agent: { type: "winlogbeat", version: "8.12.2" },
    event: {
      code: String(system.id),
      provider: system.provider,
      created: "2024-03-11T14:02:19.001Z",
    },
    // The shipper, a collector under Windows Event Forwarding.
    host: { name: "wef-collector01" },
    message: "(rendered message)",
    winlog: {
      api: "wineventlog",
      channel: system.channel,
      computer_name: "ws-017.corp.example",
      event_data: data,
      event_id: String(system.id),
      provider_name: system.provider,
      record_id: String(system.record),
      process: { pid: 3120, thread: { id: 4504 } },
      user: { domain: "NT AUTHORITY", name: "SYSTEM", type: "User" },
    },
  });
}

function nxlog(
  time: string,
  system: Record<string, unknown>,
  data: Record<string, unknown>,
): string {
  const line = JSON.stringify({
    EventTime: time,
    Hostname: "ws-017.corp.example",
    Keywords: 0,
    EventType: "INFO",
    EventID: system.id,
    SourceName: system.provider,
    RecordNumber: system.record,
    ExecutionProcessID: 3120,
    Channel: system.channel,
    Domain: "NT AUTHORITY",
    AccountName: "SYSTEM",
    Message: "(rendered message)",
    ...data,
    EventReceivedTime: "2024-03-11 10:02:18",
    SourceModuleType: "im_msvistalog",
  });
  // NXLog writes the 64-bit Keywords as a bare number, which no double
  // holds, so JSON.stringify cannot write it.
  return line.replace('"Keywords":0,', '"Keywords":-9223372036854775808,');
}

const SYSMON = {
  id: 1,
  provider: "Microsoft-Windows-Sysmon",
  channel: "Microsoft-Windows-Sysmon/Operational",
  record: 884412,
};
const LOGON = {
  id: 4624,
  provider: "Microsoft-Windows-Security-Auditing",
  channel: "Security",
  record: 1203311,
};

const WINLOGBEAT_LINES = [
  winlogbeat("2024-03-11T14:02:17.512Z", SYSMON, SYSMON_DATA),
  winlogbeat("2024-03-11T14:02:20.004Z", LOGON, LOGON_DATA),
];
// NXLog with a DateFormat that writes the zone, so times match exactly.
const NXLOG_LINES = [
  nxlog("2024-03-11T10:02:17.512000-04:00", SYSMON, SYSMON_DATA),
  nxlog("2024-03-11T10:02:20.004000-04:00", LOGON, LOGON_DATA),
];

const EXPECTED_SYSMON: Row = {
  time: "2024-03-11 14:02:17.512",
  host: "ws-017.corp.example",
  channel: "Microsoft-Windows-Sysmon/Operational",
  provider: "Microsoft-Windows-Sysmon",
  event_id: 1,
  record_id: 884412,
  username: "alice",
  user_domain: "CORP",
  target_username: null,
  target_user_domain: null,
  logon_type: null,
  source_ip: null,
  source_port: null,
  destination_ip: null,
  destination_port: null,
  process_id: 6212,
  process_image: "C:\\Windows\\System32\\cmd.exe",
  command_line: 'cmd.exe /c "whoami /all > %TEMP%\\w.txt"',
  parent_image: "C:\\Windows\\explorer.exe",
  parent_command_line: "C:\\Windows\\Explorer.EXE",
  target_image: null,
  granted_access: null,
  call_trace: null,
  target_object: null,
  details: null,
  object_name: null,
  properties: null,
  task_name: null,
  service_name: null,
  hashes: SYSMON_DATA.Hashes,
  workstation: null,
  status: null,
};

const EXPECTED_LOGON: Row = {
  ...Object.fromEntries(Object.keys(EXPECTED_SYSMON).map((k) => [k, null])),
  time: "2024-03-11 14:02:20.004",
  host: "ws-017.corp.example",
  channel: "Security",
  provider: "Microsoft-Windows-Security-Auditing",
  event_id: 4624,
  record_id: 1203311,
  username: "WS-017$",
  user_domain: "CORP",
  target_username: "alice",
  target_user_domain: "CORP",
  logon_type: 3,
  source_ip: "10.20.30.40",
  source_port: 51234,
  process_id: 0x2f4,
  process_image: "C:\\Windows\\System32\\lsass.exe",
};

Deno.test("winlogbeat and NXLog events map to the same columns", () => {
  for (const [i, expected] of [EXPECTED_SYSMON, EXPECTED_LOGON].entries()) {
    const fromBeat = rowOf(WINLOGBEAT_LINES[i]);
    const fromNxlog = rowOf(NXLOG_LINES[i]);
    assert.deepEqual(withoutEvent(fromBeat), expected);
    assert.deepEqual(withoutEvent(fromNxlog), expected);
    // The whole event is kept as read, 64-bit Keywords included.
    assert.equal(fromBeat.event, WINLOGBEAT_LINES[i]);
    assert.equal(fromNxlog.event, NXLOG_LINES[i]);
    assert.match(String(fromNxlog.event), /"Keywords":-9223372036854775808,/);
  }
});

Deno.test("flattened events with TimeCreated map to the same columns", () => {
  const flat = JSON.stringify({
    TimeCreated: "2024-03-11T14:02:17.512Z",
    Hostname: "ws-017.corp.example",
    Channel: SYSMON.channel,
    SourceName: SYSMON.provider,
    EventID: 1,
    EventRecordID: "884412",
    ...SYSMON_DATA,
  });
  assert.deepEqual(withoutEvent(rowOf(flat)), EXPECTED_SYSMON);
});

Deno.test("NTLM checks and failed logons: workstation and status", () => {
  const check = rowOf(JSON.stringify({
    TimeCreated: "2024-03-11T14:05:00.000Z",
    Hostname: "dc1.corp.example",
    Channel: "Security",
    EventID: 4776,
    PackageName: "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
    TargetUserName: "kate",
    Workstation: "\\\\WKS-EVIL",
    Status: "0xC000006A",
  }));
  assert.equal(check.target_username, "kate");
  assert.equal(check.workstation, "WKS-EVIL");
  assert.equal(check.status, "0xc000006a");

  const refused = rowOf(JSON.stringify({
    TimeCreated: "2024-03-11T14:05:01.000Z",
    Channel: "Security",
    EventID: 4625,
    TargetUserName: "liam",
    WorkstationName: "KALI",
    Status: "0xc000006d",
    SubStatus: "0xc000006a",
    IpAddress: "10.0.0.66",
  }));
  assert.equal(refused.workstation, "KALI");
  assert.equal(refused.status, "0xc000006d");
  assert.equal(refused.source_ip, "10.0.0.66");
});

Deno.test("the time: which field wins, and the zone each is read in", () => {
  const tally = { shapes: new Map(), times: new Map() };
  const time = (event: Record<string, unknown>, zoneMinutes?: number) =>
    rowOf(JSON.stringify({ EventID: 4624, ...event }), { zoneMinutes, tally })
      .time;

  // A stated zone is honoured; fractions finer than 1 ms are cut.
  assert.equal(
    time({ TimeCreated: "2024-03-11T16:02:17.5129999+02:00" }),
    "2024-03-11 14:02:17.512",
  );
  // NXLog's zone-less EventTime loses to @timestamp, which is UTC...
  assert.equal(
    time({
      EventTime: "2020-08-05 02:10:02",
      "@timestamp": "2020-08-05T06:10:03.798Z",
    }),
    "2020-08-05 06:10:03.798",
  );
  // ...unless the hunter says which zone EventTime is in.
  assert.equal(
    time({
      EventTime: "2020-08-05 02:10:02",
      "@timestamp": "2020-08-05T06:10:03.798Z",
    }, -240),
    "2020-08-05 06:10:02.000",
  );
  // With nothing better, a zone-less time is read as UTC.
  assert.equal(
    time({ TimeCreated: "2020-10-18 07:50:05.917" }),
    "2020-10-18 07:50:05.917",
  );
  // TimeCreated is the event's own time and wins over EventTime.
  assert.equal(
    time({
      TimeCreated: "2021-01-01T00:00:00Z",
      EventTime: "2020-01-01 00:00:00",
    }),
    "2021-01-01 00:00:00.000",
  );
  // winlogbeat: @timestamp, even beside a flat TimeCreated.
  assert.equal(
    rowOf(WINLOGBEAT_LINES[0].replace("{", '{"TimeCreated":"2001-01-01",'))
      .time,
    "2024-03-11 14:02:17.512",
  );

  // EventTime is NXLog's field: an event with it is taken for NXLog's.
  assert.deepEqual([...tally.shapes], [["flattened", 2], ["NXLog", 3]]);
  assert.deepEqual([...tally.times], [
    ["TimeCreated", 2],
    ["@timestamp as received (EventTime has no zone)", 1],
    ["EventTime read in time_zone -04:00", 1],
    ["TimeCreated read as UTC (it has no zone)", 1],
  ]);
});

Deno.test("the event is kept as read, only white space between tokens goes", () => {
  const line =
    ' { "EventID" : 4624 ,\t"TimeCreated":"2020-01-01T00:00:00Z", "Keywords": -9214364837600034816, "Note":" a \\" b ", "Path":"C:\\\\" } ';
  assert.equal(
    rowOf(line).event,
    '{"EventID":4624,"TimeCreated":"2020-01-01T00:00:00Z","Keywords":-9214364837600034816,"Note":" a \\" b ","Path":"C:\\\\"}',
  );
  const compact = '{"a":"\\u003c x \\u003e","b":[1,2]}';
  assert.equal(compactJson(compact), compact); // the same string, no copy
});

Deno.test("values: '-' is null, hex process ids, masks in lower case, NUL", () => {
  const row = rowOf(JSON.stringify({
    EventID: 4656,
    TimeCreated: "2020-01-01T00:00:00Z",
    Channel: "Security",
    SubjectUserName: "-",
    User: "NT AUTHORITY\\SYSTEM",
    ProcessId: "0x12D8",
    ProcessName: "C:\\Windows\\System32\\rundll32.exe",
    ObjectName: "\\Device\\HarddiskVolume2\\Windows\\System32\\lsass.exe",
    AccessMask: "0x1FFFFF",
    IpAddress: "-",
    IpPort: "-",
    CommandLine: "a\u0000b",
    RecordNumber: "not a number",
  }));
  assert.equal(row.username, "SYSTEM");
  assert.equal(row.user_domain, "NT AUTHORITY");
  assert.equal(row.process_id, 0x12d8);
  assert.equal(row.granted_access, "0x1fffff");
  assert.equal(row.source_ip, null);
  assert.equal(row.source_port, null);
  assert.equal(row.record_id, null);
  assert.equal(row.command_line, "a\uFFFDb");
  assert.match(String(row.event), /"CommandLine":"a\\u0000b"/);
});

Deno.test("4688: the new process is the acting one, its creator the parent", () => {
  const row = rowOf(JSON.stringify({
    EventID: 4688,
    TimeCreated: "2020-01-01T00:00:00Z",
    SubjectUserName: "alice",
    NewProcessId: "0x1a2c",
    NewProcessName: "C:\\Windows\\System32\\cmd.exe",
    ProcessId: "0x2004",
    ParentProcessName: "C:\\Windows\\System32\\wscript.exe",
    CommandLine: "cmd.exe /c ver",
    TargetUserName: "-",
  }));
  assert.deepEqual(
    [
      row.process_id,
      row.process_image,
      row.parent_image,
      row.username,
      row.target_username,
    ],
    [
      0x1a2c,
      "C:\\Windows\\System32\\cmd.exe",
      "C:\\Windows\\System32\\wscript.exe",
      "alice",
      null,
    ],
  );
});

Deno.test("a Sysmon event's record user (SYSTEM) is not the acting user", () => {
  const line = nxlog("2020-07-22T00:19:04-04:00", {
    ...SYSMON,
    id: 13,
  }, {
    EventType: "SetValue",
    TargetObject: "HKLM\\SOFTWARE\\Example\\Run\\x",
  });
  assert.equal(rowOf(line).username, null);
  const powershell = nxlog("2020-07-22T00:19:04-04:00", {
    id: 4103,
    provider: "Microsoft-Windows-PowerShell",
    channel: "Microsoft-Windows-PowerShell/Operational",
    record: 1,
  }, {});
  assert.equal(rowOf(powershell).username, "SYSTEM");
});

// ---------------------------------------------------------------------------
// Malformed input: each line's exact reason.

const NO_TIME =
  "no time: TimeCreated, EventTime and @timestamp are all missing";
const TIME = '"TimeCreated":"2020-01-01T00:00:00Z"';

Deno.test("lines that are not JSON say why, without quoting the line", () => {
  const cases: [string, string][] = [
    ["{", "truncated JSON: the line ends inside the event, after 1 character"],
    [
      '{"EventID":4624 ',
      "truncated JSON: the line ends inside the event, after 16 characters",
    ],
    [
      '{"EventID" 4624}',
      "not JSON: expected ':' after property name at column 12",
    ],
    ['{"EventID":x}', "not JSON: unexpected 'x'"],
    // A right-to-left override would reorder a terminal's line.
    ["\u202e{}", "not JSON: unexpected character U+202E"],
    ["\x1b[2J{}", "binary data: control character 0x1b at column 1"],
    ["{'EventID':1}", "not JSON: expected property name or '}' at column 2"],
    ["true", "the line is a JSON boolean, not an event object"],
    ["4624", "the line is a JSON number, not an event object"],
  ];
  for (const [line, reason] of cases) assert.equal(parseEvent(line), reason);
});

Deno.test("malformed lines: exact reasons, nothing lost, the rest goes in", async () => {
  const bench = await memoryBench();
  const rejects = rejectPath();
  const huge = `{"EventID":1,${TIME},"x":"${"A".repeat(10 << 20)}"}`;
  const truncatedEnd = `{"EventID":4688,${TIME},"CommandLine":"cmd.exe /c`;
  const lines: (string | Uint8Array)[] = [
    `${WINLOGBEAT_LINES[0]}\r\n`, // 1
    "\n", // 2: empty, skipped without a reason
    "  \t \n", // 3
    new Uint8Array([0x00, 0x01, 0x1b, 0x5b, 0x32, 0x4a, 0x0a]), // 4
    new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), // 5: not UTF-8
    `{"EventID":4624,${TIME},"x":"a\u0000b"}\n`, // 6: a raw NUL, 60th
    "[1,2]\n", // 7
    '"EventID"\n', // 8
    "null\n", // 9
    `{"Channel":"Security",${TIME}}\n`, // 10
    '{"EventID":4624}\n', // 11
    '{"@timestamp":"2020-01-01T00:00:00Z","winlog":{"channel":"x"}}\n', // 12
    `{"EventID":"logon",${TIME}}\n`, // 13
    '{"EventID":4624,"TimeCreated":"yesterday"}\n', // 14
    '{"EventID":4624,"TimeCreated":"2021-02-29 10:00:00"}\n', // 15
    `{"EventID":1,${TIME}}{"EventID":2,${TIME}}\n`, // 16
    "{EventID:1}\n", // 17
    `{"EventID":4624,"TimeCreated":"2020-01-0\n`, // 18
    `${huge}\n`, // 19
    `${NXLOG_LINES[1]}\n`, // 20
    truncatedEnd, // 21: the final line, cut short
  ];
  const bytes = Buffer.concat(
    lines.map((p) => typeof p === "string" ? new TextEncoder().encode(p) : p),
  );

  const report = await bench.collect("windows", [
    textInput("mixed.json", bytes),
  ], { rejectFile: rejects });

  const failure = (line: number, reason: string) => ({
    file: "mixed.json",
    line,
    reason,
  });
  assert.deepEqual(report.failures, [
    failure(3, "white space only: no event"),
    failure(4, "binary data: control character 0x00 at column 1"),
    failure(5, "not UTF-8 text (at byte 2)"),
    failure(6, "binary data: control character 0x00 at column 60"),
    failure(7, "the line is a JSON array, not an event object"),
    failure(8, "the line is a JSON string, not an event object"),
    failure(9, "the line is JSON null, not an event object"),
    failure(10, "no event ID: EventID is missing"),
    failure(11, NO_TIME),
    failure(
      12,
      "no event ID: winlog.event_id and event.code are both missing",
    ),
    failure(
      13,
      'event ID "logon" in EventID is not a number from 0 to 65535',
    ),
    failure(14, 'time "yesterday" in TimeCreated is not a date and time'),
    failure(
      15,
      'time "2021-02-29 10:00:00" in TimeCreated is not a date and time',
    ),
    failure(
      16,
      "not JSON: unexpected non-whitespace character after JSON at column 51",
    ),
    failure(17, "not JSON: expected property name or '}' at column 2"),
    failure(
      18,
      "truncated JSON: the line ends inside the event, after 40 characters",
    ),
    failure(
      19,
      `line is ${huge.length} bytes, longer than the 4194304 this ` +
        "collector accepts",
    ),
    failure(
      21,
      "truncated JSON: the line ends inside the event, after " +
        `${truncatedEnd.length} characters`,
    ),
  ]);
  assert.deepEqual(report.files, [{
    file: "mixed.json",
    lines: 21,
    inserted: 2,
    failed: 18,
    skipped: 0,
    detail: "winlogbeat: 1 events, NXLog: 1 events, time from @timestamp: 1, " +
      "time from EventTime: 1",
  }]);

  // Every rejected line is in the reject file with its bytes.
  const records = Deno.readTextFileSync(rejects).trim().split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    records.map((r) => r.line),
    report.failures.map((f) => f.line),
  );
  assert.ok(records.every((r) => r.collector === "windows"));
  assert.equal(records[1].text, "\x00\x01\x1b[2J");
  assert.equal(records[2].base64, "e//+fQ==");
  assert.equal(records[16].length, huge.length);
  assert.equal(records[17].text, truncatedEnd);

  const stored = await selectRows(bench);
  assert.deepEqual(stored.map((r) => [r.event_id, r.time]), [
    [1, "2024-03-11 14:02:17.512"],
    [4624, "2024-03-11 14:02:20.004"],
  ]);
  await bench.close();
});

Deno.test("time_zone: checked before reading, then applied to zone-less times", async () => {
  const db = await openSqlite({
    settings: { path: ":memory:" },
    logger: silentLogger,
  });
  const input = textInput(
    "nxlog.json",
    `${nxlog("2020-08-05 02:10:02", LOGON, LOGON_DATA)}\n`,
  );
  const options = (time_zone: string) => ({
    logger: silentLogger,
    reject: () => {},
    params: { time_zone },
  });
  try {
    await assert.rejects(
      () => launch(db, [input], options("EDT")),
      (error) =>
        error instanceof UsageError &&
        error.message ===
          'Cannot use "EDT" as time_zone of the windows collector: write an ' +
            "offset from UTC between -14:00 and +14:00, such as -04:00.",
    );
    assert.equal(await db.hasTable("windows_events"), false);

    const report = await launch(db, [input], options("-04:00"));
    assert.equal(
      report.files[0].detail,
      [
        "NXLog: 1 events",
        "time from EventTime read in time_zone -04:00: 1",
      ].join(", "),
    );
    const stored = await db.query("SELECT time FROM windows_events");
    assert.deepEqual(stored.rows, [["2020-08-05 06:10:02.000"]]);
  } finally {
    await db.close();
  }
});

// ---------------------------------------------------------------------------
// The OTRF Security-Datasets.

async function collectOtrf(bench: Workbench) {
  return await bench.collect(
    "windows",
    OTRF_FILES.map((file) => join(OTRF, file)),
    { rejectFile: rejectPath() },
  );
}

Deno.test({
  name: `OTRF datasets: exact counts per file${NO_OTRF}`,
  ignore: !HAVE_OTRF,
  async fn() {
    const bench = await memoryBench();
    const report = await collectOtrf(bench);
    // Expected counts from the shell: `wc -l` gives the lines (184, 869,
    // 1042, 657); `grep -c '^{'` the events (184, 869, 1041, 657), and
    // `grep -c '^[[:space:]]*$'` finds the one empty line of the schtask
    // file (line 547), which is skipped, not failed. SOURCE.txt counts
    // 1,042 events there: it counted lines.
    assert.deepEqual(
      report.files.map((f) => [f.lines, f.inserted, f.failed, f.skipped]),
      [[184, 184, 0, 0], [869, 869, 0, 0], [1042, 1041, 0, 0], [
        657,
        657,
        0,
        0,
      ]],
    );
    assert.equal(report.rejectFile, undefined);
    assert.deepEqual(report.files.map((f) => f.detail), [
      "flattened: 184 events, time from TimeCreated read as UTC (it has no " +
      "zone): 184",
      "NXLog: 869 events, time from @timestamp as received (EventTime has " +
      "no zone): 869",
      "flattened: 1041 events, time from TimeCreated: 1041",
      "NXLog: 657 events, time from @timestamp as received (EventTime has " +
      "no zone): 657",
    ]);

    // By channel, from `grep -c '"Channel":"<name>"'` over the four files.
    const channels = await bench.query(
      "SELECT channel, COUNT(*) FROM windows_events GROUP BY channel " +
        "ORDER BY channel",
    );
    assert.deepEqual(channels.rows, [
      ["Microsoft-Windows-PowerShell/Operational", 62],
      ["Microsoft-Windows-Sysmon/Operational", 676 + 129 + 148 + 906],
      ["Microsoft-Windows-TaskScheduler/Operational", 2],
      ["Security", 193 + 393 + 36 + 133],
      ["Windows PowerShell", 73],
    ]);

    // Collecting the same files again inserts nothing; the skipped lines
    // are the events (the empty line is not counted as skipped).
    const again = await collectOtrf(bench);
    assert.equal(again.inserted, 0);
    assert.deepEqual(again.files.map((f) => f.skipped), [184, 869, 1041, 657]);
    await bench.close();
  },
});

Deno.test({
  name: `OTRF datasets: every event is kept whole, digits included${NO_OTRF}`,
  ignore: !HAVE_OTRF,
  async fn() {
    const bench = await memoryBench();
    await collectOtrf(bench);
    const lines = OTRF_FILES.flatMap((file) =>
      Deno.readTextFileSync(join(OTRF, file)).split("\n")
        .map((line) => line.replace(/\r$/, ""))
        .filter((line) => line !== "")
    ).sort();
    const events = await bench.query(
      "SELECT event FROM windows_events ORDER BY event",
    );
    const stored = events.rows.map((row) => String(row[0])).sort();
    assert.equal(stored.length, lines.length);
    assert.ok(stored.every((event, i) => event === lines[i]));

    // `grep -c -- '"Keywords":-9214364837600034816,'`: 188 lines in the
    // DCSync file, 393 in the Run-key one (both NXLog exports).
    const keywords = await bench.query(
      "SELECT COUNT(*) FROM windows_events WHERE event LIKE ?",
      { params: ['%"Keywords":-9214364837600034816,%'] },
    );
    assert.deepEqual(keywords.rows, [[188 + 393]]);
    await bench.close();
  },
});

Deno.test({
  name: `OTRF datasets: the known attack events${NO_OTRF}`,
  async fn(t) {
    const bench = await memoryBench();
    await collectOtrf(bench);

    await t.step(
      "Sysmon 1: rundll32 comsvcs.dll MiniDump on WORKSTATION5",
      async () => {
        const rows = await selectRows(
          bench,
          "WHERE event_id = 1 AND command_line LIKE ?",
          ["%comsvcs.dll MiniDump%"],
        );
        assert.equal(rows.length, 1);
        const [row] = rows;
        // TimeCreated as written; its UtcTime says 23:50:05.910 (see the
        // module doc: this export wrote a 12-hour clock without AM or PM).
        assert.equal(row.time, "2020-10-18 07:50:05.917");
        assert.equal(row.host, "WORKSTATION5");
        assert.equal(row.channel, "Microsoft-Windows-Sysmon/Operational");
        assert.equal(row.provider, "Microsoft-Windows-Sysmon");
        assert.equal(row.username, "wardog");
        assert.equal(row.user_domain, "WORKSTATION5");
        assert.equal(row.process_id, 4824);
        assert.equal(row.process_image, "C:\\Windows\\System32\\rundll32.exe");
        assert.ok(String(row.command_line).endsWith("-comsvcs.dmp full"));
        assert.equal(
          row.parent_image,
          "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        );
        assert.match(String(row.hashes), /^SHA1=7662A8D2/);
        assert.equal(row.record_id, null);
      },
    );

    await t.step(
      "Sysmon 10: rundll32 opens lsass, then with 0x1fffff",
      async () => {
        // grep: two Sysmon 10 lines from rundll32 to lsass, 0x1410 and
        // 0x1fffff (the MiniDump's full access).
        const rows = await selectRows(
          bench,
          "WHERE event_id = 10 AND target_image LIKE ? AND process_image LIKE ?",
          ["%\\lsass.exe", "%\\rundll32.exe"],
        );
        assert.deepEqual(
          rows.map((r) => [r.time, r.host, r.process_id, r.granted_access]),
          [
            ["2020-10-18 07:50:06.001", "WORKSTATION5", 4824, "0x1410"],
            ["2020-10-18 07:50:06.025", "WORKSTATION5", 4824, "0x1fffff"],
          ],
        );
        assert.match(String(rows[1].call_trace), /\\comsvcs\.dll\+/);
      },
    );

    await t.step(
      "Security 4662: pgustavo replicates from MORDORDC",
      async () => {
        const rows = await selectRows(bench, "WHERE event_id = 4662");
        assert.deepEqual(
          rows.map((r) => [r.time, r.host, r.username, r.user_domain]),
          [
            // @timestamp: EventTime says 02:10:02, four hours behind UTC.
            [
              "2020-08-05 06:10:03.798",
              "MORDORDC.theshire.local",
              "pgustavo",
              "THESHIRE",
            ],
            [
              "2020-08-05 06:10:03.799",
              "MORDORDC.theshire.local",
              "pgustavo",
              "THESHIRE",
            ],
            [
              "2020-08-05 06:10:03.799",
              "MORDORDC.theshire.local",
              "pgustavo",
              "THESHIRE",
            ],
          ],
        );
        assert.deepEqual(rows.map((r) => r.record_id), [
          215522,
          215523,
          215524,
        ]);
        // DS-Replication-Get-Changes and DS-Replication-Get-Changes-All.
        const properties = rows.map((r) => String(r.properties));
        assert.ok(properties.some((p) => p.includes("{1131f6aa-9c07-11d1-")));
        assert.ok(properties.some((p) => p.includes("{1131f6ad-9c07-11d1-")));
        assert.ok(rows.every((r) => r.granted_access === "0x100"));
      },
    );

    await t.step(
      "Security 4698: task EventCacheManager on WORKSTATION6",
      async () => {
        const rows = await selectRows(bench, "WHERE event_id = 4698");
        assert.deepEqual(
          rows.map((r) => [r.time, r.host, r.username, r.task_name]),
          [[
            // Labelled UTC, but local time (EST): UtcTime runs 5 h ahead.
            "2020-12-19 07:00:22.264",
            "WORKSTATION6.theshire.local",
            "pgustavo",
            "\\Microsoft\\Windows\\SoftwareProtectionPlatform\\EventCacheManager",
          ]],
        );
      },
    );

    await t.step("Sysmon 13: powershell sets the Run key Updater", async () => {
      const rows = await selectRows(
        bench,
        "WHERE event_id = 13 AND target_object LIKE ?",
        ["%\\Updater"],
      );
      assert.deepEqual(
        rows.map((r) => [
          r.time,
          r.host,
          r.process_image,
          r.target_object,
          r.username,
        ]),
        [[
          "2020-07-22 04:19:05.132",
          "WORKSTATION5.mordor.local",
          "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
          "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
          null,
        ]],
      );
      assert.match(String(rows[0].details), /powershell -Win Hidden -enc/);
    });

    await bench.close();
  },
  ignore: !HAVE_OTRF,
});

// ---------------------------------------------------------------------------
// Every database holds the same rows.

/** Values that are hard to carry through a bulk loader intact. */
const AWKWARD = JSON.stringify({
  EventID: 4688,
  TimeCreated: "2020-01-01T00:00:00.5Z",
  Hostname: "WS-ÆØÅ",
  NewProcessName: "C:\\Temp\\tab\there.exe",
  CommandLine: "a\tb\nc\r\\N \\ 'x' \"y\" caf\u00e9 \u{1F600} nul:\u0000;",
  SubjectUserName: "o'brien\"; DROP TABLE windows_events;--",
  ProcessId: "0xFFFFFFFF",
});

function databaseInputs(): (string | Input)[] {
  const fixtures = textInput(
    "fixtures.json",
    [...WINLOGBEAT_LINES, ...NXLOG_LINES, AWKWARD].join("\n"),
  );
  return HAVE_OTRF
    ? [...OTRF_FILES.map((file) => join(OTRF, file)), fixtures]
    : [fixtures];
}

async function wholeTable(kind: Kind): Promise<SqlValue[][]> {
  const target = await createTarget(kind);
  const bench = await target.open();
  try {
    const report = await bench.collect("windows", databaseInputs(), {
      rejectFile: rejectPath(),
    });
    assert.equal(report.failed, 0);
    assert.equal(report.inserted, (HAVE_OTRF ? 2751 : 0) + 5);
    const result = await bench.query("SELECT * FROM windows_events");
    assert.deepEqual(result.columns, COLUMNS);
    const key = (row: SqlValue[]) => JSON.stringify(row);
    return result.rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
  } finally {
    await bench.close();
    await target.drop();
  }
}

let reference: Promise<SqlValue[][]> | undefined;
const sqliteRows = () => reference ??= wholeTable("sqlite");

Deno.test("SQLite stores the awkward values exactly", async () => {
  const rows = await sqliteRows();
  const awkward = rows.find((row) => row[COLUMNS.indexOf("event")] === AWKWARD);
  assert.ok(awkward);
  const row = Object.fromEntries(COLUMNS.map((c, i) => [c, awkward[i]]));
  assert.equal(row.time, "2020-01-01 00:00:00.500");
  assert.equal(row.host, "WS-ÆØÅ");
  assert.equal(row.process_image, "C:\\Temp\\tab\there.exe");
  assert.equal(
    row.command_line,
    "a\tb\nc\r\\N \\ 'x' \"y\" caf\u00e9 \u{1F600} nul:\uFFFD;",
  );
  assert.equal(row.username, "o'brien\"; DROP TABLE windows_events;--");
  assert.equal(row.process_id, 0xffffffff);
});

for (const kind of ["postgres", "mysql", "mysql-insert"] as Kind[]) {
  const skip = unavailable(kind);
  Deno.test({
    name: `${kind} holds the same rows as SQLite${
      HAVE_OTRF ? "" : " (datasets not found: fixtures only)"
    }${skip ? ` (${skip})` : ""}`,
    ignore: skip !== undefined,
    async fn() {
      const expected = await sqliteRows();
      const rows = await wholeTable(kind);
      assert.equal(rows.length, expected.length);
      assert.deepEqual(rows, expected);
    },
  });
}

Deno.test("a windows_events table from an older Gummer gains the new columns", async () => {
  const dir = Deno.makeTempDirSync();
  const bench = await Workbench.open({ connector: join(dir, "old.db") });
  try {
    // The table as a Gummer without workstation and status made it.
    const old = tables[0].columns
      .filter((c) => c.name !== "workstation" && c.name !== "status")
      .map((c) => `"${c.name}" TEXT`);
    await bench.query(`CREATE TABLE windows_events (${old.join(", ")})`);
    await assert.rejects(
      () => bench.analyze("password_spraying"),
      /no such column: workstation\. Its table may have been made by an older Gummer.*collect any of its logs again/,
    );

    const line = JSON.stringify({
      TimeCreated: "2024-03-11T14:05:00.000Z",
      Channel: "Security",
      EventID: 4776,
      TargetUserName: "kate",
      Workstation: "WKS-EVIL",
      Status: "0xc000006a",
    });
    const input = {
      name: "dc.json",
      open: () => Promise.resolve(new Blob([line + "\n"]).stream()),
    };
    const report = await bench.collect("windows", [input], {
      rejectFile: join(dir, "rejects.ndjson"),
    });
    assert.equal(report.inserted, 1);
    const found = await bench.query(
      "SELECT target_username, workstation, status FROM windows_events",
    );
    assert.deepEqual(found.rows, [["kate", "WKS-EVIL", "0xc000006a"]]);
    assert.deepEqual((await bench.analyze("password_spraying")).rows, []);
  } finally {
    await bench.close();
  }
});
