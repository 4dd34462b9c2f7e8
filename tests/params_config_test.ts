import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../engine/config.ts";
import { GummerError, UsageError } from "../engine/errors.ts";
import { parseAssignments, resolveParams } from "../engine/params.ts";
import type { ParamSpecs } from "../engine/types.ts";
import { envOf, tempTree } from "./helpers/temp.ts";

const SPECS: ParamSpecs = {
  limit: { type: "integer", default: 10, min: 1, max: 1000, desc: "rows" },
  ratio: { type: "number", default: 0.5, desc: "a share" },
  open: { type: "boolean", default: false, desc: "include open ones" },
  host: { type: "string", desc: "a host" },
};

Deno.test("parameters are converted, defaulted and checked", () => {
  assert.deepEqual(
    resolveParams(SPECS, { limit: "25", open: "yes", host: "a.example" }, "x"),
    { limit: 25, ratio: 0.5, open: true, host: "a.example" },
  );
  assert.deepEqual(
    resolveParams(SPECS, { ratio: 2, host: "h", open: false }, "x"),
    { limit: 10, ratio: 2, open: false, host: "h" },
  );
});

Deno.test("bad parameters are usage errors that say why", () => {
  const cases: [Record<string, string>, string][] = [
    [{}, 'The analyzer t needs a value for "host" (a host).'],
    [
      { host: "h", limit: "2.5" },
      'Cannot use "2.5" as limit of the analyzer t: expected a whole number.',
    ],
    [
      { host: "h", limit: "" },
      'Cannot use "" as limit of the analyzer t: expected a whole number.',
    ],
    [
      { host: "h", limit: "5000" },
      "Cannot use 5000 as limit of the analyzer t: the largest allowed is 1000.",
    ],
    [
      { host: "h", ratio: "half" },
      'Cannot use "half" as ratio of the analyzer t: expected a number.',
    ],
    [
      { host: "h", open: "maybe" },
      'Cannot use "maybe" as open of the analyzer t: expected true or false.',
    ],
    [
      { host: "h", colour: "red" },
      'The analyzer t has no parameter "colour". Its parameters: limit, ratio, open, host.',
    ],
  ];
  for (const [given, message] of cases) {
    assert.throws(
      () => resolveParams(SPECS, given, "analyzer t"),
      (error) => error instanceof UsageError && error.message === message,
      message,
    );
  }
  assert.throws(
    () => resolveParams(undefined, { a: "1" }, "analyzer u"),
    /The analyzer u has no parameter "a"\. It takes no parameters\./,
  );
});

Deno.test("-p words split at the first =, the last repeat wins", () => {
  assert.deepEqual(
    parseAssignments(["limit=3", "filter=a=b", "limit=4", "empty="]),
    { limit: "4", filter: "a=b", empty: "" },
  );
  assert.throws(() => parseAssignments(["=3"]), UsageError);
});

Deno.test("options resolve: config file, then environment, then default", () => {
  const cwd = tempTree({
    "gummer.json": JSON.stringify({
      output: "csv",
      modules: ["/packs/b"],
      connectors: { sqlite: { path: "from-file.db" } },
    }),
  });
  const env = envOf({
    GUMMER_OUTPUT: "json",
    GUMMER_CONNECTOR: "pg",
    GUMMER_PATH: "/packs/a",
    GUMMER_SQLITE: "from-env.db",
  });
  const config = loadConfig({ env, cwd });
  assert.equal(config.file, join(cwd, "gummer.json"));
  assert.equal(config.output, "csv");
  assert.equal(config.connector, "pg");
  assert.deepEqual(config.modules, ["/packs/a", "/packs/b"]);
  const specs: ParamSpecs = {
    path: {
      type: "string",
      default: "gummer.db",
      env: "GUMMER_SQLITE",
      desc: "",
    },
  };
  assert.deepEqual(config.connectorSettings("sqlite", specs), {
    path: "from-file.db",
  });

  const bare = loadConfig({ env, cwd: tempTree({}) });
  assert.equal(bare.file, undefined);
  assert.equal(bare.output, "json");
  assert.deepEqual(bare.connectorSettings("sqlite", specs), {
    path: "from-env.db",
  });

  const none = loadConfig({ env: envOf({}), cwd: tempTree({}) });
  assert.equal(none.connector, "sqlite");
  assert.equal(none.output, "table");
  assert.deepEqual(none.connectorSettings("sqlite", specs), {
    path: "gummer.db",
  });
});

Deno.test("a named config file must exist and be valid", () => {
  const cwd = tempTree({
    "list.json": "[1, 2]",
    "modules.json": JSON.stringify({ modules: "/one/path" }),
  });
  const cases: [string, RegExp][] = [
    [
      join(cwd, "missing.json"),
      /^Cannot read the config file ".*missing\.json": /,
    ],
    [join(cwd, "list.json"), /is not valid: it must hold a JSON object\.$/],
    [
      join(cwd, "modules.json"),
      /is not valid: "modules" must be a list of folder paths\.$/,
    ],
  ];
  for (const [file, message] of cases) {
    assert.throws(
      () => loadConfig({ env: envOf({ GUMMER_CONFIG: file }), cwd }),
      (error) => error instanceof GummerError && message.test(error.message),
      file,
    );
  }
});
