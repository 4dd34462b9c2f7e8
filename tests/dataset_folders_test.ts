/**
 * One command per dataset folder, as a hunter would run it on what they
 * were handed: every real log in ../shared/datasets (or $GUMMER_DATASETS)
 * goes in with no failure that is not explained, on every database. The
 * Zeek folders are checked the same way in zeek_collector_test.ts.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Workbench } from "../engine/workbench.ts";
import { createTarget, KINDS, unavailable } from "../tools/test_targets.ts";
import { ROOT } from "./helpers/temp.ts";

const DATASETS = Deno.env.get("GUMMER_DATASETS") ??
  join(ROOT, "..", "shared", "datasets");

const SET_ASIDE = (what: string, lines = 20) =>
  `not ${what}: none of its first ${lines} lines is one (the whole file ` +
  "is set aside)";

/**
 * [collector, folder, rows inserted, every failure as file:line reason].
 * The rows are the per-file counts the collectors' own tests derive in the
 * shell (web 9,999 + 4,298 + 2,660 + 3,456; auth 2,000 + 2,000; windows
 * 869 + 657 + 184 + 1,041). The failures are the bad lines those tests
 * name, and the files in the folders that are not logs of the format: the
 * READMEs and SOURCE.txt beside web logs, and loghub's Apache error log,
 * which is not syslog.
 */
const FOLDERS: [string, string, number, string[]][] = [
  ["auth", "loghub-linux-ssh", 4_000, [
    `Apache/Apache_2k.log:1 ${SET_ASIDE("syslog")}`,
  ]],
  ["windows", "otrf-windows-json", 2_751, []],
  ["web", "web-access-logs", 20_413, [
    `SOURCE.txt:1 ${SET_ASIDE("a web access log")}`,
    `elastic-apache/UPSTREAM_README.md:1 ${SET_ASIDE("a web access log")}`,
    "elastic-apache/apache_logs:8899 the user agent has no closing quote " +
    "(was the line cut short?)",
    "sbousseaden-tomcat-iis-webshell/Tunna_rdp_tunnel_IIS.log:5 " +
    '"# Default traces of Tunna Tunneling tool…" is not a W3C directive; ' +
    "those are #Software, #Version, #Date, #Fields, #Start-Date, " +
    "#End-Date, #Remark",
    "sbousseaden-tomcat-iis-webshell/UPSTREAM_readme.md:1 " +
    SET_ASIDE("a web access log", 6),
    "sbousseaden-tomcat-iis-webshell/" +
    "web_attack_and_isp_webshell_localhost_access_log.txt:27 not UTF-8 " +
    "text (at byte 58)",
    `yauaa-hackers/UPSTREAM_README.md:1 ${SET_ASIDE("a web access log")}`,
  ]],
];

const FOUND = FOLDERS.every(([, folder]) => existsSync(join(DATASETS, folder)));

async function collectFolder(
  workbench: Workbench,
  collector: string,
  folder: string,
) {
  const root = join(DATASETS, folder);
  const report = await workbench.collect(collector, [root], {
    rejectFile: join(Deno.makeTempDirSync(), "rejects.ndjson"),
  });
  return [
    collector,
    folder,
    report.inserted,
    report.failures.map((f) =>
      `${f.file.slice(root.length + 1)}:${f.line} ${f.reason}`
    ),
  ];
}

for (const kind of KINDS) {
  const skip = FOUND ? unavailable(kind) : "skipped: datasets not found";
  Deno.test({
    name: `every dataset folder in one command each, on ${kind}` +
      (skip ? ` (${skip})` : ""),
    ignore: skip !== undefined,
    async fn() {
      const target = await createTarget(kind);
      const workbench = await target.open();
      try {
        for (const [collector, folder, inserted, failures] of FOLDERS) {
          assert.deepEqual(
            await collectFolder(workbench, collector, folder),
            [collector, folder, inserted, failures],
          );
        }
      } finally {
        await workbench.close();
        await target.drop();
      }
    },
  });
}
