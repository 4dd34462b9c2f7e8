/**
 * The databases the contract tests run against: the embedded SQLite always,
 * and PostgreSQL and MariaDB when `scripts/test_databases.sh start` has
 * given their URLs. Each target is a throwaway schema or database named in
 * a config file of its own, so test files can run side by side.
 */

import { join } from "node:path";
import mysql from "mysql2/promise";
import postgres from "postgres";
import { Workbench } from "../engine/workbench.ts";

/** The kinds of database Gummer supports. */
export type Kind = "sqlite" | "postgres" | "mysql" | "mysql-insert";

/** Every kind; `mysql-insert` is MariaDB with LOAD DATA LOCAL refused. */
export const KINDS: Kind[] = ["sqlite", "postgres", "mysql", "mysql-insert"];

const URL_VARIABLES: Record<Kind, string | undefined> = {
  sqlite: undefined,
  postgres: "GUMMER_TEST_POSTGRES_URL",
  mysql: "GUMMER_TEST_MYSQL_URL",
  "mysql-insert": "GUMMER_TEST_MYSQL_URL",
};

/**
 * Why a kind cannot be tested here, or undefined when it can. In CI every
 * kind must be testable: a missing server there is a failure, not a skip.
 */
export function unavailable(kind: Kind): string | undefined {
  const variable = URL_VARIABLES[kind];
  if (!variable || Deno.env.get(variable)) return undefined;
  if (Deno.env.get("CI")) {
    throw new Error(`${variable} is not set in CI: .ci/run must start ${kind}`);
  }
  return `skipped: ${variable} is not set (scripts/test_databases.sh start)`;
}

/** A fresh, empty database of one kind, reachable as `-db target`. */
export interface Target {
  kind: Kind;
  /** A config file whose profile `target` points at the database. */
  config: string;
  /** Environment for a gummer subprocess aimed at the target. */
  env: Record<string, string>;
  /** Opens a workbench on the target. */
  open(): Promise<Workbench>;
  /** Drops the schema or database. */
  drop(): Promise<void>;
}

/** Creates a throwaway database of the given kind. */
export async function createTarget(
  kind: Kind,
  options: { commitSeconds?: number } = {},
): Promise<Target> {
  const dir = Deno.makeTempDirSync({ prefix: `gummer-${kind}-` });
  const suffix = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  let profile: Record<string, string | number | boolean>;
  let drop = () => Promise.resolve();

  if (kind === "sqlite") {
    profile = { driver: "sqlite", path: join(dir, "test.db") };
  } else if (kind === "postgres") {
    const schema = `t_${suffix}`;
    const url = Deno.env.get("GUMMER_TEST_POSTGRES_URL")!;
    profile = { driver: "postgres", url, schema };
    drop = async () => {
      const sql = postgres(url, { onnotice: () => {}, max: 1 });
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await sql.end();
    };
  } else {
    const database = `gummer_t_${suffix}`;
    const url = new URL(Deno.env.get("GUMMER_TEST_MYSQL_URL")!);
    const admin = await mysql.createConnection({ uri: url.href });
    await admin.query(`CREATE DATABASE \`${database}\``);
    await admin.end();
    const own = new URL(url.href);
    own.pathname = `/${database}`;
    profile = { driver: "mysql", url: own.href };
    if (kind === "mysql-insert") profile.local_infile = false;
    drop = async () => {
      const conn = await mysql.createConnection({ uri: url.href });
      await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await conn.end();
    };
  }

  const config = join(dir, "gummer.json");
  Deno.writeTextFileSync(
    config,
    JSON.stringify({
      connector: "target",
      commit_seconds: options.commitSeconds,
      profiles: { target: profile },
    }),
  );
  // INIT_CWD: a gummer subprocess works in the target's folder even when
  // the tests themselves run under `deno task`.
  const env = { GUMMER_CONFIG: config, INIT_CWD: dir };

  return {
    kind,
    config,
    env,
    open: () =>
      Workbench.open({ env: (name) => (env as Record<string, string>)[name] }),
    drop,
  };
}
