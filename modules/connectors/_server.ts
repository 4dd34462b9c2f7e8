/**
 * Settings shared by the connectors to database servers, and how they turn
 * into a connection URL without a password ever being shown.
 *
 * @module
 */

import { GummerError } from "../../engine/errors.ts";
import { maskUrl } from "../../engine/sql.ts";
import type {
  Batch,
  Params,
  ParamSpecs,
  SqlValue,
  Statement,
} from "../../engine/types.ts";

/** Settings every server connector takes; `url` gets its own env name. */
export const SERVER_SETTINGS: ParamSpecs = {
  url: {
    type: "string",
    default: "",
    desc: "connection URL (scheme://user@host:port/database)",
  },
  host: { type: "string", default: "", desc: "server host, without a url" },
  port: { type: "integer", default: 0, min: 0, max: 65535, desc: "port" },
  user: { type: "string", default: "", desc: "login, without a url" },
  database: { type: "string", default: "", desc: "database, without a url" },
  password_env: {
    type: "string",
    default: "",
    desc: "name of the environment variable that holds the password",
  },
  connect_timeout: {
    type: "number",
    default: 5,
    min: 0.1,
    desc: "seconds to wait for the server before giving up",
  },
};

/** A URL to connect with, the password apart, and what to keep secret. */
export interface ServerLogin {
  url: string;
  /** From `password_env`; empty when the URL carries it or none is needed. */
  password: string;
  /** Strings that must never appear in anything Gummer prints. */
  secrets: string[];
}

/**
 * Builds the URL from `url`, or from host, port, user and database, and
 * reads the password from the variable `password_env` names.
 */
export function connectionUrl(values: Params, scheme: string): ServerLogin {
  const url = buildUrl(values, scheme);
  const passwordEnv = String(values.password_env ?? "");
  const password = passwordEnv ? Deno.env.get(passwordEnv) : "";
  if (password === undefined) {
    throw new GummerError(
      `The ${scheme} password is to come from the environment variable ` +
        `${passwordEnv}, which is not set.`,
    );
  }

  let inUrl = "";
  try {
    inUrl = decodeURIComponent(new URL(url).password);
  } catch {
    throw new GummerError(`Cannot read the ${scheme} URL ${maskUrl(url)}.`);
  }
  return { url, password, secrets: [password, inUrl].filter(Boolean) };
}

/** The target as `-ldb` shows it, with any password masked. */
export function serverTarget(values: Params, scheme: string): string {
  try {
    return maskUrl(buildUrl(values, scheme));
  } catch {
    return "not configured";
  }
}

function buildUrl(values: Params, scheme: string): string {
  const url = String(values.url ?? "");
  if (url) return url;

  const host = String(values.host ?? "");
  if (!host) {
    throw new GummerError(
      `The ${scheme} connector has no server: set GUMMER_${scheme.toUpperCase()}_URL, or give a url or host in gummer.json (under connectors.${scheme} ` +
        "or in a profile).",
    );
  }
  const user = values.user ? `${encodeURIComponent(String(values.user))}@` : "";
  const port = values.port ? `:${values.port}` : "";
  const database = encodeURIComponent(String(values.database ?? ""));
  return `${scheme}://${user}${host}${port}/${database}`;
}

/**
 * Why a connection failed, in words: drivers report a timeout as
 * `write CONNECT_TIMEOUT host:port` or `connect ETIMEDOUT`, which says
 * neither how long was waited nor what setting governs it.
 */
export function connectFailure(error: unknown, seconds: number): string {
  const message = error instanceof Error ? error.message : String(error);
  return /CONNECT_TIMEOUT|ETIMEDOUT/.test(message)
    ? `no answer within ${seconds} s (setting connect_timeout)`
    : message;
}

/** The rows of one transaction, and what to run before committing it. */
export interface Transaction {
  /** Batches of rows; read them all before asking for the next one. */
  rows: AsyncGenerator<SqlValue[][]>;
  /** Counted as the rows are read. */
  sent: number;
  /** Filled in when the batch that ends the transaction is read. */
  commit: Statement[];
}

/**
 * Cuts a stream of batches into transactions at each batch that asks for a
 * commit, so a bulk loader can run one COPY or LOAD DATA per transaction.
 * An error from the batches themselves (a file that changed, an abort) is
 * kept apart from the database's errors: it is what the caller should see.
 */
export class Transactions {
  readonly #source: AsyncIterator<Batch>;
  #finished = false;
  /** Set when reading the batches failed. */
  sourceError: unknown;

  constructor(batches: AsyncIterable<Batch> | Iterable<Batch>) {
    if (Symbol.asyncIterator in batches) {
      this.#source = batches[Symbol.asyncIterator]();
    } else {
      const iterator = batches[Symbol.iterator]();
      this.#source = { next: () => Promise.resolve(iterator.next()) };
    }
  }

  /** Whether the batches have run out. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The next transaction's rows; empty once the batches have run out. */
  next(): Transaction {
    const transaction: Transaction = {
      rows: this.#rows(() => transaction),
      sent: 0,
      commit: [],
    };
    return transaction;
  }

  async *#rows(
    current: () => Transaction,
  ): AsyncGenerator<SqlValue[][]> {
    for (;;) {
      let next: IteratorResult<Batch>;
      try {
        next = await this.#source.next();
      } catch (error) {
        this.sourceError = error;
        throw error;
      }
      if (next.done) {
        this.#finished = true;
        return;
      }
      current().sent += next.value.rows.length;
      if (next.value.rows.length > 0) yield next.value.rows;
      if (next.value.commit) {
        current().commit = next.value.commit;
        return;
      }
    }
  }
}
