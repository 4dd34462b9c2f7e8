/**
 * Beacons: sources that check in with a destination at a steady rhythm,
 * scored from 0 to 1 the way RITA scores them (see `_beacon_score.ts`).
 *
 * Pairs come from three places, each scored on its own:
 *
 * - `zeek_http/ssl`: a source and a host name, from the HTTP Host header or
 *   proxy CONNECT target (zeek_http) and the TLS server name (zeek_ssl).
 *   Through a proxy this is the only place the real destination shows. A
 *   connection (Zeek uid) counts once per name even when both logs have a
 *   row for it, as a CONNECT followed by TLS inside the tunnel does, and
 *   takes its start time and bytes sent from its zeek_conn row.
 * - `zeek_conn`: address pairs, from the connections that neither log
 *   names, so that a named connection is not scored a second time under
 *   the proxy's address.
 * - `squid`: a client and host from a proxy's own log, started at the
 *   logged end time less the duration. Kept apart from Zeek's pairs: a
 *   proxy logged by both would otherwise count every request twice.
 *
 * SQL counts the connections of every pair and keeps those with enough;
 * that list (one short row a pair) is held, largest first, and the
 * connections themselves are fetched a page of pairs at a time, each page
 * a set of index lookups, and scored in TypeScript. Pairs too small to
 * outrank the rows already kept are never fetched.
 *
 * @module
 */

import { timestampSeconds, timeWindow } from "../../../engine/analysis.ts";
import { LIMIT, SINCE, UNTIL } from "../../../engine/params.ts";
import type {
  Connection,
  Dialect,
  Params,
  ParamSpecs,
  Result,
  SqlValue,
} from "../../../engine/types.ts";
import {
  BEACON_DEFAULTS,
  type BeaconWindow,
  binCount,
  scoreBeacon,
  scoreCeiling,
} from "./_beacon_score.ts";
import {
  dataSpan,
  indexedEquals,
  isRankable,
  pairCondition,
  rankBy,
  SEEN_IN,
  type Timed,
  TopRows,
} from "./_pairs.ts";

export const aid = "beacons";
export const name = "Beacons: regular check-ins from a source to a destination";
export const desc =
  "Scores each source and destination pair (an address pair from " +
  "zeek_conn, a source and host name from zeek_http Host or CONNECT and " +
  "zeek_ssl SNI, or a squid client and host) from 0 to 1 for how much it " +
  "looks like malware calling home on a timer, as RITA does: regular gaps " +
  "between connections (Bowley skew and median absolute deviation of the " +
  "gaps), regular bytes sent (Zeek's orig_ip_bytes; squid's request size, " +
  "else its reply size), how much of the window the pair spans or how " +
  "long it keeps going hour after hour, and how flat its histogram of " +
  "connections per hour is; the score is the mean of the four parts. The " +
  "window is the span of the data inside since and until. A Zeek " +
  "connection counts once: under its name when HTTP or TLS names it (a " +
  "proxy CONNECT and the TLS inside it are one), else under its " +
  "addresses; squid's pairs are kept apart from Zeek's, since a proxy " +
  "seen by both would count each request twice. Implants poll their " +
  "command server like this, and jitter only blurs it. False positives: " +
  "software updaters, telemetry, NTP, mail and chat clients, monitoring " +
  "agents and internal services (DNS resolvers, domain controllers) also " +
  "keep time; look for rare destinations. Defaults are RITA's: pairs with " +
  "fewer than 4 distinct connection seconds are skipped, as are pairs at " +
  "a strobe's rate (86,400 a day); skew is ignored below a quartile " +
  "spread of 10; the histogram has 24 bins (one an hour for a window " +
  "beyond a day), duration counts from 6 busy bins and scores 1 for 12 in " +
  "a row, the two-level fit needs 11 busy bins, buckets bars by 5 % of " +
  "the tallest and drops 1 outlier; loopback, link-local, multicast and " +
  "broadcast addresses are left out, as RITA always does.";

export const hypothesis =
  "An implant polls its command server at a fixed interval, with small " +
  "and similar requests, for as long as the host is up, so its " +
  "connections are more regular in time and size than a person's.";

export const mitre = ["T1071", "T1071.001", "T1573", "T1090"];

export const falsePositives =
  "Software updaters, telemetry and push services, NTP, mail and chat " +
  "clients polling, monitoring agents, and internal services such as DNS " +
  "resolvers and domain controllers. Rare destinations, bare addresses " +
  "and young domains deserve the first look.";

export const tables = ["zeek_conn", "zeek_http", "zeek_ssl", "squid"];

export const params: ParamSpecs = {
  since: SINCE,
  until: UNTIL,
  limit: LIMIT,
  min_connections: {
    type: "integer",
    default: BEACON_DEFAULTS.minDistinctSeconds,
    min: BEACON_DEFAULTS.minDistinctSeconds,
    desc: "skip pairs with fewer distinct connection seconds than this " +
      "(RITA's unique connection threshold, 4)",
  },
};

/** Rows fetched per page of candidate pairs, to keep memory bounded. */
const PAGE_ROWS = 50_000;
/** Pairs per page: each is two bound values in the page's condition. */
const PAGE_PAIRS = 1_000;

const COLUMNS = [
  "source",
  "destination",
  "seen_in",
  "connections",
  "score",
  "ts_score",
  "size_score",
  "duration_score",
  "histogram_score",
  "median_gap_s",
  "first_seen",
  "last_seen",
];

/** Where the score is in a result row. */
const SCORE = COLUMNS.indexOf("score");

/** Score, then connections, largest first; then the pair, in byte order. */
const RANKING = rankBy([SCORE, COLUMNS.indexOf("connections")], [0, 1, 2]);

/** One connection of a pair, as a page query returns it. */
interface Sample {
  /** The start, whole seconds. */
  second: number;
  /** Bytes the source sent, when known. */
  bytes: number | null;
  /** The time stamp as stored, for first_seen and last_seen. */
  seen: string;
}

/** The connections of one pair, gathered from a page. */
interface Series {
  source: string;
  destination: string;
  samples: Sample[];
}

/** One place pairs come from: its candidate query and its page query. */
interface PairSource {
  seenIn: string;
  /** Pairs worth fetching: source, destination, connections. */
  candidates(minimum: number, maximum: number): Statement;
  /** The connections of a page of pairs, as source, destination, Sample. */
  page(pairs: [string, string][]): Statement;
  /** Turns a page row into its pair and sample. */
  sample(row: SqlValue[]): Sample;
}

interface Statement {
  sql: string;
  params: SqlValue[];
}

// Address pairs: the connections that no HTTP or TLS row names. The
// %UNNAMED% conditions are added only for the tables this database has.
const CONN_CANDIDATES = `
SELECT c.id_orig_h, c.id_resp_h, COUNT(*) AS connections
FROM zeek_conn c
WHERE %WINDOW% %UNNAMED%
GROUP BY c.id_orig_h, c.id_resp_h
HAVING COUNT(*) >= ? AND COUNT(*) < ?`;

const CONN_PAGE = `
SELECT c.id_orig_h, c.id_resp_h, c.ts, c.orig_ip_bytes
FROM zeek_conn c
WHERE %WINDOW% AND (%PAIRS%) %UNNAMED%`;

const UNNAMED_BY_HTTP = `AND NOT EXISTS (SELECT 1 FROM zeek_http h
  WHERE %SAME_UID% AND h.host IS NOT NULL AND h.host <> '')`;
const UNNAMED_BY_SSL = `AND NOT EXISTS (SELECT 1 FROM zeek_ssl h
  WHERE %SAME_UID% AND h.server_name IS NOT NULL AND h.server_name <> '')`;

// Named connections: one row per connection and name. A row without a uid
// stands for itself (keyed by its time stamp).
const NAMED_HTTP = `
SELECT COALESCE(uid, CONCAT('~', ts)) AS connection, uid,
       id_orig_h AS source, LOWER(host) AS destination, ts
FROM zeek_http
WHERE host IS NOT NULL AND host <> '' AND %WINDOW% %PAIRS%`;

const NAMED_SSL = `
SELECT COALESCE(uid, CONCAT('~', ts)) AS connection, uid,
       id_orig_h AS source, LOWER(server_name) AS destination, ts
FROM zeek_ssl
WHERE server_name IS NOT NULL AND server_name <> '' AND %WINDOW%
  %PAIRS%`;

const NAMED_CANDIDATES = `
SELECT n.source, n.destination, COUNT(*) AS connections
FROM (SELECT DISTINCT connection, source, destination FROM (%NAMED%) u) n
GROUP BY n.source, n.destination
HAVING COUNT(*) >= ? AND COUNT(*) < ?`;

const NAMED_PAGE_WITH_CONN = `
SELECT n.source, n.destination, MIN(n.ts) AS ts, MIN(c.ts) AS conn_ts,
       MIN(c.orig_ip_bytes) AS bytes
FROM (%NAMED%) n LEFT JOIN zeek_conn c ON %SAME_UID%
GROUP BY n.connection, n.source, n.destination`;

const NAMED_PAGE = `
SELECT n.source, n.destination, MIN(n.ts) AS ts
FROM (%NAMED%) n
GROUP BY n.connection, n.source, n.destination`;

const SQUID_CANDIDATES = `
SELECT client_ip, host, COUNT(*) AS connections
FROM squid
WHERE %WINDOW%
GROUP BY client_ip, host
HAVING COUNT(*) >= ? AND COUNT(*) < ?`;

// The bytes a client sent: the request size of Squid's extended format,
// else the reply size, the only size the native format logs.
const SQUID_PAGE = `
SELECT client_ip, host, time, duration_ms,
       COALESCE(request_size, reply_size) AS bytes
FROM squid
WHERE %WINDOW% AND (%PAIRS%)`;

function whole(text: SqlValue): number {
  return Math.floor(timestampSeconds(String(text)));
}

function bytesOf(value: SqlValue): number | null {
  return value === null ? null : Number(value);
}

function connSource(
  dialect: Dialect,
  params: Params,
  unnamed: string,
): PairSource {
  const window = timeWindow("c.ts", params);
  const columns = {
    source: "c.id_orig_h",
    destination: "c.id_resp_h",
    indexed: true,
  };
  return {
    seenIn: SEEN_IN.conn,
    candidates: (minimum, maximum) => ({
      sql: CONN_CANDIDATES.replace("%WINDOW%", window.sql)
        .replace("%UNNAMED%", unnamed),
      params: [...window.params, minimum, maximum],
    }),
    page(pairs) {
      const pick = pairCondition(dialect, columns, pairs);
      return {
        sql: CONN_PAGE.replace("%WINDOW%", window.sql)
          .replace("%PAIRS%", pick.sql).replace("%UNNAMED%", unnamed),
        params: [...window.params, ...pick.params],
      };
    },
    sample: (row) => ({
      second: whole(row[2]),
      bytes: bytesOf(row[3]),
      seen: String(row[2]),
    }),
  };
}

function namedSource(
  dialect: Dialect,
  params: Params,
  sources: { http: boolean; ssl: boolean; conn: boolean },
): PairSource {
  const window = timeWindow("ts", params);
  const named = (pairs?: [string, string][]) => {
    const parts: string[] = [];
    const values: SqlValue[] = [];
    const add = (sql: string, nameColumn: string) => {
      const pick = pairs && pairCondition(dialect, {
        source: "id_orig_h",
        destination: nameColumn,
        indexed: false,
      }, pairs);
      parts.push(
        sql.replace("%WINDOW%", window.sql)
          .replace("%PAIRS%", pick ? `AND (${pick.sql})` : ""),
      );
      values.push(...window.params, ...pick?.params ?? []);
    };
    if (sources.http) add(NAMED_HTTP, "LOWER(host)");
    if (sources.ssl) add(NAMED_SSL, "LOWER(server_name)");
    return { sql: parts.join(" UNION ALL "), params: values };
  };
  return {
    seenIn: SEEN_IN.names,
    candidates(minimum, maximum) {
      const union = named();
      return {
        sql: NAMED_CANDIDATES.replace("%NAMED%", union.sql),
        params: [...union.params, minimum, maximum],
      };
    },
    page(pairs) {
      const union = named(pairs);
      const sql = sources.conn
        ? NAMED_PAGE_WITH_CONN.replace(
          "%SAME_UID%",
          indexedEquals(dialect, "c.uid", "n.uid"),
        )
        : NAMED_PAGE;
      return { sql: sql.replace("%NAMED%", union.sql), params: union.params };
    },
    sample(row) {
      // The zeek_conn row's start and size, as RITA links them by uid.
      const seen = String(row[3] ?? row[2]);
      return {
        second: whole(seen),
        bytes: bytesOf(row[4] ?? null),
        seen,
      };
    },
  };
}

function squidSource(dialect: Dialect, params: Params): PairSource {
  const window = timeWindow("time", params);
  const columns = { source: "client_ip", destination: "host", indexed: true };
  return {
    seenIn: SEEN_IN.squid,
    candidates: (minimum, maximum) => ({
      sql: SQUID_CANDIDATES.replace("%WINDOW%", window.sql),
      params: [...window.params, minimum, maximum],
    }),
    page(pairs) {
      const pick = pairCondition(dialect, columns, pairs);
      return {
        sql: SQUID_PAGE.replace("%WINDOW%", window.sql)
          .replace("%PAIRS%", pick.sql),
        params: [...window.params, ...pick.params],
      };
    },
    sample(row) {
      // Squid logs a request when it ends: a tunnel's start is the beat.
      const endMs = Math.round(timestampSeconds(String(row[2])) * 1000);
      const startMs = endMs - Number(row[3] ?? 0);
      return {
        second: Math.floor(startMs / 1000),
        bytes: bytesOf(row[4]),
        seen: String(row[2]),
      };
    },
  };
}

/** The places this database has pairs in, and the tables that time them. */
async function sourcesOf(
  connection: Connection,
  params: Params,
): Promise<{ sources: PairSource[]; timed: Timed[] }> {
  const dialect = connection.dialect;
  const [conn, http, ssl, squid] = await Promise.all(
    tables.map((table) => connection.hasTable(table)),
  );
  const sources: PairSource[] = [];
  const timed: Timed[] = [];
  if (http || ssl) {
    sources.push(namedSource(dialect, params, { http, ssl, conn }));
  }
  if (conn) {
    const unnamed = [http ? UNNAMED_BY_HTTP : "", ssl ? UNNAMED_BY_SSL : ""]
      .join(" ").replaceAll(
        "%SAME_UID%",
        indexedEquals(dialect, "h.uid", "c.uid"),
      );
    sources.push(connSource(dialect, params, unnamed));
    timed.push({ table: "zeek_conn", time: "ts" });
  }
  if (http) timed.push({ table: "zeek_http", time: "ts" });
  if (ssl) timed.push({ table: "zeek_ssl", time: "ts" });
  if (squid) {
    sources.push(squidSource(dialect, params));
    timed.push({ table: "squid", time: "time" });
  }
  return { sources, timed };
}

/**
 * Splits candidates, largest first, into pages of at most PAGE_ROWS rows
 * or PAGE_PAIRS pairs, and stops where `worthless(connections)` says no
 * smaller pair can rank. Lazy: each page is asked for after the previous
 * one was scored, so the test sees the best rows found so far.
 */
function* pagesOf(
  candidates: SqlValue[][],
  worthless: (connections: number) => boolean,
): Generator<[string, string][]> {
  let page: [string, string][] = [];
  let rows = 0;
  for (const [source, destination, connections] of candidates) {
    const count = Number(connections);
    const full = rows + count > PAGE_ROWS || page.length >= PAGE_PAIRS;
    if (page.length > 0 && full) {
      yield page;
      page = [];
      rows = 0;
    }
    if (worthless(count)) break;
    page.push([String(source), String(destination)]);
    rows += count;
  }
  if (page.length > 0) yield page;
}

/** Scores every candidate pair of one source and offers it to `top`. */
async function scoreSource(
  connection: Connection,
  source: PairSource,
  limits: { minimum: number; maximum: number; window: BeaconWindow },
  top: TopRows,
): Promise<void> {
  const wanted = source.candidates(limits.minimum, limits.maximum);
  const candidates = (await connection.query(wanted.sql, wanted.params))
    .rows.filter(isRankable)
    .sort((a, b) => Number(b[2]) - Number(a[2]));
  // Largest first: once the rows kept all score above what a pair of this
  // size could reach, no smaller pair is worth fetching.
  const bins = binCount(limits.window);
  const worthless = (connections: number) => {
    const bar = top.bar();
    return bar !== undefined &&
      scoreCeiling(connections, bins) < Number(bar[SCORE]);
  };
  for (const page of pagesOf(candidates, worthless)) {
    const statement = source.page(page);
    const found = await connection.query(statement.sql, statement.params);
    const series = new Map<string, Series>();
    for (const row of found.rows) {
      const key = JSON.stringify([row[0], row[1]]);
      let pair = series.get(key);
      if (!pair) {
        pair = {
          source: String(row[0]),
          destination: String(row[1]),
          samples: [],
        };
        series.set(key, pair);
      }
      pair.samples.push(source.sample(row));
    }
    for (const pair of series.values()) {
      const row = scorePair(pair, source.seenIn, limits);
      if (row) top.add(row);
    }
  }
}

/** One result row for a pair, or undefined when it is not scored. */
function scorePair(
  { source, destination, samples }: Series,
  seenIn: string,
  limits: { minimum: number; window: BeaconWindow },
): SqlValue[] | undefined {
  const seconds = Float64Array.from(samples, (s) => s.second);
  if (new Set(seconds).size < limits.minimum) return undefined;
  const sizes = Float64Array.from(
    samples.filter((s) => s.bytes !== null),
    (s) => s.bytes!,
  );
  const beacon = scoreBeacon(seconds, sizes, limits.window);
  if (!beacon) return undefined;

  let first = samples[0].seen;
  let last = first;
  for (const { seen } of samples) {
    if (seen < first) first = seen;
    if (seen > last) last = seen;
  }
  return [
    source,
    destination,
    seenIn,
    samples.length,
    beacon.score,
    beacon.ts,
    beacon.size,
    beacon.duration,
    beacon.histogram,
    beacon.medianGap,
    first,
    last,
  ];
}

export async function launch(
  connection: Connection,
  params: Params,
): Promise<Result> {
  const { sources, timed } = await sourcesOf(connection, params);
  const top = new TopRows(Number(params.limit), RANKING);
  const window = await dataSpan(connection, timed, params);
  if (!window) return { columns: COLUMNS, rows: [] };

  // A pair at a strobe's rate is left to the strobes analyzer, as RITA
  // does: one connection a second over a day, or more over a longer window.
  const days = Math.max(1, (window.end - window.start) / 86_400);
  const limits = {
    minimum: Number(params.min_connections),
    maximum: Math.ceil(BEACON_DEFAULTS.strobePerDay * days),
    window,
  };
  for (const source of sources) {
    await scoreSource(connection, source, limits, top);
  }
  return { columns: COLUMNS, rows: top.rows() };
}
