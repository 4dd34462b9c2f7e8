/**
 * The machinery shared by line-oriented collectors: read each input as
 * lines, parse each line into a row, stream rows to the connection in
 * batches, and set aside every line that does not parse, with where and
 * why. A bad line never stops a run.
 *
 * @module
 */

import { GummerError, messageOf } from "./errors.ts";
import { decompressed, type Line, readLines } from "./lines.ts";
import type {
  CollectOptions,
  CollectReport,
  Connection,
  FileReport,
  Input,
  SqlValue,
  TableSpec,
} from "./types.ts";

/** How many failures a report lists; the reject file has all of them. */
export const REPORTED_FAILURES = 1000;

/** Rows per batch handed to the connection unless the caller says. */
export const DEFAULT_BATCH_SIZE = 10_000;

/**
 * Parses the lines of one file. `parse` returns the row's values in the
 * order of the table's columns, or a string saying why the line is not a
 * row: returning rather than throwing keeps the hot loop cheap.
 */
export interface LineParser {
  /** Turns one line into a row, or says why it cannot. */
  parse(text: string): SqlValue[] | string;
  /** A summary of the file once parsed, such as the formats it used. */
  detail?(): string | undefined;
}

/** What a line collector needs besides the standard collector arguments. */
export interface LineCollectorSpec {
  /** The table rows go into, created when missing. */
  table: TableSpec;
  /** Makes a parser for one input; parsers may keep per-file state. */
  parser(input: Input): LineParser;
  /** The longest line the format can have, in bytes. */
  maxLineBytes: number;
}

/**
 * Runs a line-oriented collector over its inputs, one input after another.
 *
 * @example A collector of one-word lines
 * ```ts
 * import { collectLines } from "./collect.ts";
 * import type { Connection, SqlValue } from "./types.ts";
 *
 * const rows: SqlValue[][] = [];
 * const connection = {
 *   ensureTable: () => Promise.resolve(),
 *   load: async (_t: unknown, batches: AsyncIterable<SqlValue[][]>) => {
 *     for await (const batch of batches) rows.push(...batch);
 *     return rows.length;
 *   },
 * } as unknown as Connection;
 * const input = {
 *   name: "words.log",
 *   open: () => Promise.resolve(ReadableStream.from(["alpha\nbeta gamma\n"])
 *     .pipeThrough(new TextEncoderStream())),
 * };
 * const report = await collectLines(connection, [input], {
 *   spec: {
 *     table: { name: "words", columns: [{ name: "word", type: "text" }] },
 *     maxLineBytes: 100,
 *     parser: () => ({
 *       parse: (text) => text.includes(" ") ? "more than one word" : [text],
 *     }),
 *   },
 *   reject: () => {},
 * });
 * if (report.inserted !== 1 || report.failed !== 1) throw new Error("wrong");
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
  const { spec } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const report: CollectReport = {
    inserted: 0,
    failed: 0,
    files: [],
    failures: [],
  };
  await connection.ensureTable(spec.table);

  for (const input of inputs) {
    options.signal?.throwIfAborted();
    const parser = spec.parser(input);
    const file: FileReport = {
      file: input.name,
      lines: 0,
      inserted: 0,
      failed: 0,
    };

    const fail = (line: Line, reason: string) => {
      file.failed++;
      const failure = { file: input.name, line: line.number, reason };
      if (report.failures.length < REPORTED_FAILURES) {
        report.failures.push(failure);
      }
      options.reject({ ...failure, raw: line.raw, length: line.length });
    };

    const rows = async function* (): AsyncGenerator<SqlValue[][]> {
      let batch: SqlValue[][] = [];
      for await (const lines of safeLines(input, spec.maxLineBytes)) {
        for (const line of lines) {
          file.lines = line.number;
          const row = line.text === undefined
            ? line.problem!
            : parser.parse(line.text);
          if (typeof row === "string") fail(line, row);
          else batch.push(row);
        }
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
        options.signal?.throwIfAborted();
      }
      if (batch.length > 0) yield batch;
    };

    file.inserted = await connection.load(spec.table, rows());
    file.detail = parser.detail?.();
    report.inserted += file.inserted;
    report.failed += file.failed;
    report.files.push(file);
  }
  return report;
}

/** The lines of an input; failing to open it is the user's to fix. */
async function* safeLines(
  input: Input,
  maxBytes: number,
): AsyncGenerator<Line[]> {
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await decompressed(await input.open());
  } catch (error) {
    throw new GummerError(`Cannot read "${input.name}": ${messageOf(error)}`, {
      cause: error,
    });
  }
  yield* readLines(stream, { maxBytes });
}
