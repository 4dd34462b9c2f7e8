/**
 * Reads log input as lines, with the limits that attacker-controlled input
 * needs: a line longer than the collector allows is reported instead of
 * parsed, bytes that are not UTF-8 are reported instead of guessed at, and
 * gzip is undone when the data starts with its magic bytes, whatever the
 * file is called.
 *
 * @module
 */

import { Duplex } from "node:stream";
import { createGunzip } from "node:zlib";

/** One line of input. */
export interface Line {
  /** 1-based line number in the decompressed input. */
  number: number;
  /** The decoded text, without its line end; absent when `problem` is set. */
  text?: string;
  /** Why the line cannot be parsed at all (too long, not UTF-8). */
  problem?: string;
  /** The raw bytes, kept for rejected lines; cut at `keepBytes`. */
  raw: Uint8Array;
  /** The line's real length in bytes. */
  length: number;
}

/** Limits for `readLines`. */
export interface LineOptions {
  /** Lines longer than this many bytes are reported. Default: 1 MiB. */
  maxBytes?: number;
  /** At most this many bytes of an overlong line are kept. Default: 16 MiB. */
  keepBytes?: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Undoes gzip when the stream starts with gzip's magic bytes (1f 8b), and
 * passes other data through untouched.
 */
export async function decompressed(
  stream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  let first = await reader.read();
  while (!first.done && first.value.length < 2) {
    const next = await reader.read();
    if (next.done) break;
    first = { done: false, value: concat([first.value, next.value]) };
  }
  const head = first.done ? new Uint8Array() : first.value;
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });

  // node:zlib rather than DecompressionStream: only zlib reads on past the
  // first member of a multi-member file (`cat a.gz b.gz`, some rotations).
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (!gzip) return rest;
  const gunzip = Duplex.toWeb(createGunzip()) as unknown as TransformStream<
    Uint8Array,
    Uint8Array
  >;
  return rest.pipeThrough(gunzip);
}

/**
 * Splits a byte stream into lines, yielded in batches (one per chunk read),
 * so that callers pay for one await per chunk rather than per line. Empty
 * lines are skipped but counted; a final line without a line end is kept.
 * A read error ends the lines with one whose problem names the error.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  options: LineOptions = {},
): AsyncGenerator<Line[]> {
  const maxBytes = options.maxBytes ?? 1 << 20;
  const keepBytes = Math.max(options.keepBytes ?? 16 << 20, maxBytes);
  let number = 0;
  let pending: Uint8Array[] = [];
  let pendingLength = 0;

  const finish = (tail: Uint8Array): Line | undefined => {
    number++;
    const length = pendingLength + tail.length;
    let raw = pending.length === 0 ? tail : concat([...pending, tail]);
    if (raw.length > keepBytes) raw = raw.subarray(0, keepBytes);
    pending = [];
    pendingLength = 0;
    if (raw.length > 0 && raw[raw.length - 1] === CARRIAGE_RETURN) {
      raw = raw.subarray(0, raw.length - 1);
    }
    if (length === 0 || (length === 1 && raw.length === 0)) return undefined;
    return toLine(raw, length, number, maxBytes);
  };

  /** A whole line inside one chunk whose text is already decoded. */
  function quickLine(raw: Uint8Array, text: string): Line | undefined {
    number++;
    const length = raw.length;
    if (raw[length - 1] === CARRIAGE_RETURN) {
      raw = raw.subarray(0, length - 1);
      text = text.slice(0, -1);
    }
    if (raw.length === 0) return undefined;
    if (length > maxBytes) return toLine(raw, length, number, maxBytes);
    return { number, text, raw, length };
  }

  const reader = stream.getReader();
  for (;;) {
    let chunk: Uint8Array;
    try {
      const read = await reader.read();
      if (read.done) break;
      chunk = read.value;
    } catch (error) {
      // The data stops making sense part-way (gzip cut short while it was
      // copied, a disk error): end with one line that says so and keeps
      // the bytes of the line it cut, so the lines before it still count.
      const message = error instanceof Error ? error.message : String(error);
      const problem = `cannot read past line ${number}: ${message}`;
      const raw = concat(pending);
      yield [{ number: number + 1, problem, raw, length: pendingLength }];
      return;
    }

    const batch: Line[] = [];
    let start = 0;
    const first = chunk.indexOf(NEWLINE);
    if (first >= 0) {
      const line = finish(chunk.subarray(0, first));
      if (line) batch.push(line);
      start = first + 1;
    }

    // Fast path: the whole lines after the first decode in one call, which
    // costs a fraction of decoding line by line. Text that is not UTF-8
    // falls back to the line-by-line path, which says where it breaks.
    const last = chunk.lastIndexOf(NEWLINE);
    const texts = last > start ? decodeLines(chunk.subarray(start, last)) : [];
    for (let i = 0; start <= last && start < chunk.length; i++) {
      const end = chunk.indexOf(NEWLINE, start);
      const raw = chunk.subarray(start, end);
      const line = texts ? quickLine(raw, texts[i]) : finish(raw);
      if (line) batch.push(line);
      start = end + 1;
    }

    // Part of a line is left over: keep it for the next chunk, but never
    // more than keepBytes, so that a file with no line ends cannot exhaust
    // memory.
    const tail = chunk.subarray(start);
    const room = keepBytes - pendingLength;
    if (tail.length > 0) {
      if (room > 0) pending.push(tail.slice(0, Math.min(room, tail.length)));
      pendingLength += tail.length;
    }
    if (batch.length > 0) yield batch;
  }

  if (pendingLength > 0) {
    const line = finish(new Uint8Array());
    if (line) yield [line];
  }
}

function toLine(
  raw: Uint8Array,
  length: number,
  number: number,
  maxBytes: number,
): Line {
  if (length > maxBytes) {
    const problem = `line is ${length} bytes, longer than the ${maxBytes} ` +
      "this collector accepts";
    return { number, problem, raw, length };
  }
  try {
    return { number, text: strict.decode(raw), raw, length };
  } catch {
    const at = firstInvalidUtf8(raw);
    return { number, problem: `not UTF-8 text (at byte ${at})`, raw, length };
  }
}

/** The lines of a run of bytes, or undefined when it is not all UTF-8. */
function decodeLines(bytes: Uint8Array): string[] | undefined {
  try {
    return strict.decode(bytes).split("\n");
  } catch {
    return undefined;
  }
}

/**
 * The 1-based offset of the first byte that breaks UTF-8, for the message
 * only: the strict decoder has already decided. Overlong forms and encoded
 * surrogates are not told apart, so the offset may point past them.
 */
function firstInvalidUtf8(raw: Uint8Array): number {
  let i = 0;
  while (i < raw.length) {
    const byte = raw[i];
    const following = byte < 0x80
      ? 0
      : byte >= 0xc2 && byte <= 0xdf
      ? 1
      : byte >= 0xe0 && byte <= 0xef
      ? 2
      : byte >= 0xf0 && byte <= 0xf4
      ? 3
      : -1;
    if (following < 0) return i + 1;
    for (let k = 1; k <= following; k++) {
      if ((raw[i + k] & 0xc0) !== 0x80) return i + 1;
    }
    i += following + 1;
  }
  return raw.length;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
