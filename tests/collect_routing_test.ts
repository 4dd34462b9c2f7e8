/**
 * A collector whose inputs go to different tables, as Zeek's do (one table
 * per log type): the table is picked per input from its name and first
 * bytes, and an input that fits no table is set aside, not fatal.
 */

import assert from "node:assert/strict";
import { collectLines } from "../engine/collect.ts";
import { silentLogger } from "../engine/logger.ts";
import type { Input, Rejection, TableSpec } from "../engine/types.ts";
import { launch } from "../modules/connectors/sqlite.ts";

const tableOf = (name: string): TableSpec => ({
  name,
  columns: [{ name: "word", type: "text" }],
});

function input(name: string, text: string): Input {
  return { name, open: () => Promise.resolve(new Blob([text]).stream()) };
}

Deno.test("each input goes to the table its header names", async () => {
  const db = await launch({
    settings: { path: ":memory:" },
    logger: silentLogger,
  });
  const rejected: Rejection[] = [];
  const report = await collectLines(db, [
    input("a.log", "#path fruit\napple\npear\n"),
    input("b.log", "#path tree\noak\n"),
    input("c.log", "no header here\n"),
  ], {
    spec: {
      collector: "words",
      maxLineBytes: 100,
      table: (_input, head) => {
        const first = new TextDecoder().decode(head).split("\n")[0];
        return first.startsWith("#path ")
          ? tableOf(first.slice(6))
          : "no #path line at the top";
      },
      parser: () => ({
        parse: (text) => text.startsWith("#") ? "a header" : [text],
      }),
    },
    reject: (rejection) => rejected.push(rejection),
  });

  assert.deepEqual(
    report.files.map((f) => [f.file, f.inserted, f.failed]),
    [["a.log", 2, 1], ["b.log", 1, 1], ["c.log", 0, 1]],
  );
  assert.deepEqual(rejected.map((r) => [r.file, r.line, r.reason]), [
    ["a.log", 1, "a header"],
    ["b.log", 1, "a header"],
    ["c.log", 1, "no #path line at the top"],
  ]);
  assert.deepEqual((await db.query("SELECT word FROM fruit")).rows, [
    ["apple"],
    ["pear"],
  ]);
  assert.deepEqual((await db.query("SELECT word FROM tree")).rows, [["oak"]]);
  await db.close();
});
