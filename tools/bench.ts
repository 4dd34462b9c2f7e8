/**
 * `deno task bench`: Gummer's end-to-end collection against each
 * database's own bulk loader, side by side in one run.
 *
 * One million generated Squid lines (extended format) are collected by
 * `gummer -c squid` into each database: parsing, loading, indexes and the
 * ledger included. The same rows, already parsed and converted to the
 * loader's text format, are then loaded by the native tool into the same
 * table with the same indexes: `sqlite3 .import` (indexes built after, as
 * one would by hand), `psql \copy` and the `mariadb` client's `LOAD DATA
 * LOCAL INFILE`. The ratio is Gummer's time over the native time; the
 * target is at most 1.5.
 *
 * Then every collector reads a million generated lines of its own format
 * into SQLite, for its lines per second, and the Zeek conn.log is timed
 * against `sqlite3 .import` of the same rows written as TSV. Last, every
 * analyzer that reads zeek_conn runs on generated conn rows, at a tenth of
 * the lines and at all of them, against one GROUP BY scan of the same rows
 * (`--collectors` and `--analyzers` pick, empty for none; `--only` picks
 * databases).
 *
 * PostgreSQL and MariaDB are measured when GUMMER_TEST_POSTGRES_URL and
 * GUMMER_TEST_MYSQL_URL are set (`eval "$(scripts/test_databases.sh
 * start)"`).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loaderText } from "../engine/sql.ts";
import type { SqlValue } from "../engine/types.ts";
import { parseLine, tables } from "../modules/collectors/squid.ts";
import {
  tables as zeekTables,
  zeekParser,
} from "../modules/collectors/zeek.ts";
import { analyzerHeader, benchAnalyzers } from "./bench_analyzers.ts";
import { FORMAT_PARAMS, FORMATS } from "./bench_formats.ts";
import { squidSample } from "./squid_sample.ts";
import { createTarget, type Kind, KINDS, unavailable } from "./test_targets.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TABLE = tables[0];
const COLUMNS = TABLE.columns.map((column) => column.name);

interface Measure {
  seconds: number;
  /** Peak resident memory of the process, in MiB. */
  peakMiB?: number;
}

const encoder = new TextEncoder();
const say = (text: string) => Deno.stdout.writeSync(encoder.encode(text));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: "string", default: "1000000" },
      only: { type: "string", default: KINDS.join(",") },
      collectors: { type: "string", default: Object.keys(FORMATS).join(",") },
      analyzers: { type: "string", default: "all" },
    },
  });
  const count = Number(values.lines);
  const kinds = String(values.only).split(",") as Kind[];
  const dir = Deno.makeTempDirSync({ prefix: "gummer-bench-" });

  say(`Generating ${count} Squid lines in ${dir} ...\n`);
  const log = writeLog(dir, count);
  const quarter = writeLog(dir, Math.floor(count / 4), "quarter.log");
  const converted = convert(log, dir);

  const rows: string[][] = [];
  for (const kind of kinds) {
    const skip = unavailable(kind);
    if (skip) {
      say(`${kind}: ${skip}\n`);
      continue;
    }
    say(`${kind}: Gummer ...\n`);
    const gummer = await collectWithGummer(kind, log);
    say(`${kind}: native loader ...\n`);
    const native = await loadNatively(kind, converted);
    // Memory must not grow with the log: the same collection on a quarter.
    const small = await collectWithGummer(kind, quarter);
    rows.push([
      kind,
      gummer.seconds.toFixed(2),
      native.seconds.toFixed(2),
      (gummer.seconds / native.seconds).toFixed(2),
      Math.round(count / gummer.seconds).toLocaleString("en"),
      small.peakMiB?.toFixed(0) ?? "?",
      gummer.peakMiB?.toFixed(0) ?? "?",
    ]);
  }

  const header = [
    "database",
    "gummer s",
    "native s",
    "ratio",
    "rows/s",
    `MiB at ${Math.floor(count / 4)}`,
    `MiB at ${count}`,
  ];
  say(`\n${formatTable([header, ...rows])}`);

  // Every other collector on its own format, into SQLite.
  const speeds: string[][] = [];
  let zeek: { file: string; run: Measure } | undefined;
  for (const aid of String(values.collectors).split(",").filter(Boolean)) {
    say(`${aid}: generating and collecting ${count} lines ...\n`);
    const file = writeLines(dir, `${aid}.log`, count, FORMATS[aid]);
    const run = await collectWithGummer("sqlite", file, aid);
    if (aid === "zeek") zeek = { file, run };
    speeds.push([
      aid,
      run.seconds.toFixed(2),
      Math.round(count / run.seconds).toLocaleString("en"),
      run.peakMiB?.toFixed(0) ?? "?",
    ]);
  }
  if (speeds.length > 0) {
    const head = ["collector", "seconds", "lines/s", "peak MiB"];
    say(
      `\nInto SQLite, ${count} lines each:\n${formatTable([head, ...speeds])}`,
    );
  }
  if (zeek) {
    say("zeek: sqlite3 .import of the same rows as TSV ...\n");
    const native = await importZeekNatively(zeek.file, dir);
    const head = ["conn.log into SQLite", "gummer s", "sqlite3 s", "ratio"];
    say(`\n${
      formatTable([head, [
        `${count} lines`,
        zeek.run.seconds.toFixed(2),
        native.seconds.toFixed(2),
        (zeek.run.seconds / native.seconds).toFixed(2),
      ]])
    }`);
  }
  if (values.analyzers !== "") {
    const only = values.analyzers === "all"
      ? undefined
      : String(values.analyzers).split(",");
    const timings = await benchAnalyzers(
      dir,
      count,
      kinds.filter((kind) => kind !== "mysql-insert"),
      say,
      only,
    );
    if (timings.length > 0) {
      say(
        `\nNetwork analyzers against one GROUP BY scan of the same rows:\n${
          formatTable([analyzerHeader(count), ...timings])
        }`,
      );
    }
  }
  Deno.removeSync(dir, { recursive: true });
}

/** Writes `count` lines made by `line(i)`, in chunks. */
function writeLines(
  dir: string,
  name: string,
  count: number,
  line: (i: number) => string,
): string {
  const path = join(dir, name);
  const file = Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
  });
  for (let start = 0; start < count; start += 10_000) {
    const chunk: string[] = [];
    for (let i = start; i < Math.min(count, start + 10_000); i++) {
      chunk.push(line(i));
    }
    file.writeSync(encoder.encode(chunk.join("\n") + "\n"));
  }
  file.close();
  return path;
}

/** Writes exactly `count` lines of generated extended-format Squid log. */
function writeLog(dir: string, count: number, name = "access.log"): string {
  const path = join(dir, name);
  const file = Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const days = Math.ceil(count / 15_000) + 1; // weekends are quiet
  let written = 0;
  let chunk: string[] = [];
  for (const line of squidSample({ days: Math.min(days, 366) })) {
    chunk.push(line);
    if (++written === count) break;
    if (chunk.length === 10_000) {
      file.writeSync(encoder.encode(chunk.join("\n") + "\n"));
      chunk = [];
    }
  }
  file.writeSync(encoder.encode(chunk.join("\n") + "\n"));
  file.close();
  if (written < count) throw new Error(`generated only ${written} lines`);
  return path;
}

/** The parsed rows as the loaders' text: TSV for COPY and LOAD, CSV for sqlite3. */
function convert(log: string, dir: string): { tsv: string; csv: string } {
  const tsv = join(dir, "rows.tsv");
  const csv = join(dir, "rows.csv");
  const tsvFile = Deno.openSync(tsv, { write: true, create: true });
  const csvFile = Deno.openSync(csv, { write: true, create: true });
  const lines = Deno.readTextFileSync(log).split("\n");
  for (let start = 0; start < lines.length; start += 10_000) {
    const rows = lines.slice(start, start + 10_000)
      .filter((line) => line !== "")
      .map((line) => parseLine(line) as SqlValue[]);
    tsvFile.writeSync(encoder.encode(loaderText(rows)));
    csvFile.writeSync(encoder.encode(csvText(rows)));
  }
  tsvFile.close();
  csvFile.close();
  return { tsv, csv };
}

function csvText(rows: SqlValue[][]): string {
  const field = (value: SqlValue) => {
    if (value === null) return "";
    const text = String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return rows.map((row) => row.map(field).join(",")).join("\n") + "\n";
}

/** `gummer -c <collector>` in a subprocess, into a fresh database. */
async function collectWithGummer(
  kind: Kind,
  log: string,
  collector = "squid",
): Promise<Measure> {
  const target = await createTarget(kind);
  try {
    return await measure(Deno.execPath(), [
      "run",
      "-A",
      join(ROOT, "gummer.ts"),
      "-c",
      collector,
      log,
      "-q",
      ...(FORMAT_PARAMS[collector] ?? []),
    ], target.env);
  } finally {
    await target.drop();
  }
}

/**
 * `sqlite3 .import` of a Zeek conn.log's rows, as Gummer parses them,
 * written as TSV: into a table with the same columns, indexes built after.
 */
async function importZeekNatively(log: string, dir: string): Promise<Measure> {
  const tsv = join(dir, "conn.tsv");
  const out = Deno.openSync(tsv, { write: true, create: true });
  const parser = zeekParser({ log: "conn", table: "conn", from: "#path" });
  const lines = Deno.readTextFileSync(log).split("\n");
  for (let start = 0; start < lines.length; start += 10_000) {
    const rows = lines.slice(start, start + 10_000)
      .filter((line) => line !== "")
      .map((line) => parser.parse(line))
      .filter((row): row is SqlValue[] => Array.isArray(row));
    const text = rows.map((row) =>
      row.map((value) => value === null ? "" : String(value)).join("\t")
    ).join("\n");
    out.writeSync(encoder.encode(text + "\n"));
  }
  out.close();

  const table = zeekTables.find((t) => t.name === "zeek_conn")!;
  const columns = table.columns.map((column) => column.name).join(", ");
  const indexes = table.indexes!.map((index) =>
    `CREATE INDEX zeek_conn_${index.join("_")} ON zeek_conn ` +
    `(${index.join(", ")});`
  );
  const path = join(dir, "native-zeek.db");
  try {
    return await measure("sqlite3", [
      path,
      "-cmd",
      `CREATE TABLE zeek_conn (${columns})`,
      "-cmd",
      ".mode tabs",
      "-cmd",
      `.import ${tsv} zeek_conn`,
      indexes.join(" "),
    ]);
  } finally {
    Deno.removeSync(path);
  }
}

/** The database's own loader on the converted rows, into the same table. */
async function loadNatively(
  kind: Kind,
  converted: { tsv: string; csv: string },
): Promise<Measure> {
  const target = await createTarget(kind);
  const profile = JSON.parse(Deno.readTextFileSync(target.config)).profiles
    .target;
  try {
    if (kind === "sqlite") {
      const indexes = TABLE.indexes!.map((index) =>
        `CREATE INDEX squid_${index.join("_")} ON squid (${index.join(", ")});`
      );
      return await measure("sqlite3", [
        profile.path,
        "-cmd",
        `CREATE TABLE squid (${COLUMNS.join(", ")})`,
        "-cmd",
        ".mode csv",
        "-cmd",
        `.import ${converted.csv} squid`,
        indexes.join(" "),
      ]);
    }

    // The server table is Gummer's own, indexes included.
    const bench = await target.open();
    await (await bench.connect()).ensureTable(TABLE);
    await bench.close();

    if (kind === "postgres") {
      const copy = `\\copy squid (${
        COLUMNS.join(", ")
      }) FROM '${converted.tsv}'`;
      return await measure("psql", [
        profile.url,
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        `SET search_path TO ${profile.schema}`,
        "-c",
        copy,
      ]);
    }
    const url = new URL(profile.url);
    return await measure("mariadb", [
      "--local-infile=1",
      `-h${url.hostname}`,
      `-P${url.port}`,
      `-u${decodeURIComponent(url.username)}`,
      url.pathname.slice(1),
      "-e",
      `LOAD DATA LOCAL INFILE '${converted.tsv}' INTO TABLE squid ` +
      "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' " +
      `LINES TERMINATED BY '\\n' (${COLUMNS.join(", ")})`,
    ], { MYSQL_PWD: decodeURIComponent(url.password) });
  } finally {
    await target.drop();
  }
}

/**
 * Runs a command to its end, timing it and sampling its peak resident
 * memory (VmHWM only grows, so the last sample is the peak but for the
 * final 50 ms).
 */
async function measure(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Measure> {
  const started = performance.now();
  const child = new Deno.Command(command, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peakKiB = 0;
  const timer = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? peakKiB);
    } catch { /* it has just ended */ }
  }, 50);
  const output = await child.output();
  clearInterval(timer);
  if (!output.success) {
    throw new Error(
      `${command} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return {
    seconds: (performance.now() - started) / 1000,
    peakMiB: peakKiB > 0 ? peakKiB / 1024 : undefined,
  };
}

function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  return rows.map((row) =>
    row.map((cell, i) =>
      i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])
    )
      .join("  ")
  ).join("\n") + "\n";
}

if (import.meta.main) await main();
