import assert from "node:assert/strict";
import { progressLine } from "../engine/cli.ts";
import type { Progress } from "../engine/types.ts";
import { Workbench } from "../engine/workbench.ts";
import { squidSample } from "../tools/squid_sample.ts";
import { envOf } from "./helpers/temp.ts";

Deno.test("a collection reports its progress batch by batch", async () => {
  const bench = await Workbench.open({
    env: envOf({ GUMMER_SQLITE: ":memory:" }),
  });
  const lines = [...squidSample({ days: 1 })];
  // Chunks of 1000 lines, as a file would arrive, not one big blob.
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < lines.length; i += 1000) {
    const text = lines.slice(i, i + 1000).join("\n") + "\n";
    chunks.push(new TextEncoder().encode(text));
  }
  chunks.push(new TextEncoder().encode("bad\n"));
  const input = {
    name: "day.log",
    open: () => Promise.resolve(ReadableStream.from(chunks)),
  };
  const seen: Progress[] = [];
  await bench.collect("squid", [input], {
    rejectFile: Deno.makeTempFileSync(),
    batchSize: 5000,
    progress: (progress) => seen.push({ ...progress }),
  });
  await bench.close();

  assert.ok(seen.length >= 3, `${seen.length} reports`);
  assert.deepEqual(seen.at(-1), {
    file: "day.log",
    lines: lines.length + 1,
    failed: 1,
    done: true,
  });
  const counts = seen.map((p) => p.lines);
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
});

Deno.test("the progress line redraws in place and clears itself", () => {
  const written: string[] = [];
  const line = progressLine({
    stdout: () => Promise.resolve(),
    stderr: (text) => written.push(text),
  });
  line.update({ file: "a.log", lines: 10, failed: 0, done: true });
  line.update({ file: "b.log", lines: 5, failed: 2, done: true });
  line.clear();

  assert.equal(written.length, 3);
  const ERASE = "\r\x1b[K";
  assert.ok(written.every((text) => text.startsWith(ERASE)));
  const [first, second] = written.map((text) => text.slice(ERASE.length));
  assert.match(
    first,
    /^1 files, 10 lines, \d+ lines\/s, 0 rejected in a\.log$/,
  );
  assert.match(
    second,
    /^2 files, 15 lines, \d+ lines\/s, 2 rejected in b\.log$/,
  );
  assert.equal(written[2], "\r\x1b[K");
});

Deno.test("nothing is drawn when nothing was collected", () => {
  const written: string[] = [];
  const line = progressLine({
    stdout: () => Promise.resolve(),
    stderr: (text) => written.push(text),
  });
  line.clear();
  assert.deepEqual(written, []);
});
