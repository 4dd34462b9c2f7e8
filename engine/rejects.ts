/**
 * The reject file: every line a collector could not use, with where and why,
 * so that nothing read is lost. One JSON object a line; the line itself is
 * kept as text when it is UTF-8 and as base64 when it is not, so that even
 * binary garbage can be recovered byte for byte.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Rejection } from "./types.ts";

/** A place rejected lines go; `close` flushes what is buffered. */
export interface RejectSink {
  reject(rejection: Rejection): void;
  /** How many lines were written. */
  readonly count: number;
  close(): void;
}

const strict = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const FLUSH_AT = 1 << 16;

/**
 * Appends rejected lines to a file, created on the first rejection only.
 * Each record names the collector, the time of the run, the input file, the
 * line number and the reason.
 */
export function rejectFile(
  path: string,
  options: { collector: string; runAt?: Date },
): RejectSink {
  const runAt = (options.runAt ?? new Date()).toISOString();
  let file: Deno.FsFile | undefined;
  let buffer: string[] = [];
  let buffered = 0;
  let count = 0;

  const flush = () => {
    if (buffer.length === 0) return;
    file ??= Deno.openSync(path, { append: true, create: true });
    const bytes = encoder.encode(buffer.join(""));
    for (let written = 0; written < bytes.length;) {
      written += file.writeSync(bytes.subarray(written));
    }
    buffer = [];
    buffered = 0;
  };

  return {
    get count() {
      return count;
    },
    reject(rejection) {
      const record = JSON.stringify({
        collector: options.collector,
        run_at: runAt,
        file: rejection.file,
        line: rejection.line,
        reason: rejection.reason,
        length: rejection.length,
        ...lineContent(rejection.raw),
      });
      buffer.push(record, "\n");
      buffered += record.length;
      count++;
      if (buffered >= FLUSH_AT) flush();
    },
    close() {
      flush();
      file?.close();
      file = undefined;
    },
  };
}

function lineContent(raw: Uint8Array): { text: string } | { base64: string } {
  try {
    return { text: strict.decode(raw) };
  } catch {
    return { base64: Buffer.from(raw).toString("base64") };
  }
}
