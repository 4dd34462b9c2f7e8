import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { gzipSync } from "node:zlib";
import { decompressed, type Line, readLines } from "../engine/lines.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Reads chunks as a stream would deliver them; returns every line. */
async function lines(
  chunks: (string | Uint8Array)[],
  options = {},
): Promise<Line[]> {
  const bytes = chunks.map((c) => typeof c === "string" ? encode(c) : c);
  const stream = await decompressed(ReadableStream.from(bytes));
  const all: Line[] = [];
  for await (const batch of readLines(stream, options)) all.push(...batch);
  return all;
}

const summary = (all: Line[]) =>
  all.map((l) => [l.number, l.text ?? l.problem, l.length]);

Deno.test("CRLF and LF endings, blank lines counted but skipped", async () => {
  assert.deepEqual(summary(await lines(["a\r\nbb\n\r\n\nccc"])), [
    [1, "a", 2],
    [2, "bb", 2],
    [5, "ccc", 3],
  ]);
});

Deno.test("a line split across chunks is joined", async () => {
  assert.deepEqual(summary(await lines(["al", "pha\nbe", "", "ta\n"])), [
    [1, "alpha", 5],
    [2, "beta", 4],
  ]);
});

Deno.test("an overlong line is reported, kept up to keepBytes", async () => {
  const long = "x".repeat(300);
  const all = await lines([long.slice(0, 100), long.slice(100), "\nok\n"], {
    maxBytes: 50,
    keepBytes: 120,
  });
  assert.deepEqual(summary(all), [
    [1, "line is 300 bytes, longer than the 50 this collector accepts", 300],
    [2, "ok", 2],
  ]);
  assert.equal(all[0].raw.length, 120);
});

Deno.test("bytes that are not UTF-8 are reported with their offset", async () => {
  const bad = new Uint8Array([0x61, 0x62, 0xc3, 0x28, 0x0a]);
  assert.deepEqual(summary(await lines([bad, "ok\n"])), [
    [1, "not UTF-8 text (at byte 3)", 4],
    [2, "ok", 2],
  ]);
  const utf8 = await lines(["café ✓\n"]);
  assert.equal(utf8[0].text, "café ✓");
});

Deno.test("gzip is undone by its magic bytes, member after member", async () => {
  const one = gzipSync(encode("first\nsecond\n"));
  const two = gzipSync(encode("third\n"));
  // logrotate's delaycompress and `cat a.gz b.gz` give multi-member files.
  const both = Buffer.concat([one, two]);
  const split = [both.subarray(0, 1), both.subarray(1, 30), both.subarray(30)];
  assert.deepEqual(
    (await lines(split)).map((l) => l.text),
    ["first", "second", "third"],
  );
});

Deno.test("empty input yields nothing", async () => {
  assert.deepEqual(await lines([]), []);
  assert.deepEqual(await lines([""]), []);
});
