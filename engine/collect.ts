/**
 * The machinery shared by line-oriented collectors: read each input as
 * lines, parse each line into a row, stream rows to the connection in
 * batches, and set aside every line that does not parse, with where and
 * why. A bad line never stops a run.
 *
 * Collecting is idempotent and resumable. Each input is known by a
 * fingerprint of its content (the SHA-256 of its first 64 KiB once
 * decompressed), and a ledger table records, in the same transaction as
 * the rows, how many lines of it are in. Collecting it again skips those
 * lines, after checking that they are still the same, so a repeat inserts
 * nothing, a run killed half-way finishes where it stopped, and a log that
 * has grown since contributes only its new lines. A log that was shorter
 * than 64 KiB, whose fingerprint changes as it grows, is found again by
 * its name and its first lines.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { GummerError, messageOf } from "./errors.ts";
import { decompressed, type Line, readLines } from "./lines.ts";
import { formatTimestamp } from "./time.ts";
import type {
  Batch,
  CollectOptions,
  CollectReport,
  Connection,
  FileReport,
  Input,
  Params,
  SqlValue,
  Statement,
  TableSpec,
} from "./types.ts";

/** How many failures a report lists; the reject file has all of them. */
export const REPORTED_FAILURES = 1000;

/** Rows per batch handed to the connection unless the caller says. */
export const DEFAULT_BATCH_SIZE = 10_000;

/**
 * Seconds of work between two commits of rows and ledger together. A killed
 * run repeats at most this much; each commit costs a disk sync, and
 * committing every 50,000 rows spent a tenth of a SQLite load on them.
 */
export const COMMIT_SECONDS = 2;

/** Bytes of decompressed content that identify an input. */
export const FINGERPRINT_BYTES = 64 * 1024;

/** The ledger: which content each collector has loaded, and how far. */
export const LEDGER: TableSpec = {
  name: "gummer_files",
  columns: [
    { name: "collector", type: "text" },
    {
      name: "fingerprint",
      type: "text",
      desc: "SHA-256 of the first 64 KiB of the decompressed content",
    },
    { name: "name", type: "text", desc: "the name it was last collected as" },
    { name: "lines_done", type: "integer", desc: "lines read and committed" },
    { name: "rows_done", type: "integer", desc: "rows inserted from it" },
    { name: "failed", type: "integer", desc: "lines set aside from it" },
    {
      name: "prefix_sha256",
      type: "text",
      desc: "SHA-256 of its first lines_done lines, to see they still match",
    },
    { name: "updated_at", type: "timestamp" },
  ],
  indexes: [["collector", "fingerprint"]],
};

/**
 * Parses the lines of one file. `parse` returns the row's values in the
 * order of the table's columns, a string saying why the line is not a row
 * (it is rejected), or null for a line that is not data and not wrong
 * either, such as a header (it is counted apart). Returning rather than
 * throwing keeps the hot loop cheap.
 */
export interface LineParser {
  /** Turns one line into a row, or says why it cannot. */
  parse(text: string): SqlValue[] | string | null;
  /**
   * Sees a line that an earlier run already collected. A parser whose rows
   * depend on a header (Zeek's `#fields`) reads it here on a resumed run.
   */
  skipped?(text: string): void;
  /** A summary of the file once parsed, such as the formats it used. */
  detail?(): string | undefined;
}

/** What a line collector needs besides the standard collector arguments. */
export interface LineCollectorSpec {
  /** The collector's aid, which keys its entries in the ledger. */
  collector: string;
  /**
   * The table rows go into, created when missing; or, for a collector whose
   * inputs go to different tables (one per Zeek log type), a function that
   * picks the table from the input's name and its first bytes (up to 64
   * KiB, decompressed), or says why the input cannot be read.
   */
  table: TableSpec | ((input: Input, head: Uint8Array) => TableSpec | string);
  /**
   * Makes a parser for one input, given the collector's parameters; parsers
   * may keep per-file state.
   */
  parser(input: Input, params: Params): LineParser;
  /** The longest line the format can have, in bytes. */
  maxLineBytes: number;
}

/** Lines of an input's head that `sniffed` tries. */
export const SNIFFED_LINES = 20;

/**
 * A table choice that first looks at an input's first lines: when none of
 * the first twenty that are not blank is a row or a header for a fresh
 * parser, the input is set aside whole, with one failure saying so,
 * instead of a failure for each of its lines. That is what a hunter wants
 * for the README beside the logs in a folder; a log whose first lines are
 * good and later ones bad still goes in line by line.
 */
export function sniffed(
  table: TableSpec,
  parser: (input: Input, params: Params) => LineParser,
  format: string,
  params: Params = {},
): (input: Input, head: Uint8Array) => TableSpec | string {
  return (input, head) => {
    const text = new TextDecoder().decode(head);
    // The last line of a head cut at 64 KiB may be cut too: leave it out.
    const end = head.length < FINGERPRINT_BYTES
      ? text.length
      : text.lastIndexOf("\n");
    const lines = text.slice(0, Math.max(end, 0)).split("\n")
      .map((line) => line.replace(/\r$/, ""))
      .filter((line) => line.trim() !== "")
      .slice(0, SNIFFED_LINES);
    if (lines.length === 0) return table;
    const fresh = parser(input, params);
    if (lines.some((line) => typeof fresh.parse(line) !== "string")) {
      return table;
    }
    return `not ${format}: none of its first ${lines.length} lines is one ` +
      "(the whole file is set aside)";
  };
}

/** What the ledger holds for one input. */
interface LedgerEntry {
  /** Set when the entry is that of an earlier state of the input. */
  fingerprint?: string;
  name: string;
  linesDone: number;
  rowsDone: number;
  failed: number;
  prefixSha256: string;
}

/**
 * Runs a line-oriented collector over its inputs, one input after another.
 *
 * @example A collector of one-word lines
 * ```ts
 * import { collectLines } from "./collect.ts";
 * import { launch } from "../modules/connectors/sqlite.ts";
 * import { silentLogger } from "./logger.ts";
 *
 * const db = await launch({ settings: { path: ":memory:" }, logger: silentLogger });
 * const input = {
 *   name: "words.log",
 *   open: () => Promise.resolve(new Blob(["alpha\nbeta gamma\n"]).stream()),
 * };
 * const report = await collectLines(db, [input], {
 *   spec: {
 *     collector: "words",
 *     table: { name: "words", columns: [{ name: "word", type: "text" }] },
 *     maxLineBytes: 100,
 *     parser: () => ({
 *       parse: (text) => text.includes(" ") ? "more than one word" : [text],
 *     }),
 *   },
 *   reject: () => {},
 * });
 * const again = await collectLines(db, [input], {
 *   spec: {
 *     collector: "words",
 *     table: { name: "words", columns: [{ name: "word", type: "text" }] },
 *     maxLineBytes: 100,
 *     parser: () => ({ parse: (text) => [text] }),
 *   },
 *   reject: () => {},
 * });
 * await db.close();
 * if (report.inserted !== 1 || report.failed !== 1) throw new Error("first");
 * if (again.inserted !== 0 || again.files[0].skipped !== 2) throw new Error();
 * ```
 */
export async function collectLines(
  connection: Connection,
  inputs: Input[],
  options: Omit<CollectOptions, "logger"> & {
    spec: LineCollectorSpec;
    logger?: CollectOptions["logger"];
  },
): Promise<CollectReport> {
  const report: CollectReport = {
    inserted: 0,
    failed: 0,
    files: [],
    failures: [],
  };
  await connection.ensureTable(LEDGER);

  for (const input of inputs) {
    options.signal?.throwIfAborted();
    const file = await collectInput(connection, input, options, report);
    report.inserted += file.inserted;
    report.failed += file.failed;
    report.files.push(file);
  }
  return report;
}

async function collectInput(
  connection: Connection,
  input: Input,
  options: Omit<CollectOptions, "logger"> & { spec: LineCollectorSpec },
  report: CollectReport,
): Promise<FileReport> {
  const { spec } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const commitMs = (options.commitSeconds ?? COMMIT_SECONDS) * 1000;
  const file: FileReport = {
    file: input.name,
    lines: 0,
    inserted: 0,
    failed: 0,
    skipped: 0,
  };

  const { fingerprint, head, stream } = await fingerprinted(input);
  const table = typeof spec.table === "function"
    ? spec.table(input, head)
    : spec.table;
  if (typeof table === "string") {
    // The whole input is set aside, with why; the other inputs go on.
    await stream.cancel();
    const failure = { file: input.name, line: 1, reason: table };
    report.failures.push(failure);
    options.reject({ ...failure, raw: new Uint8Array(), length: 0 });
    return { ...file, failed: 1 };
  }
  await connection.ensureTable(table);
  const key = [spec.collector, fingerprint];
  const before = await readLedger(connection, key) ??
    await grownFrom(connection, spec, input.name, head) ??
    await startLedger(connection, key, input.name);
  // The entry of an earlier, shorter state of the input takes this one's
  // fingerprint with its first commit.
  let entryFingerprint = before.fingerprint ?? fingerprint;
  const parser = spec.parser(input, options.params ?? {});
  const prefix = createHash("sha256");
  let linesDone = before.linesDone;

  const fail = (line: Line, reason: string) => {
    file.failed++;
    const failure = { file: input.name, line: line.number, reason };
    if (report.failures.length < REPORTED_FAILURES) {
      report.failures.push(failure);
    }
    options.reject({ ...failure, raw: line.raw, length: line.length });
  };

  let read = 0;
  const tell = (done: boolean) =>
    options.progress?.({
      file: input.name,
      lines: read,
      failed: file.failed,
      done,
    });

  // Where the ledger will say this run got to, committed with the rows.
  const progress = (): Statement => ({
    sql: UPDATE_LEDGER,
    params: [
      input.name,
      linesDone,
      before.rowsDone + file.inserted,
      before.failed + file.failed,
      digestSoFar(prefix),
      formatTimestamp(Date.now())!,
      fingerprint,
      spec.collector,
      entryFingerprint,
    ],
  });

  const progressOnce = (): Statement => {
    const statement = progress();
    entryFingerprint = fingerprint;
    return statement;
  };

  const batches = async function* (): AsyncGenerator<Batch> {
    let rows: SqlValue[][] = [];
    let lastSeen = 0;
    let lastCommit = performance.now();
    for await (
      const lines of readLines(stream, { maxBytes: spec.maxLineBytes })
    ) {
      for (const line of lines) {
        prefix.update(line.raw);
        prefix.update(LINE_END);
        lastSeen = line.number;
        if (line.number <= before.linesDone) {
          if (line.text !== undefined) parser.skipped?.(line.text);
          file.skipped = (file.skipped ?? 0) + 1;
          if (line.number === before.linesDone) {
            checkPrefix(prefix, before, input.name);
          }
          continue;
        }

        linesDone = line.number;
        read++;
        const row = line.text === undefined
          ? line.problem!
          : parser.parse(line.text);
        if (row === null) file.headers = (file.headers ?? 0) + 1;
        else if (typeof row === "string") fail(line, row);
        else rows.push(row);
      }

      // Batches end at chunk boundaries, so every line counted in the
      // ledger has been parsed and its row, if any, is in the batch.
      const commit = performance.now() - lastCommit >= commitMs;
      if (rows.length >= batchSize || commit) {
        file.inserted += rows.length;
        tell(false);
        yield commit ? { rows, commit: [progressOnce()] } : { rows };
        if (commit) lastCommit = performance.now();
        rows = [];
      }
      options.signal?.throwIfAborted();
    }

    // A file shorter than what was collected of it never reached the check.
    if (lastSeen < before.linesDone) throw changedError(input.name, before);
    file.inserted += rows.length;
    yield { rows, commit: [progressOnce()] };
    tell(true);
  };

  const inserted = await connection.load(table, batches());
  if (inserted !== file.inserted) {
    throw new GummerError(
      `The database took ${inserted} rows from "${input.name}" where ` +
        `${file.inserted} were sent.`,
    );
  }
  file.lines = linesDone;
  file.detail = parser.detail?.();
  return file;
}

/**
 * At the last line an earlier run committed, the content read so far must
 * hash to what the ledger recorded; otherwise the input only starts like
 * the one collected before.
 */
function checkPrefix(prefix: Hash, before: LedgerEntry, name: string): void {
  if (digestSoFar(prefix) !== before.prefixSha256) {
    throw changedError(name, before);
  }
}

function changedError(name: string, before: LedgerEntry): GummerError {
  return new GummerError(
    `"${name}" starts like "${before.name}", of which ${before.linesDone} ` +
      "lines were collected, but its first lines are not the same: it is " +
      "not the same file, and resuming would mix the two. Nothing of it " +
      "was collected.",
  );
}

const LINE_END = new Uint8Array([0x0a]);
const SHA256_OF_NOTHING = createHash("sha256").digest("hex");

function digestSoFar(hash: Hash): string {
  return hash.copy().digest("hex");
}

/**
 * Opens an input and reads its first 64 KiB to fingerprint it, handing back
 * a stream that still starts at the beginning.
 */
async function fingerprinted(
  input: Input,
): Promise<
  { fingerprint: string; head: Uint8Array; stream: ReadableStream<Uint8Array> }
> {
  let source: ReadableStream<Uint8Array>;
  try {
    source = await decompressed(await input.open());
  } catch (error) {
    throw new GummerError(`Cannot read "${input.name}": ${messageOf(error)}`, {
      cause: error,
    });
  }

  const reader = source.getReader();
  const head: Uint8Array[] = [];
  const hash = createHash("sha256");
  let size = 0;
  let ended = false;
  try {
    while (size < FINGERPRINT_BYTES) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      head.push(value);
      hash.update(value.subarray(0, FINGERPRINT_BYTES - size));
      size += value.length;
    }
  } catch {
    // A read error this early is reported by the line reader, as for any
    // later one; the bytes read so far still identify the input.
  }

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) controller.enqueue(chunk);
      if (ended) controller.close();
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const bytes = new Uint8Array(Math.min(size, FINGERPRINT_BYTES));
  let offset = 0;
  for (const chunk of head) {
    if (offset >= bytes.length) break;
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
  }
  return { fingerprint: hash.digest("hex"), head: bytes, stream };
}

const SELECT_LEDGER =
  `SELECT name, lines_done, rows_done, failed, prefix_sha256 FROM gummer_files
WHERE collector = ? AND fingerprint = ?`;

const INSERT_LEDGER = `INSERT INTO gummer_files
(collector, fingerprint, name, lines_done, rows_done, failed, prefix_sha256,
 updated_at)
VALUES (?, ?, ?, 0, 0, 0, ?, ?)`;

const UPDATE_LEDGER = `UPDATE gummer_files
SET name = ?, lines_done = ?, rows_done = ?, failed = ?, prefix_sha256 = ?,
    updated_at = ?, fingerprint = ?
WHERE collector = ? AND fingerprint = ?`;

const SELECT_BY_NAME =
  `SELECT name, lines_done, rows_done, failed, prefix_sha256, fingerprint
FROM gummer_files WHERE collector = ? AND name = ? AND lines_done > 0`;

async function readLedger(
  connection: Connection,
  key: string[],
): Promise<LedgerEntry | undefined> {
  const found = await connection.query(SELECT_LEDGER, key);
  const row = found.rows[0];
  if (!row) return undefined;
  return {
    name: String(row[0]),
    linesDone: Number(row[1]),
    rowsDone: Number(row[2]),
    failed: Number(row[3]),
    prefixSha256: String(row[4]),
  };
}

/**
 * The ledger entry of an earlier, shorter state of an input. A log under
 * 64 KiB is known by a fingerprint of its whole content, which it loses as
 * it grows; without this, collecting a small auth.log again after it grew
 * would insert its old lines twice. An entry of the same collector and
 * name whose recorded lines are exactly this input's first lines is that
 * earlier state, and the collection goes on from it.
 */
async function grownFrom(
  connection: Connection,
  spec: LineCollectorSpec,
  name: string,
  head: Uint8Array,
): Promise<LedgerEntry | undefined> {
  if (name === "-" || head.length === 0) return undefined;
  const found = await connection.query(SELECT_BY_NAME, [spec.collector, name]);
  for (const row of found.rows) {
    const linesDone = Number(row[1]);
    const hash = createHash("sha256");
    let lines = 0;
    const source = ReadableStream.from([head]);
    for await (
      const chunk of readLines(source, { maxBytes: spec.maxLineBytes })
    ) {
      for (const line of chunk) {
        if (lines === linesDone) break;
        hash.update(line.raw);
        hash.update(LINE_END);
        lines++;
      }
    }
    if (lines === linesDone && hash.digest("hex") === String(row[4])) {
      return {
        fingerprint: String(row[5]),
        name: String(row[0]),
        linesDone,
        rowsDone: Number(row[2]),
        failed: Number(row[3]),
        prefixSha256: String(row[4]),
      };
    }
  }
  return undefined;
}

async function startLedger(
  connection: Connection,
  key: string[],
  name: string,
): Promise<LedgerEntry> {
  const now = formatTimestamp(Date.now())!;
  await connection.query(INSERT_LEDGER, [...key, name, SHA256_OF_NOTHING, now]);
  return {
    name,
    linesDone: 0,
    rowsDone: 0,
    failed: 0,
    prefixSha256: SHA256_OF_NOTHING,
  };
}
