/**
 * Where Gummer's options come from, resolved in one place and one order:
 * a command-line flag, then the config file, then a `GUMMER_*` environment
 * variable, then the default.
 *
 * The config file is `gummer.json` in the working folder, or the file that
 * `GUMMER_CONFIG` names:
 *
 * ```json
 * {
 *   "connector": "sqlite",
 *   "output": "table",
 *   "modules": ["/srv/hunt-pack"],
 *   "connectors": { "sqlite": { "path": "cases/acme.db" } },
 *   "profiles": {
 *     "prod_pg": {
 *       "driver": "postgres",
 *       "url": "postgres://hunter@db.example:5432/logs",
 *       "password_env": "PROD_PG_PASSWORD"
 *     }
 *   }
 * }
 * ```
 *
 * @module
 */

import { GummerError, messageOf, UsageError } from "./errors.ts";
import { COMMIT_SECONDS } from "./collect.ts";
import { resolveParams } from "./params.ts";
import { splitPathList } from "./registry.ts";
import { maskUrl } from "./sql.ts";
import type { Params, ParamSpecs } from "./types.ts";

/** The config file read when `GUMMER_CONFIG` names none. */
export const DEFAULT_CONFIG_FILE = "gummer.json";

/** What a config file may hold. Every field is optional. */
export interface ConfigFile {
  /** The connector used when `-db` is not given. */
  connector?: string;
  /** The output used when `-o` is not given. */
  output?: string;
  /** Extra module roots, searched after `GUMMER_PATH`. */
  modules?: string[];
  /** Seconds of collection work between commits. */
  commit_seconds?: number;
  /** Settings per connector aid, such as `{ "sqlite": { "path": "x.db" } }`. */
  connectors?: Record<string, Record<string, string | number | boolean>>;
  /** Named databases: a connector (`driver`) with its settings. */
  profiles?: Record<string, Profile>;
}

/** A named database: which connector, and its settings. */
export type Profile =
  & { driver: string }
  & Record<string, string | number | boolean>;

/** Options after resolution; flags are applied by the caller. */
export interface Config {
  /** The config file that was read, if any. */
  file?: string;
  /** The connector used when none is named. */
  connector: string;
  /** The output used when none is named. */
  output: string;
  /** Extra module roots: `GUMMER_PATH` first, then the config file's. */
  modules: string[];
  /** A file that receives a copy of the diagnostics, if set. */
  logFile?: string;
  /**
   * Seconds of collection work between commits: what a killed collection
   * repeats, against a disk sync per commit. Default 2.
   */
  commitSeconds: number;
  /** Named databases from the config file, by name. */
  profiles: Record<string, Profile>;
  /** Settings of a connector from the config file, the environment, then defaults. */
  connectorSettings(aid: string, specs: ParamSpecs | undefined): Params;
}

/** Reads environment variables; the default reads the process's own. */
export type Env = (name: string) => string | undefined;

const processEnv: Env = (name) => Deno.env.get(name);

/**
 * Reads the config file and the environment.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * const config = loadConfig({ env: () => undefined, cwd: "/nonexistent" });
 * if (config.connector !== "sqlite") throw new Error("sqlite is the default");
 * ```
 */
export function loadConfig(
  options: { env?: Env; cwd?: string } = {},
): Config {
  const env = options.env ?? processEnv;
  const named = env("GUMMER_CONFIG");
  const file = named ?? `${options.cwd ?? Deno.cwd()}/${DEFAULT_CONFIG_FILE}`;
  const fromFile = readConfigFile(file, named !== undefined);

  return {
    file: fromFile ? file : undefined,
    connector: fromFile?.connector ?? env("GUMMER_CONNECTOR") ?? "sqlite",
    output: fromFile?.output ?? env("GUMMER_OUTPUT") ?? "table",
    modules: [...splitPathList(env("GUMMER_PATH")), ...fromFile?.modules ?? []],
    logFile: env("GUMMER_LOG_FILE"),
    commitSeconds: commitSeconds(fromFile?.commit_seconds, env),
    profiles: { ...fromFile?.profiles },
    connectorSettings(aid, specs) {
      const given: Record<string, string | number | boolean | undefined> = {
        ...fromFile?.connectors?.[aid],
      };
      for (const [key, spec] of Object.entries(specs ?? {})) {
        if (given[key] === undefined && spec.env) given[key] = env(spec.env);
      }
      return resolveParams(specs, given, `connector ${aid}`);
    },
  };
}

function commitSeconds(fromFile: number | undefined, env: Env): number {
  const given = fromFile ?? env("GUMMER_COMMIT_SECONDS");
  if (given === undefined) return COMMIT_SECONDS;
  const seconds = Number(given);
  if (!(seconds > 0)) {
    throw new GummerError(
      `Cannot use "${given}" as the seconds between commits: expected a ` +
        "positive number (commit_seconds or GUMMER_COMMIT_SECONDS).",
    );
  }
  return seconds;
}

function readConfigFile(
  file: string,
  required: boolean,
): ConfigFile | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    if (!required && error instanceof Deno.errors.NotFound) return undefined;
    throw new GummerError(
      `Cannot read the config file "${file}": ${messageOf(error)}`,
    );
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new GummerError(
      `Cannot parse the config file "${file}": ${messageOf(error)}`,
    );
  }
  return checkConfigFile(parsed, file);
}

function checkConfigFile(parsed: unknown, file: string): ConfigFile {
  const fail = (why: string) =>
    new GummerError(`The config file "${file}" is not valid: ${why}.`);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw fail("it must hold a JSON object");
  }

  const config = parsed as Record<string, unknown>;
  for (const key of ["connector", "output"]) {
    if (config[key] !== undefined && typeof config[key] !== "string") {
      throw fail(`"${key}" must be a string`);
    }
  }
  const modules = config.modules;
  if (
    modules !== undefined &&
    !(Array.isArray(modules) && modules.every((m) => typeof m === "string"))
  ) {
    throw fail(`"modules" must be a list of folder paths`);
  }
  const connectors = config.connectors;
  if (
    connectors !== undefined &&
    (typeof connectors !== "object" || connectors === null)
  ) {
    throw fail(`"connectors" must map connector ids to their settings`);
  }
  const profiles = config.profiles;
  if (profiles !== undefined) {
    if (typeof profiles !== "object" || profiles === null) {
      throw fail(`"profiles" must map names to database settings`);
    }
    for (const [name, profile] of Object.entries(profiles)) {
      if (typeof (profile as Profile)?.driver !== "string") {
        throw fail(`profile "${name}" needs a "driver" (a connector id)`);
      }
    }
  }
  return config as ConfigFile;
}

/** The connector each scheme of a database URL goes to. */
const URL_DRIVERS: Record<string, string> = {
  postgres: "postgres",
  postgresql: "postgres",
  mysql: "mysql",
  mariadb: "mysql",
};

/** Names that can only be a SQLite file: a folder in them, or its suffix. */
const SQLITE_PATH = /[\\/]|\.(?:db|db3|sqlite|sqlite3)$/i;

/**
 * The unnamed profile that a database URL or the path of a SQLite file
 * stands for, where a connector id or a profile's name is expected
 * (`-db`, `Workbench.open`). A URL goes to the connector of its scheme; a
 * path is anything with a folder in it or a SQLite file's suffix, or
 * `:memory:`. Anything else is an id or a name: undefined.
 *
 * @example
 * ```ts
 * import { targetProfile } from "./config.ts";
 *
 * const pg = targetProfile("postgresql://hunter@db.example/logs");
 * if (pg?.driver !== "postgres") throw new Error("a postgres URL");
 * if (targetProfile("cases/acme.db")?.path !== "cases/acme.db") throw 0;
 * if (targetProfile("prod_pg") !== undefined) throw 0;
 * ```
 */
export function targetProfile(target: string): Profile | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1];
  if (scheme !== undefined) {
    const driver = URL_DRIVERS[scheme.toLowerCase()];
    if (driver) return { driver, url: target };
    const known = Object.keys(URL_DRIVERS).map((s) => `${s}://`).join(", ");
    throw new UsageError(
      `Cannot open the database ${maskUrl(target)}: Gummer knows URLs ` +
        `that start with ${known}, or the path of a SQLite file.`,
    );
  }
  if (target === ":memory:" || SQLITE_PATH.test(target)) {
    return { driver: "sqlite", path: target };
  }
  return undefined;
}
