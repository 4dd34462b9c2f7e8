/**
 * DGA bursts: sources whose lookups fail (NXDOMAIN) for many distinct
 * random-looking domains within a day, as malware cycling through the
 * names of a domain generation algorithm does.
 *
 * The database picks the sources with enough failed names; each one's
 * failed names are then read page by page and judged here, since only
 * the public suffix list knows the registered domain and regular
 * expressions are not portable SQL.
 *
 * @module
 */

import {
  compareText,
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
import { earlier, keysetPages, later, looksRandom, splitName } from "./_dns.ts";

export const aid = "dga_nxdomain";
export const name = "DGA: bursts of failed lookups for random-looking domains";
export const desc =
  "Ranks sources by the most distinct random-looking registered domains " +
  "whose lookups failed (NXDOMAIN in zeek_dns) within any window of " +
  "window_hours, with when that burst began, all such domains of the " +
  "source, all its failed domains and failed lookups, a few examples, and " +
  "first and last seen. Malware with a domain generation algorithm tries " +
  "hundreds of generated names a day until it finds the one its operator " +
  "registered, so most of its lookups fail, and the names look random. A " +
  "registered label (the part before the public suffix, from the list's " +
  "ICANN section: what a registrar sells) of 8 or more characters looks " +
  "random when it has 5 consonants in a row, vowels for under a fifth of " +
  "its letters, or digits for 30 % or more of its characters: cuts at the " +
  "99th (vowels: 1st) percentile of 1,176 benign labels of the test " +
  "datasets, which 4.6 % of them and 66 to 100 % of random labels pass. " +
  "Each domain counts once, at its first failure. Reverse lookups " +
  "(.arpa), punycode and names under suffixes nobody can register " +
  "(.local, single labels such as Chrome's random probes) are left out. " +
  "False positives: DNS resolvers and proxies that forward many clients' " +
  "lookups, ad blockers and sinkholes that answer NXDOMAIN, misconfigured " +
  "search domains, and security tools that probe random names; a DGA " +
  "under a dynamic DNS platform (duckdns.org) is judged by the platform's " +
  "label and missed. Defaults: 100 distinct domains in 24 hours, the " +
  "threshold of Microsoft Sentinel's 'Potential DGA detected' analytic " +
  "(distinct failed second-level domains per client and day).";

export const hypothesis =
  "Malware that finds its command server through a domain generation " +
  "algorithm looks up many generated names, nearly all unregistered, so " +
  "its host collects failed lookups for random-looking domains in bursts " +
  "that no person browsing does.";

export const mitre = ["T1568.002", "T1568", "T1071.004"];

export const falsePositives =
  "DNS resolvers and proxies forwarding many clients, ad blockers and " +
  "sinkholes answering NXDOMAIN, bad search domains, security tools that " +
  "probe random names. A workstation with a burst is the finding.";

export const tables = ["zeek_dns"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_domains: {
    type: "integer",
    default: 100,
    min: 1,
    desc: "distinct random-looking failed domains within one window, at " +
      "least (Microsoft Sentinel's 'Potential DGA detected', 100 a day)",
  },
  window_hours: {
    type: "number",
    default: 24,
    min: 0.01,
    desc: "the length of the sliding window a burst is counted in, in " +
      "hours (a day, as Sentinel counts)",
  },
};

/** Rcode 3 is NXDOMAIN, the name does not exist (RFC 1035). */
const FAILED = "rcode = 3 AND query IS NOT NULL AND id_orig_h IS NOT NULL";

/**
 * Sources with at least as many distinct failed names as the threshold
 * asks of their domains: a source with fewer names cannot have enough
 * domains, and is not read further.
 */
const CANDIDATES = `
SELECT id_orig_h AS source
FROM zeek_dns
WHERE ${FAILED} AND %WINDOW%
GROUP BY id_orig_h
HAVING COUNT(DISTINCT LOWER(query)) >= ?
ORDER BY id_orig_h`;

/** One source's failed names, a page at a time. */
const FAILED_NAMES = `
SELECT name, COUNT(*) AS lookups, MIN(ts) AS first_seen, MAX(ts) AS last_seen
FROM (SELECT LOWER(query) AS name, ts FROM zeek_dns
      WHERE id_orig_h = ? AND ${FAILED} AND %WINDOW%) failures
WHERE %AFTER%
GROUP BY name
ORDER BY name
LIMIT ?`;

const COLUMNS = [
  "source",
  "burst_domains",
  "burst_start",
  "random_domains",
  "failed_domains",
  "failed_lookups",
  "examples",
  "first_seen",
  "last_seen",
];

/** Random-looking domains named in a row as examples. */
const EXAMPLES = 3;

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const window = timeWindow("ts", params);
  const candidates = await connection.query(
    CANDIDATES.replace("%WINDOW%", window.sql),
    [...window.params, params.min_domains],
  );

  const rows: SqlValue[][] = [];
  const sql = FAILED_NAMES.replace("%WINDOW%", window.sql);
  const spanSeconds = Number(params.window_hours) * 3600;
  for (const [source] of candidates.rows) {
    const failures = await failuresOf(connection, sql, [
      source,
      ...window.params,
    ]);
    const row = burstRow(String(source), failures, spanSeconds);
    if (row && Number(row[1]) >= Number(params.min_domains)) rows.push(row);
  }

  rows.sort((a, b) =>
    Number(b[1]) - Number(a[1]) || Number(b[3]) - Number(a[3]) ||
    compareText(String(a[0]), String(b[0]))
  );
  return { columns: COLUMNS, rows: rows.slice(0, Number(params.limit)) };
}

/** A failed registered domain. */
interface Failed {
  first: string;
  last: string;
  random: boolean;
}

/** One source's failed registered domains and lookups. */
interface Failures {
  /** Each failed registered domain, when it first and last failed. */
  domains: Map<string, Failed>;
  /** Failed lookups of every name, whatever its domain. */
  lookups: number;
}

async function failuresOf(
  connection: Connection,
  sql: string,
  params: SqlValue[],
): Promise<Failures> {
  const domains = new Map<string, Failed>();
  let lookups = 0;
  for await (
    const page of keysetPages(connection, sql, {
      keys: ["name"],
      params,
    })
  ) {
    for (const [name, count, first, last] of page) {
      lookups += Number(count);
      const split = splitName(String(name), { platforms: false });
      if (!split) continue;
      const known = domains.get(split.domain);
      domains.set(split.domain, {
        first: earlier(known?.first, String(first)),
        last: later(known?.last, String(last)),
        random: looksRandom(split.label),
      });
    }
  }
  return { domains, lookups };
}

/**
 * A source's row: the largest number of random-looking domains whose
 * first failures fall within one window, found by sliding the window's
 * start over them in time order.
 */
function burstRow(
  source: string,
  failures: Failures,
  spanSeconds: number,
): SqlValue[] | undefined {
  const random = [...failures.domains]
    .filter(([, seen]) => seen.random)
    .map(([domain, seen]) => ({
      domain,
      first: seen.first,
      last: seen.last,
      seconds: timestampSeconds(seen.first),
    }))
    .sort((a, b) => a.seconds - b.seconds || compareText(a.domain, b.domain));
  if (random.length === 0) return undefined;

  let peak = 0;
  let peakStart = 0;
  for (let start = 0, end = 0; start < random.length; start++) {
    while (
      end < random.length &&
      random[end].seconds - random[start].seconds < spanSeconds
    ) end++;
    if (end - start > peak) {
      peak = end - start;
      peakStart = start;
    }
  }

  const examples = random.map((r) => r.domain).sort(compareText)
    .slice(0, EXAMPLES);
  return [
    source,
    peak,
    random[peakStart].first,
    random.length,
    failures.domains.size,
    failures.lookups,
    examples.join(" "),
    random[0].first,
    random.map((r) => r.last).reduce((a, b) => later(a, b)),
  ];
}
