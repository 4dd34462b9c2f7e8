/**
 * Rare user agents: HTTP user agents that one source alone sends, above
 * all toward one destination, with missing, empty, very short and
 * command-line agents marked.
 *
 * @module
 */

import { timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Dialect,
  Params,
  ParamSpecs,
  Result,
} from "../../../engine/types.ts";
import { charLength } from "./_network_sql.ts";

export const aid = "rare_user_agent";
export const name = "Rare user agents: HTTP clients that one source alone uses";
export const desc =
  "Ranks HTTP user agents (zeek_http) by rarity: agents sent by the " +
  "fewest sources across the data first, then those a source sends to the " +
  "fewest destinations (host name, else address), then odd agents, then " +
  "by requests. One row per agent and source, with the number of sources " +
  "that send the agent, the destinations, the destination when there is " +
  "one, requests and first and last seen. The oddity column marks a " +
  "missing User-Agent header, an empty one, a command-line or scripting " +
  "client (curl, Wget, PowerShell, Python, Go, Perl and Java HTTP " +
  "libraries, CertUtil, and the scanners Nmap, sqlmap, Nikto, masscan and " +
  "zgrab), and agents under 12 characters. Malware and attackers' tools " +
  "use their own agent or a library's, from one infected host to one " +
  "server, while browsers and updaters share theirs across many hosts. " +
  "False positives: in small networks most agents are rare; software used " +
  "on one machine (a developer's tools, a backup agent, an IoT device) " +
  "and scripts of administrators. Defaults: an agent counts as rare when " +
  "one source sends it, and a source using it toward a single destination " +
  "is RITA v5's rare-signature modifier; the short exact agents of " +
  "SigmaHQ's suspicious user agent rules ('_', 'x', 'xxx', 'HTTPS', and " +
  "the bare 'Mozilla/5.0' of its exploit framework rule) fall under the " +
  "12-character cut, and no browser's agent does.";

export const hypothesis =
  "An implant or an attacker's tool sends a user agent of its own (or a " +
  "scripting library's, or none) from the one host it runs on to its one " +
  "server, while the agents of real browsers and updaters are shared by " +
  "many hosts and many destinations.";

export const mitre = ["T1071.001", "T1105", "T1059.001"];

export const falsePositives =
  "Small networks where most agents are rare, software that runs on one " +
  "machine, administrators' scripts, IoT devices. Rare agents toward one " +
  "destination nobody else visits deserve the first look.";

export const tables = ["zeek_http"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  max_sources: {
    type: "integer",
    default: 1,
    min: 1,
    desc: "agents sent by at most this many sources are rare (1: one " +
      "source alone)",
  },
};

/** Agents shorter than this (in characters) are marked short. */
const SHORT_AGENT = 12;

/**
 * Command-line and scripting HTTP clients and scanners, as lower-case
 * LIKE patterns: tools attackers run by hand or build implants on.
 */
const TOOL_AGENTS = [
  "curl%",
  "wget%",
  "%powershell%",
  "python%",
  "go-http-client%",
  "libwww-perl%",
  "%java/%",
  "certutil%",
  "%nmap%",
  "%sqlmap%",
  "%nikto%",
  "%masscan%",
  "%zgrab%",
];

function oddity(dialect: Dialect): string {
  const tools = TOOL_AGENTS.map((pattern) => `agent LIKE '${pattern}'`)
    .join(" OR ");
  return `CASE
    WHEN user_agent IS NULL THEN 'missing'
    WHEN TRIM(user_agent) = '' OR TRIM(user_agent) = '-' THEN 'empty'
    WHEN ${tools} THEN 'tool'
    WHEN ${charLength(dialect, "user_agent")} < ${SHORT_AGENT} THEN 'short'
  END`;
}

/**
 * Requests without a method are responses Zeek saw alone; they carry no
 * agent and are left out. The number of sources of an agent is a window
 * over its (agent, source) rows; PARTITION BY keeps the missing agent
 * (NULL) as one group on every database.
 */
const QUERY = `
WITH pairs AS (
  SELECT user_agent, LOWER(user_agent) AS agent, source,
         COUNT(*) AS requests, COUNT(DISTINCT destination) AS destinations,
         MIN(destination) AS one_destination,
         MIN(ts) AS first_seen, MAX(ts) AS last_seen
  FROM (SELECT user_agent, id_orig_h AS source,
               COALESCE(NULLIF(host, ''), id_resp_h) AS destination, ts
        FROM zeek_http
        WHERE method IS NOT NULL AND id_orig_h IS NOT NULL
          AND %WINDOW%) requests
  GROUP BY user_agent, source
),
agents AS (
  SELECT user_agent, source, requests, destinations, one_destination,
         first_seen, last_seen, %ODDITY% AS oddity,
         COUNT(*) OVER (PARTITION BY user_agent) AS sources
  FROM pairs
)
SELECT user_agent, oddity, sources, source, destinations,
       CASE WHEN destinations = 1 THEN one_destination END AS destination,
       requests, first_seen, last_seen
FROM agents
WHERE sources <= ?
ORDER BY sources, destinations, CASE WHEN oddity IS NULL THEN 1 ELSE 0 END,
         requests DESC, CASE WHEN user_agent IS NULL THEN 0 ELSE 1 END,
         user_agent, source
LIMIT ?`;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("ts", params);
  const sql = QUERY.replace("%WINDOW%", window.sql)
    .replace("%ODDITY%", oddity(connection.dialect));
  return await connection.query(sql, [
    ...window.params,
    params.max_sources,
    params.limit,
  ]);
}
