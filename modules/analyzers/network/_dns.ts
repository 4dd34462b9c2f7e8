/**
 * What the DNS analyzers (dns_tunneling, dga_nxdomain) share: a name's
 * registered domain from the public suffix list, the lexical measures of
 * randomness, and reading grouped rows page by page so that memory stays
 * bounded however many names a log holds.
 *
 * @module
 */

import { parse } from "tldts";
import type { Connection, SqlValue } from "../../../engine/types.ts";

/**
 * Names are taken as logged, with any characters a tunnel may use. With
 * the list's private section (github.io, duckdns.org, cloudfront.net),
 * each customer of such a platform owns a domain of its own, as the
 * owner of a name under .com does.
 */
const WITH_PLATFORMS = {
  allowPrivateDomains: true,
  extractHostname: false,
  validateHostname: false,
};

/** The ICANN section alone: what a registrar sells. */
const ICANN_ONLY = { ...WITH_PLATFORMS, allowPrivateDomains: false };

/** A looked-up name split at its registered domain. */
export interface SplitName {
  /** The registered domain: a public suffix and the label before it. */
  domain: string;
  /** That label alone (`example` of `www.example.co.uk`). */
  label: string;
  /** The labels below the registered domain, or "" for the domain itself. */
  subdomain: string;
}

/**
 * A name's registered domain, or undefined when it has none an attacker
 * could own: addresses, names under suffixes the list does not know
 * (`.local`, `.lan`, single labels such as Chrome's random probes) and
 * reverse lookups under `.arpa`. With `platforms` false, the private
 * section of the list is not used: `d1x2y3.cloudfront.net` is then under
 * `cloudfront.net`, not a domain of its own.
 *
 * @example
 * ```ts
 * import { splitName } from "./_dns.ts";
 * const split = splitName("a.b.example.co.uk");
 * if (split?.domain !== "example.co.uk" || split.subdomain !== "a.b") throw 0;
 * if (splitName("printer.local") !== undefined) throw 0;
 * ```
 */
export function splitName(
  name: string,
  options: { platforms?: boolean } = {},
): SplitName | undefined {
  const parsed = parse(
    name,
    options.platforms === false ? ICANN_ONLY : WITH_PLATFORMS,
  );
  if (!parsed.domain || !(parsed.isIcann || parsed.isPrivate)) return;
  if (parsed.domain === "arpa" || parsed.domain.endsWith(".arpa")) return;
  return {
    domain: parsed.domain,
    label: parsed.domainWithoutSuffix ?? "",
    subdomain: parsed.subdomain ?? "",
  };
}

/** Shannon entropy of the characters of `text` other than dots, in bits. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const char of text) {
    if (char === ".") continue;
    counts.set(char, (counts.get(char) ?? 0) + 1);
    total++;
  }
  let bits = 0;
  for (const count of counts.values()) {
    const share = count / total;
    bits -= share * Math.log2(share);
  }
  return bits;
}

/** The lexical measures of a label that tell generated ones apart. */
export interface LabelShape {
  /** The longest run of consonants (y counts as a vowel). */
  consonantRun: number;
  /** Vowels among the letters, 0 without letters. */
  vowelShare: number;
  /** Digits among all characters. */
  digitShare: number;
}

const VOWELS = new Set("aeiouy");

/** Measures a lower-case label. */
export function labelShape(label: string): LabelShape {
  let run = 0;
  let longest = 0;
  let vowels = 0;
  let letters = 0;
  let digits = 0;
  for (const char of label) {
    const letter = char >= "a" && char <= "z";
    if (char >= "0" && char <= "9") digits++;
    if (letter) letters++;
    if (VOWELS.has(char)) vowels++;
    run = letter && !VOWELS.has(char) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return {
    consonantRun: longest,
    vowelShare: letters > 0 ? vowels / letters : 0,
    digitShare: label.length > 0 ? digits / label.length : 0,
  };
}

/**
 * Where a label starts to look generated. Measured on the 1,176 distinct
 * registered labels (ICANN section) of 8 or more characters among the
 * looked-up names and host names of the test datasets (WRCCDC 2018 DNS,
 * RITA's proxy_rolling browsing, the Stratosphere and OTRF captures):
 * the cuts sit at or just past the 99th percentile of their consonant
 * runs (5) and digit shares (0.25) and the 1st of their vowel shares
 * (0.167), and 4.6 % of these benign labels pass one of the three. Of 10,000 random
 * labels each, 66 % of a-z ones of 8 to 16 letters pass, all hex ones of
 * 16 to 32 characters and 73 % of alphanumeric ones of 8 to 20. The
 * measures are the classic lexical features of DGA detection (Yadav et
 * al., IMC 2010; Antonakakis et al., Pleiades, USENIX Security 2012;
 * Schüppen et al., FANCI, USENIX Security 2018).
 */
export const RANDOM_LABEL = {
  /** Shorter labels are too short to judge. */
  minLength: 8,
  /** Benign labels rarely hold five consonants in a row (crwdcntrl does). */
  consonantRun: 5,
  /** Fewer vowels than this share of the letters. */
  vowelShare: 0.2,
  /** At least this share of digits. */
  digitShare: 0.3,
};

/**
 * Whether a registered label looks machine-generated. Punycode labels
 * (`xn--`) are left out: encoded scripts look random and are not.
 *
 * @example
 * ```ts
 * import { looksRandom } from "./_dns.ts";
 * if (!looksRandom("xkqzvbtwhr") || looksRandom("wikipedia")) throw 0;
 * ```
 */
export function looksRandom(label: string): boolean {
  if (label.length < RANDOM_LABEL.minLength || label.startsWith("xn--")) {
    return false;
  }
  const shape = labelShape(label);
  return shape.consonantRun >= RANDOM_LABEL.consonantRun ||
    shape.vowelShare < RANDOM_LABEL.vowelShare ||
    shape.digitShare >= RANDOM_LABEL.digitShare;
}

/** The earlier of two time stamps, the first possibly unset. */
export function earlier(a: string | undefined, b: string): string {
  return a === undefined || b < a ? b : a;
}

/** The later of two time stamps, the first possibly unset. */
export function later(a: string | undefined, b: string): string {
  return a === undefined || b > a ? b : a;
}

/** A LIKE pattern, with `!` as its escape, for names under `domain`. */
export function namesUnder(domain: string): string {
  return `%.${domain.replace(/[!%_]/g, (char) => `!${char}`)}`;
}

/** Rows of grouped names per page: a few megabytes of text at most. */
export const PAGE_ROWS = 50_000;

/**
 * Runs a grouped query page after page, in the order of its keys, and
 * yields each page's rows. `sql` must end with `ORDER BY` its key columns
 * and `LIMIT ?`, and hold `%AFTER%` in a WHERE clause after every other
 * placeholder: it becomes the condition for rows past the last page's
 * last key. The key columns are the first of each row.
 */
export async function* keysetPages(
  connection: Connection,
  sql: string,
  options: { keys: string[]; params: SqlValue[]; pageRows?: number },
): AsyncGenerator<SqlValue[][]> {
  const pageRows = options.pageRows ?? PAGE_ROWS;
  let last: SqlValue[] | undefined;
  while (true) {
    const after = last === undefined
      ? { sql: "1 = 1", params: [] }
      : keysAfter(options.keys, last);
    const found = await connection.query(
      sql.replace("%AFTER%", after.sql),
      [...options.params, ...after.params, pageRows],
    );
    if (found.rows.length > 0) yield found.rows;
    if (found.rows.length < pageRows) return;
    last = found.rows.at(-1)!.slice(0, options.keys.length);
  }
}

/** `(k1 > ?) OR (k1 = ? AND k2 > ?) OR ...` for keys after `values`. */
function keysAfter(
  keys: string[],
  values: SqlValue[],
): { sql: string; params: SqlValue[] } {
  const terms: string[] = [];
  const params: SqlValue[] = [];
  for (let i = 0; i < keys.length; i++) {
    const equal = keys.slice(0, i).map((key) => `${key} = ?`);
    terms.push([...equal, `${keys[i]} > ?`].join(" AND "));
    params.push(...values.slice(0, i), values[i]);
  }
  return { sql: `(${terms.map((t) => `(${t})`).join(" OR ")})`, params };
}
