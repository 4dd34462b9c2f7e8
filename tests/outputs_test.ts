/**
 * The four output modules, each checked against the exact text it must
 * write. The expected texts were worked out by hand from the rules in each
 * module, not copied from a run.
 */

import assert from "node:assert/strict";
import type { OutputModule, Result } from "../engine/types.ts";
import * as table from "../modules/outputs/table.ts";
import * as json from "../modules/outputs/json.ts";
import * as ndjson from "../modules/outputs/ndjson.ts";
import * as csv from "../modules/outputs/csv.ts";

/** Runs an output and returns everything it wrote, and each write. */
async function render(
  output: OutputModule,
  result: Result,
  width?: number,
): Promise<{ text: string; writes: string[] }> {
  const writes: string[] = [];
  const write = (text: string) => {
    writes.push(text);
    return Promise.resolve();
  };
  await output.launch(result, { write, width });
  return { text: writes.join(""), writes };
}

async function text(output: OutputModule, result: Result, width?: number) {
  return (await render(output, result, width)).text;
}

/** Text, integer, real, bigint beyond 2^53, null, boolean and bytes. */
const MIXED: Result = {
  title: "not rendered",
  notes: ["not rendered either"],
  columns: [
    "client_ip",
    "hits",
    "ratio",
    "bytes",
    "blocked",
    "digest",
    "user_agent",
  ],
  rows: [
    [
      "10.0.0.5",
      42,
      0.25,
      9007199254740993n,
      true,
      new Uint8Array([0xde, 0xad, 0x01]),
      "curl/8.5.0",
    ],
    ["192.168.1.20", 7, 1.5, 12n, false, null, null],
    [null, null, -3, null, null, new Uint8Array(), "Mozilla/5.0"],
  ],
};

const EMPTY: Result = { columns: ["client_ip", "hits"], rows: [] };

/** A log value carrying ANSI colour, a screen clear and other controls. */
const HOSTILE_VALUE = "\x1b[31mALERT\x1b[0m\tok\r\nnext\\line\x00\x7f\x9b2J";
const HOSTILE: Result = {
  columns: ["id", "note\x07"],
  rows: [[1, HOSTILE_VALUE]],
};

/** Control characters a terminal would act on; `\n` ends lines, so not it. */
// deno-lint-ignore no-control-regex -- looking for raw controls is the test
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

function codePoints(line: string): number {
  return Array.from(line).length;
}

// table

Deno.test("table aligns mixed values, numbers to the right", async () => {
  const expected = String
    .raw`client_ip     hits  ratio             bytes  blocked  digest    user_agent
------------  ----  -----  ----------------  -------  --------  -----------
10.0.0.5        42   0.25  9007199254740993  true     \xdead01  curl/8.5.0
192.168.1.20     7    1.5                12  false
                       -3                             \x        Mozilla/5.0
(3 rows)
`;
  assert.equal(await text(table, MIXED), expected);

  // 75 columns is the table's natural width: nothing is cut at exactly that.
  assert.equal(await text(table, MIXED, 75), expected);
});

Deno.test("table writes header, rule and (0 rows) when empty", async () => {
  assert.equal(
    await text(table, EMPTY),
    "client_ip  hits\n---------  ----\n(0 rows)\n",
  );
});

Deno.test("table escapes control characters in values and names", async () => {
  const output = await text(table, HOSTILE);
  const expected = String.raw`id  note\x07
--  ---------------------------------------------------
 1  \x1b[31mALERT\x1b[0m\tok\r\nnext\line\x00\x7f\x9b2J
(1 row)
`;
  assert.equal(output, expected);
  assert.doesNotMatch(output, RAW_CONTROL);
});

Deno.test("table shows bidi overrides and zero-width characters", async () => {
  // "Trojan Source": U+202E would display "exe.txt" as "txt.exe".
  const spoof: Result = {
    columns: ["url"],
    rows: [["http://x.example/invoice\u202etxt.exe\u200b"]],
  };
  assert.equal(
    await text(table, spoof),
    String.raw`url
-----------------------------------------------
http://x.example/invoice\u{202e}txt.exe\u{200b}
(1 row)
`,
  );
});

Deno.test("table cuts the widest column first, ties rightmost", async () => {
  const result: Result = {
    columns: ["client_ip", "referrer", "url"],
    rows: [
      ["10.0.0.5", "http://evil.example/a", "http://shop.example/b"],
      ["10.0.0.17", null, "http://x.example/"],
    ],
  };
  const output = await text(table, result, 40);

  // Natural widths 9, 21, 21 make 55; the 15 too many come off referrer and
  // url in turn, url first, leaving 14 and 13.
  assert.equal(
    output,
    [
      "client_ip  referrer        url",
      "---------  --------------  -------------",
      "10.0.0.5   http://evil.e…  http://shop.…",
      "10.0.0.17                  http://x.exa…",
      "(2 rows)",
      "",
    ].join("\n"),
  );
  for (const line of output.split("\n")) {
    assert.ok(codePoints(line) <= 40, `too wide: ${line}`);
  }
});

Deno.test("table cuts by code point, never inside an emoji", async () => {
  const result: Result = { columns: ["name"], rows: [["🦕".repeat(10)]] };
  assert.equal(
    await text(table, result, 5),
    `name\n--------\n${"🦕".repeat(7)}…\n(1 row)\n`,
  );
});

Deno.test("table keeps the minimums when even they do not fit", async () => {
  const result: Result = {
    columns: ["client_ip", "user_agent"],
    rows: [["192.168.100.200", "Mozilla/5.0 (X11; Linux x86_64)"]],
  };

  // Minimums are 9 (the header) and 10 (the header): 21 columns, not 10.
  assert.equal(
    await text(table, result, 10),
    [
      "client_ip  user_agent",
      "---------  ----------",
      "192.168.…  Mozilla/5…",
      "(1 row)",
      "",
    ].join("\n"),
  );
});

Deno.test("table never cuts when there is no terminal width", async () => {
  const url = "http://a.example/" + "a".repeat(283);
  assert.equal(url.length, 300);
  const result: Result = { columns: ["url"], rows: [[url]] };
  assert.equal(
    await text(table, result, undefined),
    `url\n${"-".repeat(300)}\n${url}\n(1 row)\n`,
  );
});

// json

Deno.test("json writes an indented array of objects", async () => {
  const expected = String.raw`[
  {
    "client_ip": "10.0.0.5",
    "hits": 42,
    "ratio": 0.25,
    "bytes": "9007199254740993",
    "blocked": true,
    "digest": "\\xdead01",
    "user_agent": "curl/8.5.0"
  },
  {
    "client_ip": "192.168.1.20",
    "hits": 7,
    "ratio": 1.5,
    "bytes": 12,
    "blocked": false,
    "digest": null,
    "user_agent": null
  },
  {
    "client_ip": null,
    "hits": null,
    "ratio": -3,
    "bytes": null,
    "blocked": null,
    "digest": "\\x",
    "user_agent": "Mozilla/5.0"
  }
]
`;
  assert.equal(await text(json, MIXED), expected);
});

Deno.test("json writes [] for no rows", async () => {
  assert.equal(await text(json, EMPTY), "[]\n");
});

Deno.test("json escapes controls and parses back the same", async () => {
  const output = await text(json, HOSTILE);
  const expected = String.raw`[
  {
    "id": 1,
    "note\u0007": "\u001b[31mALERT\u001b[0m\tok\r\nnext\\line\u0000\u007f\u009b2J"
  }
]
`;
  assert.equal(output, expected);
  assert.doesNotMatch(output, RAW_CONTROL);
  assert.deepEqual(JSON.parse(output), [{ id: 1, "note\x07": HOSTILE_VALUE }]);
});

Deno.test("json suffixes repeated column names", async () => {
  const result: Result = {
    columns: ["host", "count", "count"],
    rows: [["db01", 3, 5]],
  };
  assert.equal(
    await text(json, result),
    '[\n  {\n    "host": "db01",\n    "count": 3,\n    "count_2": 5\n  }\n]\n',
  );
});

// ndjson

Deno.test("ndjson writes one compact object per line", async () => {
  const expected = String
    .raw`{"client_ip":"10.0.0.5","hits":42,"ratio":0.25,"bytes":"9007199254740993","blocked":true,"digest":"\\xdead01","user_agent":"curl/8.5.0"}
{"client_ip":"192.168.1.20","hits":7,"ratio":1.5,"bytes":12,"blocked":false,"digest":null,"user_agent":null}
{"client_ip":null,"hits":null,"ratio":-3,"bytes":null,"blocked":null,"digest":"\\x","user_agent":"Mozilla/5.0"}
`;
  assert.equal(await text(ndjson, MIXED), expected);
});

Deno.test("ndjson writes nothing for no rows", async () => {
  const { text: output, writes } = await render(ndjson, EMPTY);
  assert.equal(output, "");
  assert.deepEqual(writes, []);
});

Deno.test("ndjson escapes controls and parses back", async () => {
  const output = await text(ndjson, HOSTILE);
  const expected = String
    .raw`{"id":1,"note\u0007":"\u001b[31mALERT\u001b[0m\tok\r\nnext\\line\u0000\u007f\u009b2J"}
`;
  assert.equal(output, expected);
  assert.doesNotMatch(output, RAW_CONTROL);
  assert.deepEqual(JSON.parse(output), { id: 1, "note\x07": HOSTILE_VALUE });
});

Deno.test("ndjson suffixes repeated names around an existing one", async () => {
  const result: Result = {
    columns: ["client_ip", "count", "count", "count_2", "count", "__proto__"],
    rows: [["10.0.0.5", 1, 2, 3, 4, "x"]],
  };
  const output = await text(ndjson, result);

  // count_2 is a real column, so the repeats take count_3 and count_4; and
  // __proto__ is an ordinary key, not a prototype.
  assert.equal(
    output,
    '{"client_ip":"10.0.0.5","count":1,"count_3":2,"count_2":3,' +
      '"count_4":4,"__proto__":"x"}\n',
  );
  assert.deepEqual(Object.keys(JSON.parse(output)), [
    "client_ip",
    "count",
    "count_3",
    "count_2",
    "count_4",
    "__proto__",
  ]);
});

Deno.test("ndjson keeps bigints exact, names non-finite numbers", async () => {
  const result: Result = {
    columns: ["n"],
    rows: [
      [9007199254740991n],
      [9007199254740992n],
      [-9007199254740991n],
      [-9007199254740992n],
      [NaN],
      [-Infinity],
    ],
  };
  assert.equal(
    await text(ndjson, result),
    [
      '{"n":9007199254740991}',
      '{"n":"9007199254740992"}',
      '{"n":-9007199254740991}',
      '{"n":"-9007199254740992"}',
      '{"n":"NaN"}',
      '{"n":"-Infinity"}',
      "",
    ].join("\n"),
  );
});

Deno.test("ndjson writes whole lines in few chunks", async () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => [i]);
  const { text: output, writes } = await render(ndjson, {
    columns: ["i"],
    rows,
  });

  assert.equal(output, rows.map(([i]) => `{"i":${i}}\n`).join(""));
  assert.ok(writes.length > 1 && writes.length < 10, `${writes.length}`);
  for (const chunk of writes) assert.ok(chunk.endsWith("\n"));
});

// csv

Deno.test("csv writes a header and CRLF rows", async () => {
  assert.equal(
    await text(csv, MIXED),
    "client_ip,hits,ratio,bytes,blocked,digest,user_agent\r\n" +
      "10.0.0.5,42,0.25,9007199254740993,true,\\xdead01,curl/8.5.0\r\n" +
      "192.168.1.20,7,1.5,12,false,,\r\n" +
      ",,-3,,,\\x,Mozilla/5.0\r\n",
  );
});

Deno.test("csv writes only the header for no rows", async () => {
  assert.equal(await text(csv, EMPTY), "client_ip,hits\r\n");
});

Deno.test("csv quotes commas, quotes, breaks and edge spaces", async () => {
  const result: Result = {
    columns: ["a,b", 'say "hi"', "plain"],
    rows: [
      ["x,y", 'He said "no"', "two\nlines"],
      [" lead", "trail ", "mid dle"],
      ["cr\rhere", null, ""],
    ],
  };
  assert.equal(
    await text(csv, result),
    '"a,b","say ""hi""",plain\r\n' +
      '"x,y","He said ""no""","two\nlines"\r\n' +
      '" lead","trail ",mid dle\r\n' +
      '"cr\rhere",,\r\n',
  );
});

Deno.test("csv writes control characters verbatim", async () => {
  assert.equal(
    await text(csv, HOSTILE),
    "id,note\x07\r\n" +
      '1,"\x1b[31mALERT\x1b[0m\tok\r\nnext\\line\x00\x7f\x9b2J"\r\n',
  );
});

// all

Deno.test("each output exports its aid, name, desc and launch", () => {
  const outputs = { table, json, ndjson, csv };
  for (const [aid, output] of Object.entries(outputs)) {
    assert.equal(output.aid, aid);
    assert.ok(output.name.length > 0 && output.desc.length > 0, aid);
    assert.equal(typeof output.launch, "function");
  }
});
