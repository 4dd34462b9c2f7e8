/**
 * Web clients that behave like vulnerability scanners: storms of client
 * errors, hundreds of missing paths, and the tools' own names.
 *
 * @module
 */

import { epochSeconds, round3, timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import { CLIENT_ERROR, firstWordFound, knownClient } from "./_web.ts";

export const aid = "web_scanner";
export const name = "Web vulnerability scanners";
export const desc =
  "Ranks web clients by how much they look like a vulnerability scanner, " +
  "with the evidence (reasons), requests, client errors (4xx) and their " +
  "share, distinct paths and paths answered 4xx, the tool named, and first " +
  "and last seen. A scan is how an attack on a web server begins: it " +
  "probes for thousands of known files and flaws, so most answers are " +
  "404, the paths are many, and the tool often names itself. Score: one " +
  "point each for a burst (more than `errors` client errors within " +
  "`minutes`), for mostly errors (more than `errors` 4xx that are most of " +
  "its requests) and for many missing paths (more than `errors` distinct " +
  "paths answered 4xx); two for a scanner named in the user agent, the " +
  "method or the target of a failed request; one for a scripting " +
  "client's user agent. False " +
  "positives: crawlers following dead links, monitoring or misconfigured " +
  "clients polling a missing URL, your own scanners and scripts. Defaults: " +
  "more than 10 client errors in 10 minutes is the Sigma rule 'Multiple " +
  "Suspicious Resp Codes Caused by Single Client' (6fdfc796), used here " +
  "for all three behaviours; the scanner and scripting-client lists follow " +
  "the OWASP Core Rule Set's rules 913100 (security scanners, paranoia " +
  "level 1) and 913101 (scripting and generic HTTP clients, paranoia " +
  "level 2), whence their two weights, and 913120 (scanner marks in the " +
  "request); the lists here are our own.";

export const hypothesis =
  "A vulnerability scanner requests many paths that do not exist, so one " +
  "client draws bursts of 4xx answers over many distinct paths, and " +
  "tools often announce themselves in the user agent or in the names of " +
  "their probes.";

export const mitre = ["T1595.002", "T1595.003"];

export const falsePositives =
  "Search engine and SEO crawlers following dead links, uptime monitors " +
  "or misconfigured clients polling a missing URL (many errors, one path), " +
  "your own scanners, scripts using curl or wget, and pages whose names " +
  "contain a scanner's name. Check the paths: scanners ask for admin " +
  "panels, backups and known exploits, crawlers for your own pages.";

export const tables = ["web"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  errors: {
    type: "integer",
    default: 10,
    min: 1,
    desc: "more client errors (4xx) than this within minutes is a burst; " +
      "more in all, as most of a client's requests, or more distinct " +
      "paths answered 4xx, are each a sign (Sigma 6fdfc796: > 10 in 10m)",
  },
  minutes: {
    type: "number",
    default: 10,
    min: 0,
    desc: "the span of a burst of client errors, in minutes",
  },
};

/**
 * Security scanners that name themselves in the user agent by default
 * (the kind the Core Rule Set's rule 913100 looks for), in lower case.
 * The first found, in this order, names the tool.
 */
export const SCANNER_AGENTS = [
  "acunetix",
  "arachni",
  "commix",
  "dirbuster",
  "feroxbuster",
  "fuzz faster u fool",
  "gobuster",
  "jorgee",
  "masscan",
  "nessus",
  "netsparker",
  "nikto",
  "nmap",
  "nuclei",
  "openvas",
  "skipfish",
  "sqlmap",
  "w3af",
  "wfuzz",
  "whatweb",
  "wpscan",
  "zgrab",
  "zmeu",
];

/**
 * Scanners that leave their name in the method or the target of their
 * probes (rule 913120's idea): Nessus sends a NESSUS method and requests
 * /NessusNNNN.html, DFind asks for /w00tw00t.at.ISC.SANS.DFind.
 */
export const SCANNER_MARKS = [
  "acunetix",
  "nessus",
  "netsparker",
  "nikto",
  "openvas",
  "w00tw00t",
];

/**
 * HTTP libraries and command-line clients (rule 913101's kind): weak on
 * their own, since people script their own sites, but a scanner built on
 * them keeps their default user agent.
 */
export const SCRIPTING_AGENTS = [
  "curl/",
  "wget/",
  "python-requests",
  "python-urllib",
  "python-httpx",
  "aiohttp",
  "libwww-perl",
  "go-http-client",
  "java/",
  "apache-httpclient",
  "okhttp",
  "winhttp",
  "windowspowershell",
  "scrapy",
  "httpie",
];

/**
 * One pass over the requests, joined only to the few user agents that
 * name a tool: joins between two large derived tables run as nested
 * loops on MariaDB, which cannot index their text columns.
 *
 * agents: the tool each distinct user agent names, so that the word lists
 * are matched once per agent, not once per request; the CASE reads
 * MIN(user_agent), the group's own value, so that no database pushes it
 * back down onto every row.
 *
 * requests: each request with its agent's tool and, for a client error,
 * the seconds since the client's `errors`-th error before it (LAG over
 * the client's errors alone): at most `minutes` means a burst.
 *
 * clients: per client. A scanner's mark in the target is looked for only
 * in the requests that failed: that is where its probes end, and it
 * spares the test on every page a browser fetched.
 */
const QUERY = `
WITH agents AS (
  SELECT user_agent,
         CASE ${firstWordFound(["MIN(user_agent)"], SCANNER_AGENTS)} END
           AS scanner_agent,
         CASE ${firstWordFound(["MIN(user_agent)"], SCRIPTING_AGENTS)} END
           AS scripting_agent
  FROM web
  WHERE user_agent IS NOT NULL AND %WINDOW%
  GROUP BY user_agent
),
tools AS (
  SELECT user_agent, scanner_agent, scripting_agent
  FROM agents
  WHERE scanner_agent IS NOT NULL OR scripting_agent IS NOT NULL
),
requests AS (
  SELECT w.client_ip, w.path, w.method, w.url, w.time,
         CASE WHEN ${CLIENT_ERROR} THEN 1 ELSE 0 END AS failed,
         t.scanner_agent, t.scripting_agent,
         CASE WHEN ${CLIENT_ERROR} THEN
           %EPOCH% - LAG(%EPOCH%, ?) OVER (
             PARTITION BY w.client_ip,
                          CASE WHEN ${CLIENT_ERROR} THEN 1 ELSE 0 END
             ORDER BY w.time)
         END AS span
  FROM web w
  LEFT JOIN tools t ON t.user_agent = w.user_agent
  WHERE ${knownClient("w.client_ip")} AND %WINDOW%
),
clients AS (
  SELECT client_ip, COUNT(*) AS requests, SUM(failed) AS client_errors,
         COUNT(DISTINCT path) AS paths,
         COUNT(DISTINCT CASE WHEN failed = 1 THEN path END) AS error_paths,
         MIN(scanner_agent) AS scanner_agent,
         MIN(CASE ${firstWordFound(["method"], SCANNER_MARKS)} END)
           AS method_mark,
         MIN(CASE WHEN failed = 1 THEN
           CASE ${firstWordFound(["url"], SCANNER_MARKS)} END END)
           AS target_mark,
         MIN(scripting_agent) AS scripting_agent, MIN(span) AS burst_span,
         MIN(time) AS first_seen, MAX(time) AS last_seen
  FROM requests
  GROUP BY client_ip
),
signs AS (
  SELECT client_ip, requests, client_errors, paths, error_paths,
         scanner_agent, COALESCE(method_mark, target_mark) AS scanner_mark,
         scripting_agent, burst_span, first_seen, last_seen,
         CASE WHEN ROUND(burst_span * 1000) <= ? THEN 1 ELSE 0 END
           AS burst,
         CASE WHEN client_errors > ? AND 2 * client_errors > requests
              THEN 1 ELSE 0 END AS mostly_errors,
         CASE WHEN error_paths > ? THEN 1 ELSE 0 END AS missing_paths,
         CASE WHEN scanner_agent IS NOT NULL OR method_mark IS NOT NULL
                OR target_mark IS NOT NULL
              THEN 2 ELSE 0 END AS named,
         CASE WHEN scripting_agent IS NOT NULL THEN 1 ELSE 0 END
           AS scripting
  FROM clients
)
SELECT client_ip,
       burst + mostly_errors + missing_paths + named + scripting AS score,
       requests, client_errors, paths, error_paths, scanner_agent,
       scanner_mark, scripting_agent, burst_span, first_seen, last_seen
FROM signs
WHERE burst + mostly_errors + missing_paths + named + scripting > 0
ORDER BY score DESC, error_paths DESC, requests DESC, client_ip
LIMIT ?`;

const COLUMNS = [
  "client_ip",
  "score",
  "reasons",
  "requests",
  "client_errors",
  "error_share",
  "paths",
  "error_paths",
  "tool",
  "first_seen",
  "last_seen",
];

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("time", params);
  const errors = Number(params.errors);
  // Spans compare in whole milliseconds: SQLite's are floating point and
  // may miss an exact bound by a hair that PostgreSQL's do not.
  const milliseconds = Math.round(Number(params.minutes) * 60_000);
  const sql = QUERY.replaceAll("%WINDOW%", window.sql)
    .replaceAll("%EPOCH%", epochSeconds(connection.dialect, "time"));
  const found = await connection.query(sql, [
    ...window.params,
    errors,
    ...window.params,
    milliseconds,
    errors,
    errors,
    params.limit,
  ]);
  return {
    columns: COLUMNS,
    rows: found.rows.map((row) => finding(row, errors, milliseconds)),
  };
}

/** A result row, with the reasons spelt out, from a row of QUERY. */
function finding(
  row: SqlValue[],
  errors: number,
  milliseconds: number,
): SqlValue[] {
  const [client, score, requests, clientErrors, paths, errorPaths] = row;
  const [scannerAgent, scannerMark, scriptingAgent, span, first, last] = row
    .slice(6);
  const failed = Number(clientErrors);
  const reasons: string[] = [];
  if (scannerAgent !== null) {
    reasons.push(`scanner ${scannerAgent} in the user agent`);
  }
  if (scannerMark !== null) {
    reasons.push(`scanner ${scannerMark} in the request line`);
  }
  if (span !== null && Math.round(Number(span) * 1000) <= milliseconds) {
    // Access logs stamp whole seconds: a span of 0 is one second's burst.
    const seconds = round3(Number(span));
    reasons.push(
      seconds === 0
        ? `${errors + 1} client errors in one second`
        : `${errors + 1} client errors within ${seconds} s`,
    );
  }
  if (failed > errors && 2 * failed > Number(requests)) {
    reasons.push(`most requests failed (${failed} of ${requests})`);
  }
  if (Number(errorPaths) > errors) {
    reasons.push(`${errorPaths} distinct paths answered 4xx`);
  }
  if (scriptingAgent !== null) {
    reasons.push(`scripting client ${toolName(String(scriptingAgent))}`);
  }
  const tool = scannerAgent ?? scannerMark ??
    (scriptingAgent === null ? null : toolName(String(scriptingAgent)));
  return [
    client,
    score,
    reasons.join("; "),
    requests,
    clientErrors,
    round3(failed / Number(requests)),
    paths,
    errorPaths,
    tool,
    first,
    last,
  ];
}

/** `curl/` and `java/` match a version after them; the name is before. */
function toolName(word: string): string {
  return word.replace(/\/$/, "");
}
