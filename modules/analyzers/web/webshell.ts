/**
 * Web shells in access logs: a script that appears right after its
 * caller uploaded something, commands or tunnelling parameters in its
 * query string, and a rare script that one client keeps posting to.
 *
 * @module
 */

import { timestampSeconds, timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import { isTunnelSetup, queryEvidence } from "./_queries.ts";
import {
  afterKey,
  ANSWERED,
  containsAny,
  PAGE_ROWS,
  pagedRows,
  round3,
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
  "query string (cmd=, whoami, cmd /c, /bin/sh, powershell, plain or in " +
  "base64); (c) tunnelling parameters (Tunna's ?proxy&port=&ip=, " +
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
 * Words that single out a short query string worth reading; every query
 * of ten characters or more is read, since base64 hides the words.
 */
const SHORT_QUERY_WORDS = ["cmd", "exec", "shell", "proxy", "whoami"];

const SUSPECT_QUERIES = `
SELECT client_ip, path, query, COUNT(*) AS requests
FROM web
WHERE ${ANSWERED} AND client_ip IS NOT NULL AND ${scriptPath("path")}
  AND query IS NOT NULL
  AND (LENGTH(query) >= 10 OR ${containsAny("query", SHORT_QUERY_WORDS)})
  AND %WINDOW% AND %AFTER%
GROUP BY client_ip, path, query
ORDER BY client_ip, path, query
LIMIT ${PAGE_ROWS}`;

/**
 * Per client and script: counts, the clients the script answered, when
 * it was first answered to anything but an upload (born), and this
 * client's last upload at or before that.
 */
const PAIRS = `
WITH answered AS (
  SELECT client_ip, path, method, time, ${IS_UPLOAD} AS is_upload
  FROM web
  WHERE ${ANSWERED} AND client_ip IS NOT NULL AND ${scriptPath("path")}
    AND %WINDOW%
),
scripts AS (
  SELECT path, COUNT(DISTINCT client_ip) AS clients,
         MIN(CASE WHEN is_upload = 0 THEN time END) AS born
  FROM answered
  GROUP BY path
),
uploads AS (
  SELECT client_ip, time
  FROM web
  WHERE ${ANSWERED} AND client_ip IS NOT NULL AND ${IS_UPLOAD} = 1
    AND %WINDOW%
),
pairs AS (
  SELECT client_ip, path, COUNT(*) AS requests,
         SUM(CASE WHEN method = 'POST' THEN 1 ELSE 0 END) AS posts,
         MIN(time) AS first_seen, MAX(time) AS last_seen
  FROM answered
  WHERE %PAIRS%
  GROUP BY client_ip, path
),
found AS (
  SELECT p.client_ip, p.path, p.requests, p.posts, s.clients,
         p.first_seen, p.last_seen, s.born,
         (SELECT MAX(u.time) FROM uploads u
          WHERE u.client_ip = p.client_ip AND u.time <= s.born)
           AS upload_time
  FROM pairs p
  JOIN scripts s ON s.path = p.path
)
SELECT client_ip, path, requests, posts, clients, first_seen, last_seen,
       born, upload_time
FROM found
WHERE %FOUND%
ORDER BY client_ip, path
LIMIT ${PAGE_ROWS}`;

/** The upload that a script's birth followed, to name it in the reasons. */
const UPLOAD = `
SELECT method, path
FROM web
WHERE client_ip = ? AND time = ? AND ${ANSWERED} AND ${IS_UPLOAD} = 1
ORDER BY method, path
LIMIT 1`;

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

/** One client and script, with its counts and the evidence found. */
interface Candidate {
  client: string;
  path: string;
  requests: number;
  posts: number;
  clients: number;
  firstSeen: string;
  lastSeen: string;
  born: string | null;
  uploadTime: string | null;
  score: number;
  reasons: string[];
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const limit = Number(params.limit);
  const rare = [Number(params.max_clients), Number(params.min_posts)];
  const found = await suspectQueries(connection, params);
  const ranked = new TopRows(limit);

  const evidence = `upload_time IS NOT NULL OR (clients <= ? AND posts >= ?)`;
  const pages = pagedRows(connection, (after) => {
    const keyset = afterKey(["client_ip", "path"], after);
    return pairsQuery(params, keyset.sql, keyset.params, evidence, rare);
  }, 2);
  for await (const row of pages) {
    const key = pairKey(row[0], row[1]);
    ranked.add(scored(row, found.get(key), rare));
    found.delete(key);
  }

  // Pairs whose only evidence is in their query strings.
  for (const [key, findings] of found) {
    const [client, path] = JSON.parse(key) as [string, string];
    const exact = "client_ip = ? AND path = ?";
    const { sql, params: values } = pairsQuery(
      params,
      exact,
      [client, path],
      "1 = 1",
      [],
    );
    const { rows } = await connection.query(sql, values);
    ranked.add(scored(rows[0], findings, rare));
  }

  const rows: SqlValue[][] = [];
  for (const candidate of ranked.best()) {
    rows.push(await finding(connection, candidate));
  }
  return { columns: COLUMNS, rows };
}

/** The PAIRS statement for a selection of pairs and of evidence. */
function pairsQuery(
  params: Params,
  pairs: string,
  pairParams: SqlValue[],
  found: string,
  foundParams: SqlValue[],
): { sql: string; params: SqlValue[] } {
  const window = timeWindow("time", params);
  return {
    sql: PAIRS.replaceAll("%WINDOW%", window.sql)
      .replace("%PAIRS%", pairs)
      .replace("%FOUND%", found),
    params: [
      ...window.params,
      ...window.params,
      ...pairParams,
      ...foundParams,
    ],
  };
}

/**
 * Reads every suspect query string of an answered script request and
 * keeps, per client and script, what the ones that show evidence show.
 */
async function suspectQueries(
  connection: Connection,
  params: Params,
): Promise<Map<string, QueryFindings>> {
  const window = timeWindow("time", params);
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
    const kind = queryEvidence(String(query));
    if (!kind) continue;
    const key = pairKey(client, path);
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

/** A candidate with its score and reasons, from a row of PAIRS. */
function scored(
  row: SqlValue[],
  findings: QueryFindings | undefined,
  [maxClients, minPosts]: number[],
): Candidate {
  const [client, path, requests, posts, clients] = row;
  const [firstSeen, lastSeen, born, uploadTime] = row.slice(5);
  const candidate: Candidate = {
    client: String(client),
    path: String(path),
    requests: Number(requests),
    posts: Number(posts),
    clients: Number(clients),
    firstSeen: String(firstSeen),
    lastSeen: String(lastSeen),
    born: born === null ? null : String(born),
    uploadTime: uploadTime === null ? null : String(uploadTime),
    score: 0,
    reasons: [],
  };
  const reasons = candidate.reasons;
  if (candidate.uploadTime !== null) reasons.push("upload");
  if (findings?.command) {
    reasons.push(
      `commands in the query string of ${findings.command} requests ` +
        `(${quoted(findings.commandExample!.query)})`,
    );
  }
  if (findings?.tunnel) {
    reasons.push(
      `tunnelling parameters in ${findings.tunnel} requests ` +
        `(${quoted(findings.tunnelExample!.query)})`,
    );
  }
  if (candidate.clients <= maxClients && candidate.posts >= minPosts) {
    reasons.push(
      `${candidate.posts} POSTs to a script answered to ` +
        `${candidate.clients} client${candidate.clients === 1 ? "" : "s"}`,
    );
  }
  candidate.score = reasons.length;
  return candidate;
}

/**
 * The result row of a ranked candidate. The upload reason is spelt out
 * only here, for the few rows shown, since naming the upload takes a
 * query of its own.
 */
async function finding(
  connection: Connection,
  candidate: Candidate,
): Promise<SqlValue[]> {
  const reasons = [...candidate.reasons];
  if (reasons[0] === "upload") {
    const upload = await connection.query(UPLOAD, [
      candidate.client,
      candidate.uploadTime,
    ]);
    const [method, path] = upload.rows[0] ?? ["an upload", ""];
    const gap = timestampSeconds(candidate.born!) -
      timestampSeconds(candidate.uploadTime!);
    reasons[0] = `first answered ${round3(gap)} s after this client's ` +
      `${method} ${path}`.trimEnd();
  }
  return [
    candidate.client,
    candidate.path,
    candidate.score,
    reasons.join("; "),
    candidate.requests,
    candidate.posts,
    candidate.clients,
    candidate.firstSeen,
    candidate.lastSeen,
  ];
}

/** A piece of attacker-written query string, cut short for the reasons. */
function quoted(query: string): string {
  return query.length > EXAMPLE_LENGTH
    ? `${query.slice(0, EXAMPLE_LENGTH)}...`
    : query;
}

function pairKey(client: SqlValue, path: SqlValue): string {
  return JSON.stringify([String(client), String(path)]);
}

/**
 * The best candidates seen so far, by score, then requests, then first
 * seen, client and path: a full tie-break. Holds at most about twice the
 * limit, so memory does not grow with the log.
 */
class TopRows {
  #kept: Candidate[] = [];
  constructor(readonly limit: number) {}

  add(candidate: Candidate): void {
    if (candidate.score === 0) return;
    this.#kept.push(candidate);
    if (this.#kept.length >= 2 * this.limit + 100) this.#trim();
  }

  best(): Candidate[] {
    this.#trim();
    return this.#kept;
  }

  #trim(): void {
    this.#kept.sort(byRank);
    this.#kept.length = Math.min(this.#kept.length, this.limit);
  }
}

function byRank(a: Candidate, b: Candidate): number {
  return b.score - a.score || b.requests - a.requests ||
    compare(a.firstSeen, b.firstSeen) || compare(a.client, b.client) ||
    compare(a.path, b.path);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
