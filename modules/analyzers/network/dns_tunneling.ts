/**
 * DNS tunneling: registered domains under which many distinct names are
 * looked up, as data encoded into subdomains makes them.
 *
 * The database groups the lookups by name, and the names are read page
 * by page and folded into registered domains here, since only the public
 * suffix list knows where a registered domain begins. Memory holds one
 * page of names and one tally per registered domain. The top domains are
 * then read once more, by source and name, for who asked.
 *
 * @module
 */

import { compareText, timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import {
  earlier,
  entropy,
  keysetPages,
  later,
  namesUnder,
  splitName,
} from "./_dns.ts";

export const aid = "dns_tunneling";
export const name = "DNS tunneling: domains with many unique subdomains";
export const desc =
  "Ranks registered domains (the public suffix list decides where one " +
  "begins, its private section included) by the distinct names looked " +
  "up below them in zeek_dns, with the lookups, the sources that asked " +
  "and the one that asked for the most names, and as supporting measures " +
  "the longest name and the mean length and character entropy of the " +
  "subdomain part. A tunnel (iodine, dnscat2, DNS C2 of implants) writes " +
  "its data into the names it looks up, so every lookup is new and its " +
  "domain collects names by the hundred; long names of high entropy make " +
  "the case stronger. Reverse lookups (.arpa) and names under suffixes " +
  "nobody can register (.local, single labels) are left out. False " +
  "positives: CDNs and cloud platforms that give every object a name, " +
  "anti-virus and reputation services that look hashes up in DNS, " +
  "DNS-based blocklists, and your own domains (Active Directory, " +
  "internal zones). The default threshold is RITA v5's base threshold " +
  "for C2 over DNS, 100 subdomains (c2_score_thresholds; 500, 800 and " +
  "1000 are its low, medium and high).";

export const hypothesis =
  "Data smuggled through DNS is written into the queried names, so a " +
  "domain used as a tunnel is asked for far more distinct names than any " +
  "ordinary domain, and they are long and random.";

export const mitre = ["T1071.004", "T1048.003", "T1572"];

export const falsePositives =
  "CDNs and cloud platforms, anti-virus and reputation lookups, DNS " +
  "blocklists, internal and Active Directory zones. A domain that few " +
  "sources ask, with long random names, deserves the first look.";

export const tables = ["zeek_dns"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_subdomains: {
    type: "integer",
    default: 100,
    min: 1,
    desc: "distinct names below a registered domain, at least (RITA's " +
      "base threshold for C2 over DNS, 100)",
  },
};

/** Lookups per distinct name, a page of names at a time. */
const NAMES = `
SELECT name, COUNT(*) AS queries, MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM (SELECT LOWER(query) AS name, ts FROM zeek_dns
      WHERE query IS NOT NULL AND %WINDOW%) lookups
WHERE %AFTER%
GROUP BY name
ORDER BY name
LIMIT ?`;

/** Distinct sources and names below the top domains, a page at a time. */
const ASKED = `
SELECT source, name
FROM (SELECT id_orig_h AS source, LOWER(query) AS name FROM zeek_dns
      WHERE query IS NOT NULL AND id_orig_h IS NOT NULL
        AND %WINDOW%) lookups
WHERE (%UNDER%) AND %AFTER%
GROUP BY source, name
ORDER BY source, name
LIMIT ?`;

const COLUMNS = [
  "domain",
  "subdomains",
  "queries",
  "sources",
  "top_source",
  "top_source_subdomains",
  "longest_name",
  "mean_subdomain_length",
  "mean_entropy",
  "first_seen",
  "last_seen",
];

/** What one registered domain has gathered so far. */
interface Tally {
  domain: string;
  subdomains: number;
  queries: number;
  longest: number;
  lengthSum: number;
  entropySum: number;
  first?: string;
  last?: string;
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("ts", params);
  const tallies = new Map<string, Tally>();
  const names = keysetPages(connection, NAMES.replace("%WINDOW%", window.sql), {
    keys: ["name"],
    params: window.params,
  });
  for await (const page of names) {
    for (const [name, queries, first, last] of page) {
      tally(tallies, name, {
        queries: Number(queries),
        first: String(first),
        last: String(last),
      });
    }
  }

  const top = [...tallies.values()]
    .filter((t) => t.subdomains >= Number(params.min_subdomains))
    .sort((a, b) =>
      b.subdomains - a.subdomains || b.queries - a.queries ||
      compareText(a.domain, b.domain)
    )
    .slice(0, Number(params.limit));
  const askers = await sourcesOf(connection, top, window);

  const rows = top.map((t): SqlValue[] => {
    const asked = askers.get(t.domain)!;
    const [topSource, topCount] = busiest(asked);
    return [
      t.domain,
      t.subdomains,
      t.queries,
      asked.size,
      topSource,
      topCount,
      t.longest,
      round(t.lengthSum / t.subdomains, 1),
      round(t.entropySum / t.subdomains, 3),
      t.first!,
      t.last!,
    ];
  });
  return { columns: COLUMNS, rows };
}

/** Adds one distinct name, with its lookups, to its domain's tally. */
function tally(
  tallies: Map<string, Tally>,
  name: SqlValue,
  seen: { queries: number; first: string; last: string },
): void {
  const text = String(name);
  const split = splitName(text);
  if (!split || split.subdomain === "") return;
  let t = tallies.get(split.domain);
  if (!t) {
    t = {
      domain: split.domain,
      subdomains: 0,
      queries: 0,
      longest: 0,
      lengthSum: 0,
      entropySum: 0,
    };
    tallies.set(split.domain, t);
  }
  t.subdomains++;
  t.queries += seen.queries;
  t.longest = Math.max(t.longest, text.length);
  t.lengthSum += split.subdomain.length;
  t.entropySum += entropy(split.subdomain);
  t.first = earlier(t.first, seen.first);
  t.last = later(t.last, seen.last);
}

/**
 * For each top domain, the distinct subdomains each source asked for. The
 * LIKE patterns only narrow the rows; a name counts for a domain when the
 * suffix list gives it that domain, so a platform domain is not credited
 * with its customers' names (amazonaws.com with s3 buckets').
 */
async function sourcesOf(
  connection: Connection,
  top: Tally[],
  window: { sql: string; params: string[] },
): Promise<Map<string, Map<string, number>>> {
  const askers = new Map(top.map((t) => [t.domain, new Map<string, number>()]));
  if (top.length === 0) return askers;

  const sql = ASKED.replace("%WINDOW%", window.sql)
    .replace("%UNDER%", top.map(() => "name LIKE ? ESCAPE '!'").join(" OR "));
  const pages = keysetPages(connection, sql, {
    keys: ["source", "name"],
    params: [...window.params, ...top.map((t) => namesUnder(t.domain))],
  });
  for await (const page of pages) {
    for (const [source, name] of page) {
      const split = splitName(String(name));
      const counts = split && askers.get(split.domain);
      if (!counts || split.subdomain === "") continue;
      counts.set(String(source), (counts.get(String(source)) ?? 0) + 1);
    }
  }
  return askers;
}

/** The source with the most names, the first in byte order on a tie. */
function busiest(counts: Map<string, number>): [string | null, number] {
  let best: string | null = null;
  let most = 0;
  for (const [source, count] of counts) {
    if (count > most || (count === most && compareText(source, best!) < 0)) {
      best = source;
      most = count;
    }
  }
  return [best, most];
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
