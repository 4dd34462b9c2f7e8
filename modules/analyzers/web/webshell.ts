/**
 * Web shells in access logs: a script that appears right after its
 * caller uploaded something, commands or tunnelling parameters in its
 * query string, and a rare script that one client keeps posting to.
 *
 * @module
 */

import {
  type Condition,
  round3,
  timestampSeconds,
  timeWindow,
} from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import { isTunnelSetup, QUERY_WORDS, queryEvidence } from "./_queries.ts";
import {
  afterKey,
  ANSWERED,
  containsAny,
  isScriptPath,
  knownClient,
  PAGE_ROWS,
  pagedRows,
  scriptPath,
} from "./_web.ts";

export const aid = "webshell";
export const name = "Web shells";
export const desc =
  "Ranks client and script pairs (paths ending in .jsp, .php, .asp, " +
  ".aspx, .cfm, .cgi, .pl and the like, answered 2xx) by the kinds of web " +
  "shell evidence they show, with the reasons, requests, POSTs, the " +
  "clients the script answered, and first and last seen. A web shell is " +
  "a script an attacker planted on the server to run commands or to " +
  "tunnel into the network behind it; it is how a foothold is kept. One " +
  "point each for: (a) the script was first answered after this client " +
  "uploaded something (a PUT, MOVE or COPY, or a POST to an upload or " +
  "deploy URL such as Tomcat's /manager/html/upload); (b) commands in the " +
  "query string (cmd=, whoami, cmd /c, /bin/sh, powershell, plain or " +
  "base64-encoded); (c) tunnelling parameters (Tunna's ?proxy&port=&ip=, " +
  "reGeorg's cmd=connect, read, forward); (d) the script answered few " +
  "clients and this one sent it many POSTs. POST bodies and headers are " +
  "not in access logs, so shells driven only through them (Neo-reGeorg, " +
  "China Chopper) show through (a) and (d) alone. False positives: an " +
  "administrator deploying an application and then using it, admin " +
  "pages only a few people use, and applications with a cmd or command " +
  "parameter. Defaults: at most 5 clients is the NSA's web shell " +
  "analytic (URIs answered 2xx to at most 5 addresses or user agents, in " +
  "'Detect and Prevent Web Shell Malware', 2020); 10 POSTs is our floor " +
  "for an operator's session, above a form filled in a few times; first " +
  "seen means first answered inside the since/until window.";

export const hypothesis =
  "An attacker who plants a web shell uploads it, then calls a script " +
  "nobody requested before, alone and mostly by POST, with commands or " +
  "tunnel parameters in the query string.";

export const mitre = ["T1505.003", "T1190", "T1105", "T1572", "T1059"];

export const falsePositives =
  "An administrator deploying an application and then opening its pages, " +
  "admin and API scripts that only a few clients use, forms that one " +
  "client posts many times (including spam bots), and applications whose " +
  "own parameters are named cmd or command. Look at what was uploaded, " +
  "who else calls the script, and whether the answers vary in size.";

export const tables = ["web"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  max_clients: {
    type: "integer",
    default: 5,
    min: 1,
    desc: "a script answered 2xx to at most this many clients is rare " +
      "(NSA web shell analytic: at most 5)",
  },
  min_posts: {
    type: "integer",
    default: 10,
    min: 1,
    desc: "POSTs from one client to a rare script that make an operator's " +
      "session rather than a form filled in a few times",
  },
};

/** Words in a POST's URL that mark an upload or an application deploy. */
const UPLOAD_WORDS = ["upload", "deploy"];

/**
 * Requests that put a file on the server: WebDAV's PUT, MOVE and COPY
 * (IIS shells are often PUT as .txt and MOVEd to .asp), and POSTs to
 * upload or deploy URLs. A 1 or 0 per row, so that NULLs cannot leak.
 */
const IS_UPLOAD = `CASE WHEN method IN ('PUT', 'MOVE', 'COPY')
  OR (method = 'POST' AND ${containsAny("url", UPLOAD_WORDS)})
  THEN 1 ELSE 0 END`;

/**
 * The query strings worth reading in TypeScript: those of answered
 * script requests that contain one of the words any evidence needs.
 */
const SUSPECT_QUERIES = `
SELECT client_ip, path, query, COUNT(*) AS requests
FROM web
WHERE ${ANSWERED} AND ${knownClient()} AND ${scriptPath("path")}
  AND query IS NOT NULL AND ${containsAny("query", QUERY_WORDS)}
  AND %WINDOW% AND %AFTER%
GROUP BY client_ip, path, query
ORDER BY client_ip, path, query
LIMIT ${PAGE_ROWS}`;

/** The clients that uploaded something: few, even on a busy site. */
const UPLOADERS = `
SELECT client_ip
FROM web
WHERE ${ANSWERED} AND ${knownClient()} AND ${IS_UPLOAD} = 1
  AND %WINDOW% AND %AFTER%
GROUP BY client_ip
ORDER BY client_ip
LIMIT ${PAGE_ROWS}`;

/** Per client and script: the requests the script answered. */
const PAIRS = `
SELECT client_ip, path, COUNT(*) AS requests,
       SUM(CASE WHEN method = 'POST' THEN 1 ELSE 0 END) AS posts,
       MIN(time) AS first_seen, MAX(time) AS last_seen
FROM web
WHERE ${ANSWERED} AND ${knownClient()} AND ${scriptPath("path")}
  AND %WINDOW% AND %SCOPE% AND %AFTER%
GROUP BY client_ip, path
HAVING %HAVING%
ORDER BY client_ip, path
LIMIT ${PAGE_ROWS}`;

/**
 * Per script: the clients it answered, and when it was first answered to
 * anything but an upload (born).
 */
const SCRIPTS = `
SELECT path, COUNT(DISTINCT client_ip) AS clients,
       MIN(CASE WHEN ${IS_UPLOAD} = 0 THEN time END) AS born
FROM web
WHERE ${ANSWERED} AND ${knownClient()} AND %WINDOW% AND %SCOPE%
GROUP BY path`;

/** The uploads of some clients, in the order they came. */
const UPLOADS = `
SELECT client_ip, time, method, path
FROM web
WHERE ${ANSWERED} AND ${IS_UPLOAD} = 1 AND %WINDOW% AND %SCOPE%
ORDER BY client_ip, time, method, path`;

/**
 * Pairs scored together: each batch reads its scripts' figures and its
 * clients' uploads in one statement each, with two parameters a pair at
 * most.
 */
const BATCH_PAIRS = 100;

const COLUMNS = [
  "client_ip",
  "path",
  "score",
  "reasons",
  "requests",
  "posts",
  "clients",
  "first_seen",
  "last_seen",
];

/** The longest piece of a query string quoted in the reasons. */
const EXAMPLE_LENGTH = 60;

/** Query strings of one pair that showed commands or tunnelling. */
interface QueryFindings {
  command: number;
  tunnel: number;
  commandExample?: Example;
  tunnelExample?: Example;
}

interface Example {
  query: string;
  requests: number;
  setup: boolean;
}

/** One client and script, as PAIRS counts it. */
interface Pair {
  client: string;
  path: string;
  requests: number;
  posts: number;
  firstSeen: string;
  lastSeen: string;
}

/** A scored pair: its result row and what it ranks by. */
interface Candidate extends Pair {
  clients: number;
  score: number;
  reasons: string[];
}

/** What one upload request was. */
interface Upload {
  time: string;
  method: string;
  path: string;
}

/**
 * The work is split so that no statement joins two large groupings
 * (MariaDB cannot index a derived table's text columns, so it runs such
 * a join as a nested loop): SQL finds the candidate pairs and the
 * figures of their scripts and uploads, and TypeScript puts them
 * together. Candidates are pairs with query strings worth a look, pairs
 * of clients that uploaded, and pairs with at least `min_posts` POSTs;
 * no other pair can show any evidence.
 */
export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const found = await suspectQueries(connection, window);
  const scorer = new Scorer(connection, window, params, found);

  const minPosts = {
    sql: "SUM(CASE WHEN method = 'POST' THEN 1 ELSE 0 END) >= ?",
    params: [Number(params.min_posts)],
  };
  await scorer.take(pairs(connection, window, ALL, minPosts));
  for (const clients of chunks(await uploaders(connection, window))) {
    const scope = { sql: inList("client_ip", clients.length), params: clients };
    await scorer.take(pairs(connection, window, scope, ALL));
  }
  const rest = [...found.keys()].filter((key) => !scorer.has(key))
    .map((key) => JSON.parse(key) as string[]);
  for (const batch of chunks(rest)) {
    const scope = {
      sql: `(${batch.map(() => "(client_ip = ? AND path = ?)").join(" OR ")})`,
      params: batch.flat(),
    };
    await scorer.take(pairs(connection, window, scope, ALL));
  }

  const ranked = await scorer.best();
  return { columns: COLUMNS, rows: ranked.map(row) };
}

/** SQL with `?` placeholders and their values. */
interface Clause {
  sql: string;
  params: SqlValue[];
}

const ALL: Clause = { sql: "1 = 1", params: [] };

/** The PAIRS of a scope whose groups pass `having`, a page at a time. */
function pairs(
  connection: Connection,
  window: Condition,
  scope: Clause,
  having: Clause,
): AsyncGenerator<SqlValue[]> {
  return pagedRows(connection, (after) => {
    const keyset = afterKey(["client_ip", "path"], after);
    return {
      sql: PAIRS.replace("%WINDOW%", window.sql).replace("%SCOPE%", scope.sql)
        .replace("%AFTER%", keyset.sql).replace("%HAVING%", having.sql),
      params: [
        ...window.params,
        ...scope.params,
        ...keyset.params,
        ...having.params,
      ],
    };
  }, 2);
}

/** Every client that uploaded something inside the window. */
async function uploaders(
  connection: Connection,
  window: Condition,
): Promise<string[]> {
  const clients: string[] = [];
  const rows = pagedRows(connection, (after) => {
    const keyset = afterKey(["client_ip"], after);
    return {
      sql: UPLOADERS.replace("%WINDOW%", window.sql)
        .replace("%AFTER%", keyset.sql),
      params: [...window.params, ...keyset.params],
    };
  }, 1);
  for await (const [client] of rows) clients.push(String(client));
  return clients;
}

/**
 * Reads every suspect query string of an answered script request and
 * keeps, per client and script, what the ones that show evidence show.
 */
async function suspectQueries(
  connection: Connection,
  window: Condition,
): Promise<Map<string, QueryFindings>> {
  const found = new Map<string, QueryFindings>();
  const rows = pagedRows(connection, (after) => {
    const keyset = afterKey(["client_ip", "path", "query"], after);
    return {
      sql: SUSPECT_QUERIES.replace("%WINDOW%", window.sql)
        .replace("%AFTER%", keyset.sql),
      params: [...window.params, ...keyset.params],
    };
  }, 3);
  for await (const [client, path, query, requests] of rows) {
    if (!isScriptPath(String(path))) continue;
    const kind = queryEvidence(String(query));
    if (!kind) continue;
    const key = pairKey(String(client), String(path));
    const findings = found.get(key) ?? { command: 0, tunnel: 0 };
    const example = {
      query: String(query),
      requests: Number(requests),
      setup: kind === "tunnel" && isTunnelSetup(String(query)),
    };
    findings[kind] += example.requests;
    const field = kind === "tunnel" ? "tunnelExample" : "commandExample";
    if (better(example, findings[field])) findings[field] = example;
    found.set(key, findings);
  }
  return found;
}

/**
 * Whether an example shows more than the one kept: a tunnel's opening
 * request first, then the most requests. Rows come in query order, so on
 * a tie the first, smallest query stays.
 */
function better(example: Example, kept: Example | undefined): boolean {
  if (!kept) return true;
  if (example.setup !== kept.setup) return example.setup;
  return example.requests > kept.requests;
}

/**
 * Scores candidate pairs a batch at a time and keeps the best: by score,
 * then requests, then first seen, client and path, a full tie-break. A
 * pair found twice (it has POSTs and its client uploaded) is scored
 * once. It holds the keys of the pairs taken, one batch, and about twice
 * the limit of candidates.
 */
class Scorer {
  #taken = new Set<string>();
  #batch: Pair[] = [];
  #kept: Candidate[] = [];
  #limit: number;
  #maxClients: number;
  #minPosts: number;

  constructor(
    readonly connection: Connection,
    readonly window: Condition,
    params: Params,
    readonly found: Map<string, QueryFindings>,
  ) {
    this.#limit = Number(params.limit);
    this.#maxClients = Number(params.max_clients);
    this.#minPosts = Number(params.min_posts);
  }

  async take(rows: AsyncIterable<SqlValue[]>): Promise<void> {
    for await (const [client, path, requests, posts, first, last] of rows) {
      const pair: Pair = {
        client: String(client),
        path: String(path),
        requests: Number(requests),
        posts: Number(posts),
        firstSeen: String(first),
        lastSeen: String(last),
      };
      const key = pairKey(pair.client, pair.path);
      if (!isScriptPath(pair.path) || this.#taken.has(key)) continue;
      this.#taken.add(key);
      this.#batch.push(pair);
      if (this.#batch.length >= BATCH_PAIRS) await this.#score();
    }
  }

  /** Whether a pair, by its key, was taken already. */
  has(key: string): boolean {
    return this.#taken.has(key);
  }

  async best(): Promise<Candidate[]> {
    await this.#score();
    this.#trim();
    return this.#kept;
  }

  async #score(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) return;
    const scripts = await this.#scripts(batch);
    const uploads = await this.#uploads(batch);
    for (const pair of batch) {
      const script = scripts.get(pair.path)!;
      const findings = this.found.get(pairKey(pair.client, pair.path));
      const candidate = {
        ...pair,
        clients: script.clients,
        score: 0,
        reasons: this.#reasons(pair, script, uploads, findings),
      };
      candidate.score = candidate.reasons.length;
      if (candidate.score === 0) continue;
      this.#kept.push(candidate);
      if (this.#kept.length >= 2 * this.#limit + BATCH_PAIRS) this.#trim();
    }
  }

  #reasons(
    pair: Pair,
    script: { clients: number; born: string | null },
    uploads: Map<string, Upload[]>,
    findings: QueryFindings | undefined,
  ): string[] {
    const reasons: string[] = [];
    const upload = lastUpload(pair, script.born, uploads.get(pair.client));
    if (upload) {
      const gap = timestampSeconds(script.born!) -
        timestampSeconds(upload.time);
      reasons.push(
        `first answered ${round3(gap)} s after this client's ` +
          `${upload.method} ${upload.path}`,
      );
    }
    if (findings?.command) {
      reasons.push(
        `commands in the query string of ${counted(findings.command)} ` +
          `(${quoted(findings.commandExample!.query)})`,
      );
    }
    if (findings?.tunnel) {
      reasons.push(
        `tunnelling parameters in ${counted(findings.tunnel)} ` +
          `(${quoted(findings.tunnelExample!.query)})`,
      );
    }
    if (script.clients <= this.#maxClients && pair.posts >= this.#minPosts) {
      reasons.push(
        `${pair.posts} POSTs to a script answered to ` +
          `${script.clients} client${script.clients === 1 ? "" : "s"}`,
      );
    }
    return reasons;
  }

  /** Each script's clients and birth, for the scripts of a batch. */
  async #scripts(
    batch: Pair[],
  ): Promise<Map<string, { clients: number; born: string | null }>> {
    const paths = [...new Set(batch.map((pair) => pair.path))];
    const { rows } = await this.connection.query(
      SCRIPTS.replace("%WINDOW%", this.window.sql)
        .replace("%SCOPE%", inList("path", paths.length)),
      [...this.window.params, ...paths],
    );
    return new Map(rows.map(([path, clients, born]) => [String(path), {
      clients: Number(clients),
      born: born === null ? null : String(born),
    }]));
  }

  /** The uploads of the clients of a batch, each client's in order. */
  async #uploads(batch: Pair[]): Promise<Map<string, Upload[]>> {
    const clients = [...new Set(batch.map((pair) => pair.client))];
    const { rows } = await this.connection.query(
      UPLOADS.replace("%WINDOW%", this.window.sql)
        .replace("%SCOPE%", inList("client_ip", clients.length)),
      [...this.window.params, ...clients],
    );
    const uploads = new Map<string, Upload[]>();
    for (const [client, time, method, path] of rows) {
      const list = uploads.get(String(client)) ?? [];
      list.push({
        time: String(time),
        method: String(method),
        path: String(path),
      });
      uploads.set(String(client), list);
    }
    return uploads;
  }

  #trim(): void {
    this.#kept.sort(byRank);
    this.#kept.length = Math.min(this.#kept.length, this.#limit);
  }
}

/**
 * The client's last upload at or before the script's birth, if any. A
 * POST to the script itself is not its upload: an upload form's handler
 * does not create itself, while a PUT does create the file it names.
 * Time stamps compare as text, as they sort.
 */
function lastUpload(
  pair: Pair,
  born: string | null,
  uploads: Upload[] | undefined,
): Upload | undefined {
  if (born === null || !uploads) return undefined;
  return uploads.findLast((upload) =>
    upload.time <= born &&
    !(upload.method === "POST" && upload.path === pair.path)
  );
}

function row(candidate: Candidate): SqlValue[] {
  return [
    candidate.client,
    candidate.path,
    candidate.score,
    candidate.reasons.join("; "),
    candidate.requests,
    candidate.posts,
    candidate.clients,
    candidate.firstSeen,
    candidate.lastSeen,
  ];
}

/** `column IN (?, ?, ...)` for `count` values. */
function inList(column: string, count: number): string {
  return `${column} IN (${Array(count).fill("?").join(", ")})`;
}

/** Slices of at most BATCH_PAIRS items. */
function chunks<T>(items: T[]): T[][] {
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH_PAIRS) {
    slices.push(items.slice(start, start + BATCH_PAIRS));
  }
  return slices;
}

/** A piece of attacker-written query string, cut short for the reasons. */
function quoted(query: string): string {
  return query.length > EXAMPLE_LENGTH
    ? `${query.slice(0, EXAMPLE_LENGTH)}...`
    : query;
}

function counted(requests: number): string {
  return `${requests} request${requests === 1 ? "" : "s"}`;
}

function pairKey(client: string, path: string): string {
  return JSON.stringify([client, path]);
}

function byRank(a: Candidate, b: Candidate): number {
  return b.score - a.score || b.requests - a.requests ||
    compare(a.firstSeen, b.firstSeen) || compare(a.client, b.client) ||
    compare(a.path, b.path);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
