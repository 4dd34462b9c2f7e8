/**
 * The generic collectors, csv and ndjson: columns from the data, the table
 * from -p table=NAME, and the same rows on every database.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../engine/errors.ts";
import type { Workbench } from "../engine/workbench.ts";
import { splitCsv } from "../modules/collectors/csv.ts";
import { createTarget, KINDS, unavailable } from "../tools/test_targets.ts";
import { ROOT, tempTree } from "./helpers/temp.ts";

const CSV = [
  'Src IP,Dst Port,user,Note,"Note"',
  '10.0.0.1,443,alice,"hello, world",',
  '10.0.0.2,80,"bob ""the builder""","",x',
  "10.0.0.3,22,carol,too,many,fields",
  '10.0.0.4,25,dave,"never closed,x',
  "10.0.0.5,53,eve,\0,x",
  "",
].join("\r\n");

const DATASETS = Deno.env.get("GUMMER_DATASETS") ??
  join(ROOT, "../shared/datasets");
const ZEEK_DNS = join(
  DATASETS,
  "otrf-apt29-zeek/day1/zeek/individual_zeek_logs/SCRANTON_dns.log",
);
const HAVE_DATASETS = (() => {
  try {
    return Deno.statSync(ZEEK_DNS).isFile;
  } catch {
    return false;
  }
})();

async function table(bench: Workbench, name: string) {
  const result = await bench.query(`SELECT * FROM ${name}`);
  return {
    columns: result.columns,
    rows: result.rows.map((row) => JSON.stringify(row)).sort(),
  };
}

Deno.test("CSV fields: quotes, delimiters, empty and quoted-empty", () => {
  assert.deepEqual(splitCsv('a,"b,c",,"","d""e"'), [
    "a",
    "b,c",
    null,
    "",
    'd"e',
  ]);
  assert.deepEqual(splitCsv("a,b,"), ["a", "b", null]);
  assert.deepEqual(splitCsv("a\tb", "\t"), ["a", "b"]);
  assert.equal(
    splitCsv('"open'),
    "a quoted field runs past the end of the line (fields over several lines are not read)",
  );
  assert.equal(splitCsv('"a"b,c'), "text after the closing quote of field 1");
});

let reference: Record<string, unknown> | undefined;

for (const kind of KINDS) {
  const skip = unavailable(kind);
  Deno.test({
    name: `csv and ndjson on ${kind}${skip ? ` (${skip})` : ""}`,
    ignore: skip !== undefined,
    async fn() {
      const dir = tempTree({ "flows.csv": CSV });
      const target = await createTarget(kind);
      const bench = await target.open();
      const rejectFile = join(dir, "rejects.ndjson");
      try {
        const csv = await bench.collect("csv", [join(dir, "flows.csv")], {
          rejectFile,
          params: { table: "flows" },
        });
        assert.deepEqual(
          csv.files.map((f) => [f.inserted, f.failed, f.headers]),
          [[2, 3, 1]],
        );
        assert.deepEqual(csv.failures.map((f) => [f.line, f.reason]), [
          [4, "expected 5 fields, as the header has, got 6"],
          [
            5,
            "a quoted field runs past the end of the line (fields over several lines are not read)",
          ],
          [6, "binary data: NUL byte at column 17"],
        ]);
        const flows = await table(bench, "flows");
        assert.deepEqual(flows.columns, [
          "src_ip",
          "dst_port",
          "user_",
          "note",
          "note_2",
        ]);
        assert.deepEqual(flows.rows, [
          '["10.0.0.1","443","alice","hello, world",null]',
          '["10.0.0.2","80","bob \\"the builder\\"","","x"]',
        ]);

        const results: Record<string, unknown> = { flows };
        if (HAVE_DATASETS) {
          const ndjson = await bench.collect("ndjson", [ZEEK_DNS], {
            rejectFile,
            params: { table: "zeek_dns" },
          });
          // wc -l gives 32, and every line is a JSON object.
          assert.deepEqual(
            ndjson.files.map((f) => [f.inserted, f.failed]),
            [[32, 0]],
          );
          const dns = await table(bench, "zeek_dns");
          assert.deepEqual(dns.columns.slice(0, 6), [
            "stream",
            "system",
            "proc",
            "ts",
            "uid",
            "id_orig_h",
          ]);
          assert.equal(dns.columns.at(-1), "record");
          const first = await bench.query(
            "SELECT query, aa, id_resp_p FROM zeek_dns WHERE uid = ?",
            { params: ["Cw1Hz43UWS4qXFei8f"] },
          );
          assert.deepEqual(first.rows[0], [
            "newyork.dmevals.local",
            "true",
            "53",
          ]);
          results.dns = dns;
        }

        if (kind === "sqlite") reference = results;
        assert.deepEqual(results, reference);
      } finally {
        await bench.close();
        await target.drop();
      }
    },
  });
}

Deno.test("the table parameter is needed and must be a plain name", async () => {
  const dir = tempTree({ "a.csv": "x\n1\n" });
  const target = await createTarget("sqlite");
  const bench = await target.open();
  try {
    await assert.rejects(
      () => bench.collect("csv", [join(dir, "a.csv")]),
      (error) =>
        error instanceof UsageError &&
        error.message ===
          'The collector csv needs a value for "table" (the table to collect into).',
    );
    await assert.rejects(
      () =>
        bench.collect("ndjson", [join(dir, "a.csv")], {
          params: { table: "Robert'); DROP TABLE x;--" },
        }),
      /needs -p table=NAME, a lower-case SQL name/,
    );
  } finally {
    await bench.close();
    await target.drop();
  }
});

Deno.test({
  name: `ndjson on the real Zeek JSON${
    HAVE_DATASETS ? "" : " (skipped: datasets not found)"
  }`,
  ignore: !HAVE_DATASETS,
  async fn() {
    const target = await createTarget("sqlite");
    const bench = await target.open();
    try {
      const report = await bench.collect("ndjson", [ZEEK_DNS], {
        rejectFile: join(Deno.makeTempDirSync(), "r"),
        params: { table: "dns" },
      });
      const again = await bench.collect("ndjson", [ZEEK_DNS], {
        rejectFile: join(Deno.makeTempDirSync(), "r"),
        params: { table: "dns" },
      });
      assert.equal(report.inserted, 32);
      assert.equal(again.inserted, 0);
    } finally {
      await bench.close();
      await target.drop();
    }
  },
});

/** Bytes of text parts and raw byte arrays, in order. */
function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const encoder = new TextEncoder();
  return new Uint8Array(
    parts.flatMap((part) =>
      typeof part === "string" ? [...encoder.encode(part)] : part
    ),
  );
}

Deno.test("csv and ndjson: every kind of bad line is set aside, the rest goes in", async () => {
  const huge = "x".repeat(10 * 1024 * 1024);
  const garbage = [0x00, 0xff, 0xfe, 0x13, 0x37];
  const csv = bytesOf(
    "a,b,c\n", //                          1 header
    "1,2,3\n", //                          2
    garbage, //                            3 not UTF-8
    "\n4,5\n", //                          4 too few fields
    `7,${huge},9\n`, //                    5 10 MB
    "10,1\x002,12\n", //                   6 NUL
    "13,14,15\n", //                       7
    "16,17", //                            8 cut short, no line end
  );
  const ndjson = bytesOf(
    '{"a":1,"b":"x"}\n', //                1
    garbage, //                            2 not UTF-8
    '\n{"a":2,"b":"\\u0000y"}\n', //       3 an escaped NUL: kept as U+FFFD
    `{"a":3,"b":"${huge}"}\n`, //          4 10 MB
    '["not","an","object"]\n', //          5
    '{"a":4,"b":"raw\x00nul"}\n', //       6 a raw NUL is not JSON
    '{"a":5,', //                          7 cut short, no line end
  );
  const dir = tempTree({});
  Deno.writeFileSync(join(dir, "t.csv"), csv);
  Deno.writeFileSync(join(dir, "t.ndjson"), ndjson);
  const target = await createTarget("sqlite");
  const bench = await target.open();
  try {
    const rejectFile = join(dir, "rejects.ndjson");
    const fromCsv = await bench.collect("csv", [join(dir, "t.csv")], {
      rejectFile,
      params: { table: "t_csv" },
    });
    assert.deepEqual(fromCsv.failures.map((f) => [f.line, f.reason]), [
      [3, "not UTF-8 text (at byte 2)"],
      [4, "expected 3 fields, as the header has, got 2"],
      [
        5,
        `line is ${huge.length + 4} bytes, longer than the 1048576 this ` +
        "collector accepts",
      ],
      [6, "binary data: NUL byte at column 5"],
      [8, "expected 3 fields, as the header has, got 2"],
    ]);
    assert.deepEqual(
      (await bench.query("SELECT a, b, c FROM t_csv ORDER BY a")).rows,
      [["1", "2", "3"], ["13", "14", "15"]],
    );

    const fromJson = await bench.collect("ndjson", [join(dir, "t.ndjson")], {
      rejectFile,
      params: { table: "t_json" },
    });
    // JSON.parse words its own errors, which differ between V8 versions.
    const parser = (reason: string) =>
      reason.startsWith("not JSON: ") ? "not JSON: ..." : reason;
    assert.deepEqual(
      fromJson.failures.map((f) => [f.line, parser(f.reason)]),
      [
        [2, "not UTF-8 text (at byte 2)"],
        [
          4,
          `line is ${huge.length + 14} bytes, longer than the 4194304 ` +
          "this collector accepts",
        ],
        [5, "not a JSON object"],
        [6, "not JSON: ..."],
        [7, "not JSON: ..."],
      ],
    );
    assert.deepEqual(
      (await bench.query("SELECT a, b, record FROM t_json ORDER BY a")).rows,
      [
        ["1", "x", '{"a":1,"b":"x"}'],
        ["2", "\uFFFDy", '{"a":2,"b":"\\u0000y"}'],
      ],
    );
    // Every failure is in the reject file, with its bytes.
    const records = Deno.readTextFileSync(rejectFile).trim().split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(records.map((r) => r.line), [
      3,
      4,
      5,
      6,
      8,
      2,
      4,
      5,
      6,
      7,
    ]);
  } finally {
    await bench.close();
    await target.drop();
  }
});
