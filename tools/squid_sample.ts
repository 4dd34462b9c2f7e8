/**
 * A deterministic generator of Squid access logs with planted anomalies.
 *
 * The sample imitates an office of workstations behind a forward proxy: busy
 * from 08 to 18 UTC on weekdays, quiet at night and at weekends, most
 * traffic HTTPS through `CONNECT` tunnels, plain HTTP left to certificate
 * checks, software updates, connectivity probes and a few legacy sites.
 * Three attacks are planted in it; {@linkcode PLANTED} says exactly where, so
 * that analyzers can be tested against a known answer and demonstrated on
 * data that looks like a real proxy's.
 *
 * Everything comes from the options: the same options always give the same
 * bytes, and nothing reads the clock or `Math.random`.
 *
 * Run as a program, it writes one file per day:
 *
 * ```sh
 * deno run -A tools/squid_sample.ts --out demo-data --days 3
 * ```
 *
 * @example Count the beacon's hits in a one-day sample
 * ```ts
 * import assert from "node:assert/strict";
 * import { PLANTED, squidSample } from "./squid_sample.ts";
 *
 * const beacon = ` http://${PLANTED.ipBeacon.host}/`;
 * let hits = 0;
 * for (const line of squidSample({ days: 1, clients: 10 })) {
 *   if (line.includes(beacon)) hits++;
 * }
 * assert.equal(hits, PLANTED.ipBeacon.hitsPerDay);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";

/** The two line layouts Squid is commonly configured with. */
export type SampleFormat = "extended" | "native";

/** What to generate. Every field is optional. */
export interface SampleOptions {
  /** Seeds the pseudo-random generator. Default `1`. */
  seed?: number;
  /** The first day, a UTC midnight. Default `2026-11-02T00:00:00Z`. */
  start?: Date;
  /** How many 24-hour days to cover. Default `3`. */
  days?: number;
  /**
   * How many workstations browse through the proxy, the three planted hosts
   * included. Default `60`.
   */
  clients?: number;
  /**
   * `extended` logs the request size after the reply size; `native` is
   * Squid's default `squid` logformat, without it. Default `extended`.
   */
  format?: SampleFormat;
}

const DEFAULTS = {
  seed: 1,
  start: new Date("2026-11-02T00:00:00Z"),
  days: 3,
  clients: 60,
  format: "extended" as SampleFormat,
};

const MAX_CLIENTS = 10_000;
const MAX_DAYS = 366;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The ground truth: the three attacks planted in every sample.
 *
 * Times are UTC and relative to a day of the sample; an entry for `day` d
 * lands on day `d % days`, so a shorter sample still holds all of them.
 * Sizes are bytes, durations milliseconds. The log line of a connection is
 * written when it ends, as Squid does, at `start` plus `durationMs`.
 */
export const PLANTED = {
  /**
   * An implant polling its command server by bare IP address over plain
   * HTTP: one GET per 5-minute slot, at a random point within 30 seconds
   * of the slot's middle, day and night.
   */
  ipBeacon: {
    client: "10.20.7.66",
    host: "203.0.113.45",
    port: 80,
    method: "GET",
    paths: ["/ca", "/dpixel", "/submit.php"],
    intervalSeconds: 300,
    jitterSeconds: 30,
    hitsPerDay: 288,
    /** Hits over the default 3 days; `hitsPerDay * days` in general. */
    count: 864,
  },
  /**
   * Large uploads at night through HTTPS tunnels to a file-sharing look-alike.
   * Through a proxy an upload over HTTPS is a `CONNECT` whose request size
   * is what the client sent through the tunnel.
   */
  exfil: {
    client: "10.20.7.77",
    host: "files.sharebox-cdn.net",
    port: 443,
    method: "CONNECT",
    serverIp: "192.0.2.140",
    count: 6,
    uploads: [
      {
        day: 0,
        start: "01:12:40",
        requestBytes: 187_413_502,
        replyBytes: 6_841,
        durationMs: 17_842,
      },
      {
        day: 0,
        start: "03:47:05",
        requestBytes: 356_920_118,
        replyBytes: 9_120,
        durationMs: 31_507,
      },
      {
        day: 1,
        start: "00:38:19",
        requestBytes: 512_004_877,
        replyBytes: 12_877,
        durationMs: 48_213,
      },
      {
        day: 1,
        start: "02:56:51",
        requestBytes: 243_781_960,
        replyBytes: 7_356,
        durationMs: 21_096,
      },
      {
        day: 2,
        start: "04:21:33",
        requestBytes: 798_345_221,
        replyBytes: 15_902,
        durationMs: 71_930,
      },
      {
        day: 2,
        start: "23:14:08",
        requestBytes: 634_118_043,
        replyBytes: 13_448,
        durationMs: 55_402,
      },
    ],
  },
  /**
   * An interactive session (a reverse shell or remote desktop) held open
   * for hours in a tunnel to a bare IP address.
   */
  longTunnel: {
    client: "10.20.7.88",
    host: "198.51.100.23",
    port: 443,
    method: "CONNECT",
    count: 4,
    tunnels: [
      {
        day: 0,
        start: "00:47:12",
        requestBytes: 2_184_330,
        replyBytes: 14_920_617,
        durationMs: 18_753_418,
      },
      {
        day: 0,
        start: "18:15:30",
        requestBytes: 3_902_114,
        replyBytes: 21_477_205,
        durationMs: 19_800_731,
      },
      {
        day: 1,
        start: "09:03:55",
        requestBytes: 8_713_659,
        replyBytes: 47_331_090,
        durationMs: 42_067_250,
      },
      {
        day: 2,
        start: "13:20:09",
        requestBytes: 1_406_772,
        replyBytes: 9_845_513,
        durationMs: 16_011_902,
      },
    ],
  },
} as const;

/**
 * Yields the sample's log lines, without line ends, in the order Squid
 * writes them: by the time each transaction ended.
 *
 * @example Fields of the first line, native and extended
 * ```ts
 * import assert from "node:assert/strict";
 * import { squidSample } from "./squid_sample.ts";
 *
 * const [native] = squidSample({ days: 1, format: "native" });
 * const [extended] = squidSample({ days: 1 });
 * assert.equal(native.split(/ +/).length, 10);
 * assert.equal(extended.split(/ +/).length, 11);
 * ```
 */
export function* squidSample(options: SampleOptions = {}): Generator<string> {
  const resolved = resolveOptions(options);
  for (const entry of sampleEntries(resolved)) {
    yield formatLine(entry, resolved.format);
  }
}

/**
 * Writes the sample into `dir`, one file per day named after its UTC date
 * (`access-2026-11-02.log`), and returns the paths in date order. The
 * folder is created if needed; files of the same name are replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeSample } from "./squid_sample.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const paths = await writeSample(dir, { days: 2, clients: 10 });
 * assert.deepEqual(paths.map((path) => path.slice(dir.length + 1)), [
 *   "access-2026-11-02.log",
 *   "access-2026-11-03.log",
 * ]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSample(
  dir: string,
  options: SampleOptions = {},
): Promise<string[]> {
  const resolved = resolveOptions(options);
  await Deno.mkdir(dir, { recursive: true });

  // Every day gets a file, even an empty one, so that callers can count on
  // one path per day.
  const days: string[][] = Array.from({ length: resolved.days }, () => []);
  for (const entry of sampleEntries(resolved)) {
    const day = Math.floor((entry.endMs - resolved.startMs) / DAY);
    days[day].push(formatLine(entry, resolved.format));
  }

  const paths: string[] = [];
  for (const [day, lines] of days.entries()) {
    const date = new Date(resolved.startMs + day * DAY);
    const path = join(dir, `access-${date.toISOString().slice(0, 10)}.log`);
    await Deno.writeTextFile(path, lines.length ? lines.join("\n") + "\n" : "");
    paths.push(path);
  }
  return paths;
}

// ---------------------------------------------------------------------------
// Options

interface Resolved {
  seed: number;
  startMs: number;
  days: number;
  clients: number;
  format: SampleFormat;
}

const CANNOT = "Cannot generate a Squid sample";

/** Applies the defaults and checks every option, in one place. */
function resolveOptions(options: SampleOptions): Resolved {
  const seed = options.seed ?? DEFAULTS.seed;
  const start = options.start ?? DEFAULTS.start;
  const days = options.days ?? DEFAULTS.days;
  const clients = options.clients ?? DEFAULTS.clients;
  const format = options.format ?? DEFAULTS.format;

  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${CANNOT}: seed must be an integer, got ${seed}`);
  }
  const startMs = start.getTime();
  if (Number.isNaN(startMs) || startMs % DAY !== 0) {
    throw new RangeError(
      `${CANNOT}: start must be a UTC midnight such as ` +
        `2026-11-02T00:00:00Z (each file holds one whole day), got ${start}`,
    );
  }
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new RangeError(
      `${CANNOT}: days must be an integer from 1 to ${MAX_DAYS}, got ${days}`,
    );
  }
  if (!Number.isInteger(clients) || clients < 3 || clients > MAX_CLIENTS) {
    throw new RangeError(
      `${CANNOT}: clients must be an integer from 3 (the planted hosts) ` +
        `to ${MAX_CLIENTS}, got ${clients}`,
    );
  }
  if (format !== "extended" && format !== "native") {
    throw new RangeError(
      `${CANNOT}: format must be "extended" or "native", got "${format}"`,
    );
  }
  return { seed: seed >>> 0, startMs, days, clients, format };
}

// ---------------------------------------------------------------------------
// Log entries and their two layouts

/** One transaction, with the fields Squid logs for it. */
interface Entry {
  endMs: number;
  durationMs: number;
  clientIp: string;
  cacheResult: string;
  status: number;
  replyBytes: number;
  requestBytes: number;
  method: string;
  url: string;
  user: string;
  hierarchy: string;
  peer: string;
  contentType: string;
}

/**
 * `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st [%>st] %rm %ru %[un %Sh/%<a %mt`.
 * `%6tr` pads the duration with spaces to six characters, the one place a
 * Squid line holds more than one space in a row.
 */
function formatLine(entry: Entry, format: SampleFormat): string {
  const seconds = Math.floor(entry.endMs / SECOND);
  const millis = String(entry.endMs % SECOND).padStart(3, "0");
  const status = String(entry.status).padStart(3, "0");
  const sizes = format === "extended"
    ? `${entry.replyBytes} ${entry.requestBytes}`
    : `${entry.replyBytes}`;
  return `${seconds}.${millis} ${String(entry.durationMs).padStart(6)} ` +
    `${entry.clientIp} ${entry.cacheResult}/${status} ${sizes} ` +
    `${entry.method} ${entry.url} ${entry.user} ` +
    `${entry.hierarchy}/${entry.peer} ${entry.contentType}`;
}

/**
 * All entries in the order they end. Each day is generated whole and
 * sorted; a transaction still open at midnight is carried into the next
 * day's batch, and one still open when the sample ends is dropped, as it
 * would be logged after the last file was closed.
 */
function* sampleEntries(resolved: Resolved): Generator<Entry> {
  const rng = new Random(resolved.seed);
  const clients = makeClients(rng, resolved.clients);

  let carried: Entry[] = [];
  for (let day = 0; day < resolved.days; day++) {
    const dayStart = resolved.startMs + day * DAY;
    const log = new DayLog(rng, dayStart);
    simulateDay(log, { clients, day, days: resolved.days });

    const entries = carried.concat(log.entries);
    entries.sort((a, b) => a.endMs - b.endMs);
    const nextDay = dayStart + DAY;
    carried = entries.filter((entry) => entry.endMs >= nextDay);
    for (const entry of entries) {
      if (entry.endMs < nextDay) yield entry;
    }
  }
}

// ---------------------------------------------------------------------------
// Pseudo-random numbers

/**
 * mulberry32: 32 bits of state, fast and good enough for synthetic data.
 * The sequence depends on nothing but the seed, which is the point.
 */
class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A standard normal deviate (Box-Muller; `1 - u` keeps log away from 0). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /**
   * Sizes and durations on the web are roughly log-normal: most are near
   * the median, a few are orders of magnitude larger.
   */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /**
   * A log-normal draw within [min, max], rounded. A draw outside is drawn
   * again rather than clamped, so that no value piles up at a bound.
   */
  logNormalIn(
    median: number,
    spread: { sigma: number; min: number; max: number },
  ): number {
    for (let attempt = 0; attempt < 100; attempt++) {
      const value = this.logNormal(median, spread.sigma);
      if (value >= spread.min && value <= spread.max) return Math.round(value);
    }
    return clamp(median, spread.min, spread.max);
  }

  /** Waiting time of a Poisson process with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  hex(length: number): string {
    let text = "";
    for (let i = 0; i < length; i++) text += HEX[this.int(0, 15)];
    return text;
  }

  base64(length: number): string {
    let text = "";
    for (let i = 0; i < length; i++) text += BASE64[this.int(0, 63)];
    return text;
  }
}

const HEX = "0123456789abcdef";
const BASE64 =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Picks items with the given weights; the table is built once. */
class Weighted<T> {
  readonly items: readonly T[];
  #cumulative: number[] = [];
  #total = 0;

  constructor(items: readonly T[], weights: readonly number[]) {
    this.items = items;
    for (const weight of weights) {
      this.#total += weight;
      this.#cumulative.push(this.#total);
    }
  }

  pick(rng: Random): T {
    const target = rng.next() * this.#total;
    const index = this.#cumulative.findIndex((sum) => target < sum);
    return this.items[index === -1 ? this.items.length - 1 : index];
  }
}

/**
 * A few sites of a kind get most of the visits: the i-th is weighted
 * 1 / (i + 1), Zipf's law, which fits web popularity well.
 */
function zipf(hosts: readonly string[]): Weighted<string> {
  return new Weighted(hosts, hosts.map((_, i) => 1 / (i + 1)));
}

function clamp(value: number, low: number, high: number): number {
  return Math.round(Math.min(high, Math.max(low, value)));
}

// ---------------------------------------------------------------------------
// The web the office visits over HTTPS, most popular first in each kind.

const HTTPS_SITES = {
  search: "www.google.com www.bing.com duckduckgo.com www.ecosia.org " +
    "search.brave.com",
  mail: "outlook.office365.com mail.google.com outlook.live.com " +
    "mail.yahoo.com mail.proton.me",
  saas: "teams.microsoft.com acmecorp.sharepoint.com " +
    "acmecorp-my.sharepoint.com www.office.com app.slack.com zoom.us " +
    "docs.google.com drive.google.com calendar.google.com www.notion.so " +
    "app.asana.com trello.com acmecorp.atlassian.net www.dropbox.com " +
    "app.box.com acmecorp.my.salesforce.com login.salesforce.com " +
    "www.figma.com app.hubspot.com miro.com www.canva.com " +
    "app.smartsheet.com wd5.myworkday.com acmecorp.zendesk.com " +
    "www.docusign.net chatgpt.com www.deepl.com translate.google.com",
  news: "www.bbc.co.uk www.nytimes.com www.theguardian.com www.reuters.com " +
    "edition.cnn.com apnews.com www.bloomberg.com www.ft.com " +
    "www.washingtonpost.com www.wsj.com www.economist.com www.npr.org " +
    "www.cnbc.com news.ycombinator.com arstechnica.com www.theverge.com " +
    "www.wired.com techcrunch.com www.aljazeera.com www.dw.com " +
    "www.spiegel.de www.lemonde.fr www.forbes.com www.bbc.com",
  social: "www.linkedin.com www.reddit.com www.facebook.com x.com " +
    "www.instagram.com www.pinterest.com www.quora.com medium.com",
  video: "www.youtube.com vimeo.com open.spotify.com www.twitch.tv",
  dev: "github.com stackoverflow.com developer.mozilla.org docs.python.org " +
    "registry.npmjs.org pypi.org hub.docker.com gitlab.com " +
    "learn.microsoft.com docs.aws.amazon.com console.aws.amazon.com " +
    "portal.azure.com",
  misc: "en.wikipedia.org www.amazon.com www.ebay.com weather.com " +
    "www.accuweather.com maps.google.com www.booking.com " +
    "www.expedia.com www.paypal.com www.chase.com www.bankofamerica.com " +
    "www.irs.gov www.usps.com www.fedex.com www.ups.com www.imdb.com " +
    "www.indeed.com www.glassdoor.com www.grammarly.com www.etsy.com " +
    "www.walmart.com www.bestbuy.com www.zillow.com www.yelp.com " +
    "www.tripadvisor.com",
  blocked: "www.tiktok.com www.pokerstars.com thepiratebay.org " +
    "www.bet365.com mega.nz www.hidemyass.com",
};

/** How browsing sessions divide between the kinds of site. */
const SESSION_KINDS = new Weighted(
  [
    "search",
    "mail",
    "saas",
    "news",
    "social",
    "video",
    "dev",
    "misc",
    "blocked",
    "legacy",
  ] as const,
  [16, 10, 30, 12, 6, 3, 7, 13, 0.6, 2.5],
);

type SessionKind = typeof SESSION_KINDS.items[number];

const SITES = Object.fromEntries(
  Object.entries(HTTPS_SITES).map(([kind, hosts]) => [
    kind,
    zipf(hosts.split(" ")),
  ]),
) as Record<keyof typeof HTTPS_SITES, Weighted<string>>;

/** Hosts a page pulls scripts, fonts, images and trackers from. */
const ASSET_HOSTS = zipf(
  ("www.gstatic.com fonts.googleapis.com fonts.gstatic.com " +
    "ajax.googleapis.com cdnjs.cloudflare.com cdn.jsdelivr.net " +
    "www.googletagmanager.com www.google-analytics.com " +
    "securepubads.g.doubleclick.net static.licdn.com " +
    "connect.facebook.net pagead2.googlesyndication.com " +
    "c.amazon-adsystem.com code.jquery.com use.typekit.net " +
    "assets.adobedtm.com cdn.optimizely.com ib.adnxs.com " +
    "js-agent.newrelic.com bam.nr-data.net stackpath.bootstrapcdn.com " +
    "unpkg.com d1.awsstatic.com upload.wikimedia.org cdn.shopify.com " +
    "i.ytimg.com pbs.twimg.com abs.twimg.com cdn.cookielaw.org " +
    "static.zdassets.com fastlane.rubiconproject.com ads.pubmatic.com " +
    "cdn.taboola.com s.yimg.com m.media-amazon.com www.redditstatic.com " +
    "i.redd.it aadcdn.msftauth.net res.cdn.office.net")
    .split(" "),
);

/** Where sign-ins go before a SaaS or mail page loads. */
const SIGN_IN_HOSTS = zipf([
  "login.microsoftonline.com",
  "accounts.google.com",
  "acmecorp.okta.com",
  "login.live.com",
]);

/** Video and audio streams: long tunnels with large replies. */
const STREAM_HOSTS = zipf([
  "rr3---sn-4g5e6nz7.googlevideo.com",
  "rr1---sn-5hne6nsr.googlevideo.com",
  "rr5---sn-vgqsrnlz.googlevideo.com",
  "vod-adaptive-ak.vimeocdn.com",
  "audio-ak-spotify-com.akamaized.net",
  "video-weaver.fra05.hls.ttvnw.net",
]);

/** Desktop software checking in with its vendor over HTTPS. */
const BACKGROUND_HOSTS = zipf(
  ("v10.events.data.microsoft.com settings-win.data.microsoft.com " +
    "self.events.data.microsoft.com fe2.update.microsoft.com " +
    "sls.update.microsoft.com update.googleapis.com " +
    "clients2.google.com browser.events.data.msn.com " +
    "definitionupdates.microsoft.com wdcp.microsoft.com " +
    "nav.smartscreen.microsoft.com edge.microsoft.com " +
    "config.teams.microsoft.com ecs.office.com " +
    "officeclient.microsoft.com nexusrules.officeapps.live.com " +
    "aus5.mozilla.org incoming.telemetry.mozilla.org " +
    "firefox.settings.services.mozilla.com mesu.apple.com " +
    "gs.apple.com updates.cdn-apple.com api.segment.io " +
    "api.mixpanel.com o4504.ingest.sentry.io armmf.adobe.com")
    .split(" "),
);

/** Where the office's SaaS clients keep long-polling connections open. */
const LONG_POLL_HOSTS = new Weighted(
  [
    "outlook.office365.com",
    "teams.microsoft.com",
    "wss-primary.slack.com",
    "acmecorp-my.sharepoint.com",
  ],
  [5, 4, 2, 1],
);

/** SaaS where people upload documents, the benign large requests. */
const UPLOAD_HOSTS = zipf([
  "acmecorp-my.sharepoint.com",
  "drive.google.com",
  "www.dropbox.com",
  "upload.box.com",
  "files.slack.com",
]);

// ---------------------------------------------------------------------------
// Plain HTTP: certificate checks, updates, probes and a few old sites.

/** A kind of plain-HTTP object: where it lives and what it weighs. */
interface HttpObject {
  hosts: readonly string[];
  /** Path templates; `{hex8}`, `{b64}`, `{n}` and `{slug}` are filled in. */
  paths: readonly string[];
  contentType: string;
  /** Median reply body in bytes, and the spread of its logarithm. */
  median: number;
  sigma: number;
  /** Squid may answer it from its cache. */
  cacheable: boolean;
  method?: string;
  status?: number;
}

/** One kind of object per host, for kinds whose paths differ by vendor. */
function perHost(
  shape: Omit<HttpObject, "hosts" | "paths">,
  pathsByHost: Record<string, readonly string[]>,
): HttpObject[] {
  return Object.entries(pathsByHost).map(([host, paths]) => ({
    ...shape,
    hosts: [host],
    paths,
  }));
}

/**
 * Certificate revocation checks are the bulk of plain HTTP in a modern
 * proxy log: OCSP over GET (Windows) or POST (Firefox), and CRL downloads.
 */
const OCSP_GET: HttpObject = {
  hosts: [
    "ocsp.digicert.com",
    "ocsp.pki.goog",
    "ocsp.sectigo.com",
    "r11.o.lencr.org",
    "ocsp.globalsign.com",
    "ocsp.usertrust.com",
    "ocsp.entrust.net",
  ],
  paths: ["/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ{b64}"],
  contentType: "application/ocsp-response",
  median: 1_450,
  sigma: 0.25,
  cacheable: true,
};

const OCSP_POST: HttpObject = {
  ...OCSP_GET,
  paths: ["/"],
  method: "POST",
  cacheable: false,
};

const CRLS = perHost({
  contentType: "application/pkix-crl",
  median: 9_000,
  sigma: 1.4,
  cacheable: true,
}, {
  "crl3.digicert.com": [
    "/DigiCertGlobalRootG2.crl",
    "/DigiCertTLSRSASHA2562020CA1-4.crl",
  ],
  "crl4.digicert.com": ["/DigiCertGlobalRootCA.crl"],
  "c.pki.goog": ["/r/gsr1.crl", "/we2/{hex8}.crl"],
  "crl.sectigo.com": ["/SectigoRSADomainValidationSecureServerCA.crl"],
  "x1.c.lencr.org": ["/"],
  "crl.globalsign.com": ["/gs/gsrsaovsslca2018.crl", "/root-r3.crl"],
});

/** Windows fetches certificate trust lists over HTTP several times a day. */
const TRUST_LIST: HttpObject = {
  hosts: ["ctldl.windowsupdate.com"],
  paths: [
    "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab?{hex8}",
    "/msdownload/update/v3/static/trustedr/en/authrootstl.cab?{hex8}",
    "/msdownload/update/v3/static/trustedr/en/pinrulesstl.cab?{hex8}",
  ],
  contentType: "application/vnd.ms-cab-compressed",
  median: 7_000,
  sigma: 0.9,
  cacheable: true,
};

/**
 * Update payloads are fetched in ranges (status 206) and can be large;
 * they are replies, so they never compete with the planted uploads.
 */
const UPDATE_DOWNLOADS = perHost({
  contentType: "application/octet-stream",
  median: 2_500_000,
  sigma: 1.3,
  cacheable: true,
  status: 206,
}, {
  "download.windowsupdate.com": [
    "/c/msdownload/update/software/defu/2026/11/am_delta_patch_1.421.{n}.0_{hex8}.exe",
  ],
  "officecdn.microsoft.com": [
    "/pr/492350f6-3a01-4f97-b9c0-c7c6ddf67d60/Office/Data/16.0.{n}.20000/stream.x64.x-none.dat",
  ],
  "dl.google.com": [
    "/release2/chrome/{hex8}_130.0.6723.{n}/130.0.6723.{n}_chrome_installer.exe",
  ],
  "edgedl.me.gvt1.com": [
    "/edgedl/release2/chrome_component/{hex8}_2026.11.{n}.1/{hex8}.crx3",
  ],
  "ardownload2.adobe.com": [
    "/pub/adobe/reader/win/AcrobatDC/2400{n}/AcroRdrDCUpd2400{n}.msp",
  ],
  "swcdn.apple.com": ["/content/downloads/41/62/{hex8}/{slug}.pkg"],
});

const APT: HttpObject = {
  hosts: ["deb.debian.org", "security.debian.org"],
  paths: [
    "/debian/dists/bookworm/InRelease",
    "/debian/dists/bookworm-updates/InRelease",
    "/debian-security/dists/bookworm-security/InRelease",
    "/debian/pool/main/o/openssl/libssl3_3.0.{n}-1~deb12u1_amd64.deb",
  ],
  contentType: "application/octet-stream",
  median: 60_000,
  sigma: 1.2,
  cacheable: true,
};

/** What each operating system asks to learn whether it is online. */
const CONNECTIVITY: Record<Os, HttpObject> = {
  windows: {
    hosts: ["www.msftconnecttest.com"],
    paths: ["/connecttest.txt"],
    contentType: "text/plain",
    median: 22,
    sigma: 0,
    cacheable: false,
  },
  mac: {
    hosts: ["captive.apple.com"],
    paths: ["/hotspot-detect.html"],
    contentType: "text/html",
    median: 68,
    sigma: 0,
    cacheable: false,
  },
  linux: {
    hosts: ["connectivitycheck.gstatic.com"],
    paths: ["/generate_204"],
    contentType: "-",
    median: 0,
    sigma: 0,
    cacheable: false,
    status: 204,
  },
};

/** Sites still served over plain HTTP, with their pages and assets. */
const LEGACY_HOSTS = zipf([
  "www.example.com",
  "neverssl.com",
  "httpforever.com",
  "www.acme-supplier-portal.com",
]);

const LEGACY_PAGE: HttpObject = {
  hosts: [],
  paths: ["/", "/index.html", "/products/{n}.html", "/news/{slug}.html"],
  contentType: "text/html",
  median: 24_000,
  sigma: 0.9,
  cacheable: false,
};

/** What the first page of a visit loads once and the browser then keeps. */
const LEGACY_SHARED: readonly HttpObject[] = [
  ["/css/site.css", "text/css", 14_000, 0.8],
  ["/js/jquery-1.12.4.min.js", "application/javascript", 97_000, 0],
  ["/js/site.js", "application/javascript", 21_000, 0.9],
  ["/img/logo.png", "image/png", 9_000, 0.6],
  ["/img/spacer.gif", "image/gif", 43, 0],
  ["/favicon.ico", "image/x-icon", 1_150, 0],
].map(([path, contentType, median, sigma]) => ({
  hosts: [],
  paths: [path as string],
  contentType: contentType as string,
  median: median as number,
  sigma: sigma as number,
  cacheable: true,
}));

const LEGACY_IMAGE: HttpObject = {
  hosts: [],
  paths: ["/img/{slug}.jpg", "/img/products/{n}.jpg"],
  contentType: "image/jpeg",
  median: 45_000,
  sigma: 1.0,
  cacheable: true,
};

const LEGACY_FORM: HttpObject = {
  hosts: [],
  paths: ["/cgi-bin/order.pl", "/contact.php", "/login.asp"],
  contentType: "text/html",
  median: 6_000,
  sigma: 0.7,
  cacheable: false,
  method: "POST",
};

/**
 * Benign requests to bare IP addresses, so that an IP-literal analyzer
 * has honest noise. Their users are a fixed handful of workstations, so
 * their volume does not grow with `clients`.
 */
const INTRANET_IP = "10.20.0.31";
const INTRANET_PAGE: HttpObject = {
  hosts: [INTRANET_IP],
  paths: ["/timesheet/", "/timesheet/week?emp={n}", "/hr/leave/"],
  contentType: "text/html",
  median: 18_000,
  sigma: 0.5,
  cacheable: false,
};
const INTRANET_ASSETS: readonly HttpObject[] = [
  { ...INTRANET_PAGE, paths: ["/static/app.css"], contentType: "text/css" },
  {
    ...INTRANET_PAGE,
    paths: ["/static/app.js"],
    contentType: "application/javascript",
    median: 95_000,
  },
];
const INTRANET_FORM: HttpObject = {
  ...INTRANET_PAGE,
  paths: ["/timesheet/save"],
  method: "POST",
  median: 900,
};

const PRINTER_PAGE: HttpObject = {
  hosts: ["10.20.0.40"],
  paths: ["/hp/device/DeviceStatus/Index", "/hp/device/SignIn/Index"],
  contentType: "text/html",
  median: 7_500,
  sigma: 0.4,
  cacheable: false,
};

/**
 * A Windows image with a hard-coded probe skips the DNS name and asks the
 * address behind www.msftconnecttest.com directly.
 */
const PROBE_BY_IP: HttpObject = {
  ...CONNECTIVITY.windows,
  hosts: ["13.107.4.52"],
};

/** Teams falls back to TCP 443 through the proxy for meeting media. */
const MEDIA_RELAYS = ["52.113.194.132", "52.114.250.153", "52.112.97.14"];

const TYPED_ADDRESS_REDIRECT: HttpObject = {
  hosts: [],
  paths: ["/"],
  contentType: "text/html",
  median: 180,
  sigma: 0.2,
  cacheable: false,
  status: 301,
};

const SLUG_WORDS = ("annual report market update results guide new " +
  "launch winter sale review q3 plan policy team event product support " +
  "release notes price").split(" ");

// ---------------------------------------------------------------------------
// The office

type Os = "windows" | "mac" | "linux";

/** A workstation and the habits of the person at it. */
interface Client {
  ip: string;
  /** The proxy login, or `-` for the many who never authenticate. */
  user: string;
  os: Os;
  /** Scales how many browsing sessions the person starts. */
  activity: number;
  /** The machine stays on, and keeps talking, at night. */
  alwaysOn: boolean;
  /** Runs a desktop mail or chat client that long-polls all day. */
  longPolls: boolean;
  /** One of the few that reach servers by bare IP address. */
  ipLiteralHabit: "probe" | "intranet" | "none";
}

const FIRST_INITIALS = [..."ajmsdkrlpcteb"];
const SURNAMES = ("doe smith garcia chen patel nguyen kowalski muller " +
  "rossi tanaka okafor silva brown larsen dubois novak").split(" ");

const OPERATING_SYSTEMS = new Weighted<Os>(
  ["windows", "mac", "linux"],
  [76, 18, 6],
);

/** How many workstations run the hard-coded probe or use the intranet app. */
const PROBE_CLIENTS = 2;
const INTRANET_CLIENTS = 10;

/**
 * The planted hosts come first so that they exist in any sample; the rest
 * are numbered into 10.20.1.0 upwards, skipping 10.20.7.0/24 where the
 * planted hosts live.
 */
function makeClients(rng: Random, count: number): Client[] {
  const planted = [
    PLANTED.ipBeacon.client,
    PLANTED.exfil.client,
    PLANTED.longTunnel.client,
  ];
  const users = new Set<string>();
  const clients: Client[] = [];
  for (let i = 0; i < count; i++) {
    const index = i - planted.length;
    const authenticates = index >= 0 && rng.chance(0.2);
    const os = OPERATING_SYSTEMS.pick(rng);
    clients.push({
      ip: index < 0 ? planted[i] : workstationIp(index),
      user: authenticates ? userName(rng, users) : "-",
      os,
      activity: rng.logNormal(1, 0.45),
      alwaysOn: index < 0 || rng.chance(0.3),
      longPolls: os !== "linux" && rng.chance(0.55),
      ipLiteralHabit: index < 0
        ? "none"
        : index < PROBE_CLIENTS
        ? "probe"
        : index < PROBE_CLIENTS + INTRANET_CLIENTS
        ? "intranet"
        : "none",
    });
  }
  return clients;
}

/**
 * Initial and surname, drawn again on a clash; numbered, as directories do,
 * only when the office outgrows the names.
 */
function userName(rng: Random, taken: Set<string>): string {
  let base = "";
  for (let attempt = 0; attempt < 20; attempt++) {
    base = `${rng.pick(FIRST_INITIALS)}${rng.pick(SURNAMES)}`;
    if (!taken.has(base)) break;
  }
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}${n}`;
  taken.add(name);
  return name;
}

function workstationIp(index: number): string {
  const perSubnet = 200;
  let subnet = 1 + Math.floor(index / perSubnet);
  if (subnet >= 7) subnet++;
  return `10.20.${subnet}.${21 + (index % perSubnet)}`;
}

// ---------------------------------------------------------------------------
// One day of traffic

/** Collects a day's entries and turns requests into log fields. */
class DayLog {
  readonly rng: Random;
  readonly dayStart: number;
  readonly entries: Entry[] = [];

  constructor(rng: Random, dayStart: number) {
    this.rng = rng;
    this.dayStart = dayStart;
  }

  /** Adds one entry; `start` is when the request arrived. */
  add(start: number, fields: Omit<Entry, "endMs">): void {
    const at = Math.round(start);
    this.entries.push({ ...fields, endMs: at + fields.durationMs });
  }

  /**
   * An HTTPS connection: one `CONNECT` line when the tunnel closes. Its
   * request size is what the client sent through it, its reply size what
   * came back; Squid sees neither the method nor the path inside.
   */
  tunnel(client: Client, spec: {
    start: number;
    host: string;
    port?: number;
    durationMs?: number;
    requestBytes?: number;
    replyBytes?: number;
  }): void {
    const rng = this.rng;
    const port = spec.port ?? 443;
    const url = `${spec.host}:${port}`;
    const base = {
      clientIp: client.ip,
      method: "CONNECT",
      url,
      user: client.user,
      contentType: "-",
    };

    // A client that gives up before the server answers leaves NONE/000.
    if (rng.chance(0.003)) {
      this.add(spec.start, {
        ...base,
        durationMs: rng.int(0, 30_000),
        cacheResult: "NONE",
        status: 0,
        replyBytes: 0,
        requestBytes: rng.int(180, 320),
        hierarchy: "HIER_NONE",
        peer: "-",
      });
      return;
    }

    this.add(spec.start, {
      ...base,
      durationMs: spec.durationMs ??
        tunnelDuration(rng),
      cacheResult: "TCP_TUNNEL",
      status: 200,
      replyBytes: spec.replyBytes ??
        rng.logNormalIn(45_000, { sigma: 1.6, min: 4_000, max: 250_000_000 }),
      requestBytes: spec.requestBytes ??
        rng.logNormalIn(2_600, { sigma: 0.9, min: 560, max: 2_000_000 }),
      hierarchy: "HIER_DIRECT",
      peer: serverIp(spec.host, rng),
    });
  }

  /** A request the proxy's rules refuse: its error page, at once. */
  denied(client: Client, spec: {
    start: number;
    url: string;
    method: string;
    status: 403 | 407;
  }): void {
    const rng = this.rng;
    this.add(spec.start, {
      clientIp: client.ip,
      durationMs: rng.int(0, 2),
      cacheResult: "TCP_DENIED",
      status: spec.status,
      replyBytes: rng.int(3_700, 4_200),
      requestBytes: rng.int(180, 420),
      method: spec.method,
      url: spec.url,
      // A 407 asks for credentials the request did not carry.
      user: spec.status === 407 ? "-" : client.user,
      hierarchy: "HIER_NONE",
      peer: "-",
      contentType: "text/html",
    });
  }

  /** A plain-HTTP request, answered from the cache or the origin. */
  http(client: Client, spec: {
    start: number;
    object: HttpObject;
    host?: string;
  }): void {
    const rng = this.rng;
    const object = spec.object;
    const host = spec.host ?? rng.pick(object.hosts);
    const method = object.method ?? "GET";
    const body = object.sigma === 0
      ? object.median
      : rng.logNormalIn(object.median, {
        sigma: object.sigma,
        min: 0,
        max: 400_000_000,
      });
    const headers = rng.int(220, 520);
    const base = {
      clientIp: client.ip,
      method,
      url: `http://${host}${fillPath(rng.pick(object.paths), rng)}`,
      user: client.user,
      requestBytes: method === "POST"
        ? rng.logNormalIn(1_400, { sigma: 0.7, min: 300, max: 60_000 })
        : rng.logNormalIn(430, { sigma: 0.3, min: 160, max: 4_000 }),
    };

    // Cached objects come back in a millisecond or two without a server.
    const hit = object.cacheable && method === "GET" ? rng.next() : 1;
    if (hit < 0.18) {
      this.add(spec.start, {
        ...base,
        durationMs: rng.int(0, 3),
        cacheResult: hit < 0.08 ? "TCP_MEM_HIT" : "TCP_HIT",
        status: 200,
        replyBytes: body + headers,
        hierarchy: "HIER_NONE",
        peer: "-",
        contentType: object.contentType,
      });
      return;
    }

    const [cacheResult, status, replyBytes, contentType] = hit < 0.22
      ? ["TCP_REFRESH_MODIFIED", 200, body + headers, object.contentType]
      : hit < 0.28
      ? ["TCP_REFRESH_UNMODIFIED", 304, headers, "-"]
      : originAnswer(rng, object, body + headers);
    // Large bodies take as long as the line needs; the rest is latency.
    const bytesPerMs = rng.logNormal(4_000, 0.6);
    const transfer = replyBytes > 1_000_000 ? replyBytes / bytesPerMs : 0;
    const latency = rng.logNormalIn(110, { sigma: 0.9, min: 1, max: 60_000 });
    this.add(spec.start, {
      ...base,
      durationMs: clamp(latency + transfer, 1, BENIGN_MAX_DURATION_MS),
      cacheResult,
      status,
      replyBytes,
      hierarchy: "HIER_DIRECT",
      peer: serverIp(host, rng),
      contentType,
    });
  }
}

/**
 * How long a tunnel stays open. Many carry one API call or beacon and
 * close within a second or two; a browser keeps the rest alive for reuse
 * until they sit idle, tens of seconds to minutes.
 */
function tunnelDuration(rng: Random): number {
  return rng.chance(0.55)
    ? rng.logNormalIn(700, { sigma: 0.9, min: 15, max: 60_000 })
    : rng.logNormalIn(20_000, {
      sigma: 1.1,
      min: 500,
      max: BENIGN_MAX_DURATION_MS,
    });
}

/** The longest a benign transaction lasts; long polls and streams cap here. */
const BENIGN_MAX_DURATION_MS = 10 * MINUTE;
const BENIGN_MIN_UPLOAD = 150_000;
const BENIGN_MAX_UPLOAD = 5_200_000;

/** What the origin server said to a request the cache passed on. */
function originAnswer(
  rng: Random,
  object: HttpObject,
  replyBytes: number,
): [string, number, number, string] {
  const roll = rng.next();
  if (roll < 0.015) return ["TCP_MISS", 404, rng.int(900, 5_000), "text/html"];
  if (roll < 0.018) {
    return [
      "TCP_MISS",
      rng.pick([500, 502, 503]),
      rng.int(300, 2_500),
      "text/html",
    ];
  }
  if (roll < 0.05 && object.method !== "POST") {
    return ["TCP_MISS", 304, rng.int(180, 400), "-"];
  }
  return ["TCP_MISS", object.status ?? 200, replyBytes, object.contentType];
}

function fillPath(template: string, rng: Random): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (slot === "hex8") return rng.hex(8);
    if (slot === "b64") return rng.base64(rng.int(40, 70));
    if (slot === "n") return String(rng.int(100, 9_999));
    return `${rng.pick(SLUG_WORDS)}-${rng.pick(SLUG_WORDS)}-${rng.int(2, 99)}`;
  });
}

/**
 * A host's addresses are a hash of its name, so a host always resolves to
 * the same two or three servers. First octets are drawn from public ranges
 * big providers hold, never from private or documentation ranges.
 */
function serverIp(host: string, rng: Random): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host;
  if (host === PLANTED.exfil.host) return PLANTED.exfil.serverIp;

  let hash = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) {
    hash = Math.imul(hash ^ host.charCodeAt(i), 0x01000193) >>> 0;
  }
  const replica = rng.int(0, 2);
  hash = Math.imul(hash ^ replica, 0x01000193) >>> 0;
  const first = PUBLIC_FIRST_OCTETS[hash % PUBLIC_FIRST_OCTETS.length];
  return `${first}.${(hash >>> 8) & 255}.${(hash >>> 16) & 255}.` +
    `${1 + ((hash >>> 24) % 254)}`;
}

const PUBLIC_FIRST_OCTETS = [
  13,
  20,
  23,
  34,
  35,
  40,
  52,
  54,
  104,
  142,
  151,
  157,
  185,
  199,
  216,
];

/** When people are at their desks; every time is ms since the epoch. */
interface Presence {
  arrive: number;
  leave: number;
}

/** Where the first, challenged, request of an authenticating user goes. */
const FIRST_OF_THE_DAY = [
  "www.google.com:443",
  "outlook.office365.com:443",
  "teams.microsoft.com:443",
  "www.bing.com:443",
];

/** Browsing sessions an average person starts per hour at their desk. */
const SESSIONS_PER_HOUR = 6;

/** Generates one day: the office, then the three planted attacks. */
function simulateDay(
  log: DayLog,
  context: { clients: Client[]; day: number; days: number },
): void {
  const rng = log.rng;
  const weekday = ![0, 6].includes(new Date(log.dayStart).getUTCDay());

  for (const client of context.clients) {
    const presence = workingHours(rng, { dayStart: log.dayStart, weekday });

    if (presence) {
      browse(log, client, presence);
      if (client.user !== "-") {
        // The first request of the day is challenged for credentials.
        log.denied(client, {
          start: presence.arrive - rng.int(200, 2_000),
          url: rng.pick(FIRST_OF_THE_DAY),
          method: "CONNECT",
          status: 407,
        });
      }
    }
    background(log, client, presence);
  }

  plantBeacon(log);
  plantTunnels(log, context);
}

/**
 * When a person is at the desk today, or null when away. Weekdays centre
 * on 08:12 to 17:18 UTC; a few come in for a short weekend stint.
 */
function workingHours(
  rng: Random,
  day: { dayStart: number; weekday: boolean },
): Presence | null {
  if (day.weekday) {
    if (!rng.chance(0.92)) return null;
    const arrive = hourOfDay(rng, { mean: 8.2, sd: 0.6, min: 6.5, max: 10 });
    const leave = hourOfDay(rng, { mean: 17.3, sd: 0.8, min: 15, max: 20.5 });
    return { arrive: day.dayStart + arrive, leave: day.dayStart + leave };
  }

  if (!rng.chance(0.06)) return null;
  const arrive = day.dayStart +
    hourOfDay(rng, { mean: 10.5, sd: 1, min: 9, max: 13 });
  return { arrive, leave: arrive + rng.int(90, 240) * MINUTE };
}

/** A habitual time of day, in ms after midnight, kept within reason. */
function hourOfDay(
  rng: Random,
  habit: { mean: number; sd: number; min: number; max: number },
): number {
  const hours = habit.mean + rng.normal() * habit.sd;
  return Math.min(habit.max, Math.max(habit.min, hours)) * HOUR;
}

/** A person's browsing: sessions of page views while at the desk. */
function browse(log: DayLog, client: Client, presence: Presence): void {
  const rng = log.rng;
  const lunch = log.dayStart + 12 * HOUR + rng.int(0, 60) * MINUTE;
  const meanGap = HOUR / (SESSIONS_PER_HOUR * client.activity);

  let t = presence.arrive;
  for (;;) {
    t += rng.exponential(meanGap);
    if (t >= presence.leave) break;
    // Fewer sessions over lunch, not none: some eat at their desks.
    if (t > lunch && t < lunch + 45 * MINUTE && rng.chance(0.7)) continue;
    t = session(log, client, { start: t, kind: SESSION_KINDS.pick(rng) });
  }

  if (client.ipLiteralHabit === "intranet") {
    const visits = rng.int(1, 2);
    for (let i = 0; i < visits; i++) {
      const start = presence.arrive +
        rng.next() * (presence.leave - presence.arrive);
      intranetVisit(log, client, start);
    }
  }
  if (rng.chance(0.02)) {
    printerVisit(log, client, presence.arrive + rng.next() * 8 * HOUR);
  }
}

/**
 * One browsing session of a few page views on one site; returns when it
 * ended. Browsers reuse tunnels, so a site is not re-CONNECTed for every
 * page, while each page pulls in assets from a few other hosts.
 */
function session(
  log: DayLog,
  client: Client,
  spec: { start: number; kind: SessionKind },
): number {
  const rng = log.rng;
  const { kind } = spec;
  let t = spec.start;

  if (kind === "legacy") return legacyVisit(log, client, t);
  const host = SITES[kind].pick(rng);
  if (kind === "blocked") {
    log.denied(client, {
      start: t,
      url: `${host}:443`,
      method: "CONNECT",
      status: 403,
    });
    return t + rng.int(2, 20) * SECOND;
  }

  // Typing a bare name still goes out over HTTP first, to be redirected.
  if (rng.chance(0.03)) {
    log.http(client, { start: t, object: TYPED_ADDRESS_REDIRECT, host });
    t += rng.int(30, 300);
  }
  if ((kind === "mail" || kind === "saas") && rng.chance(0.25)) {
    log.tunnel(client, { start: t, host: SIGN_IN_HOSTS.pick(rng) });
    t += rng.int(300, 3_000);
  }

  const pages = 1 + Math.floor(rng.exponential(2.2));
  for (let page = 0; page < pages; page++) {
    if (page === 0 || rng.chance(0.3)) log.tunnel(client, { start: t, host });
    const assets = kind === "news" ? rng.int(1, 6) : rng.int(0, 3);
    for (let i = 0; i < assets; i++) {
      log.tunnel(client, {
        start: t + rng.int(80, 2_500),
        host: ASSET_HOSTS.pick(rng),
        replyBytes: rng.logNormalIn(30_000, {
          sigma: 1.3,
          min: 2_000,
          max: 20_000_000,
        }),
      });
    }
    if (rng.chance(0.25)) certificateCheck(log, client, t + rng.int(5, 200));
    if (kind === "video" && page === 0) {
      log.tunnel(client, {
        start: t + rng.int(500, 3_000),
        host: STREAM_HOSTS.pick(rng),
        durationMs: rng.logNormalIn(150_000, {
          sigma: 0.8,
          min: 5_000,
          max: BENIGN_MAX_DURATION_MS,
        }),
        replyBytes: rng.logNormalIn(40e6, { sigma: 0.8, min: 1e6, max: 400e6 }),
      });
    }
    t += rng.logNormalIn(25_000, { sigma: 1.0, min: 1_500, max: 15 * MINUTE });
  }

  if (kind === "saas" && rng.chance(0.08)) {
    log.tunnel(client, {
      start: t,
      host: UPLOAD_HOSTS.pick(rng),
      // Log-uniform: as many 200 KB uploads as 2 MB ones.
      requestBytes: Math.round(
        BENIGN_MIN_UPLOAD * (BENIGN_MAX_UPLOAD / BENIGN_MIN_UPLOAD) **
            rng.next(),
      ),
      durationMs: rng.int(2_000, 90_000),
    });
  }
  if (kind === "saas" && rng.chance(0.01)) {
    // A meeting whose media could not go over UDP.
    log.tunnel(client, {
      start: t,
      host: rng.pick(MEDIA_RELAYS),
      durationMs: rng.logNormalIn(300_000, {
        sigma: 0.5,
        min: 60_000,
        max: 590_000,
      }),
      replyBytes: rng.logNormalIn(60e6, { sigma: 0.5, min: 5e6, max: 200e6 }),
      requestBytes: rng.logNormalIn(1.5e6, {
        sigma: 0.5,
        min: 200_000,
        max: 4e6,
      }),
    });
  }
  return t;
}

/** An old site over plain HTTP: pages, their assets, now and then a form. */
function legacyVisit(log: DayLog, client: Client, start: number): number {
  const rng = log.rng;
  const host = LEGACY_HOSTS.pick(rng);
  let t = start;

  const pages = 1 + Math.floor(rng.exponential(1.5));
  for (let page = 0; page < pages; page++) {
    log.http(client, { start: t, object: LEGACY_PAGE, host });
    const shared = page === 0
      ? LEGACY_SHARED.filter(() => rng.chance(0.8))
      : [];
    const images = Array.from({ length: rng.int(0, 4) }, () => LEGACY_IMAGE);
    for (const object of [...shared, ...images]) {
      log.http(client, { start: t + rng.int(60, 1_500), object, host });
    }
    if (rng.chance(0.15)) {
      log.http(client, {
        start: t + rng.int(10_000, 90_000),
        object: LEGACY_FORM,
        host,
      });
    }
    t += rng.logNormalIn(30_000, { sigma: 0.9, min: 2_000, max: 10 * MINUTE });
  }
  return t;
}

/** The intranet app, reached by its address because nobody named it. */
function intranetVisit(log: DayLog, client: Client, start: number): void {
  const rng = log.rng;
  log.http(client, { start, object: INTRANET_PAGE });
  for (const asset of INTRANET_ASSETS) {
    if (rng.chance(0.6)) {
      log.http(client, { start: start + rng.int(50, 600), object: asset });
    }
  }
  if (rng.chance(0.5)) {
    log.http(client, {
      start: start + rng.int(30_000, 240_000),
      object: INTRANET_FORM,
    });
  }
}

function printerVisit(log: DayLog, client: Client, start: number): void {
  log.http(client, { start, object: PRINTER_PAGE });
}

/**
 * A browser checking a site's certificate: mostly OCSP, by GET from
 * Windows' own stack and by POST from Firefox elsewhere; sometimes a CRL.
 */
function certificateCheck(log: DayLog, client: Client, start: number): void {
  const rng = log.rng;
  const ocsp = client.os === "windows" ? OCSP_GET : OCSP_POST;
  const object = rng.chance(0.75) ? ocsp : rng.pick(CRLS);
  log.http(client, { start, object });
}

/**
 * What a machine does on its own while it is on: vendor check-ins,
 * connectivity probes, update downloads and long polls by mail and chat.
 * A machine left on keeps most of this going through the night.
 */
function background(
  log: DayLog,
  client: Client,
  presence: Presence | null,
): void {
  const rng = log.rng;
  const on = client.alwaysOn
    ? { arrive: log.dayStart, leave: log.dayStart + DAY }
    : presence && {
      arrive: presence.arrive - rng.int(2, 15) * MINUTE,
      leave: presence.leave + rng.int(1, 10) * MINUTE,
    };
  if (!on) return;

  for (let t = on.arrive + rng.exponential(25 * MINUTE); t < on.leave;) {
    log.tunnel(client, {
      start: t,
      host: BACKGROUND_HOSTS.pick(rng),
      replyBytes: rng.logNormalIn(6_000, {
        sigma: 1.2,
        min: 1_500,
        max: 5_000_000,
      }),
    });
    t += rng.exponential(25 * MINUTE);
  }

  const probes = rng.int(1, 4);
  for (let i = 0; i < probes; i++) {
    log.http(client, {
      start: on.arrive + rng.next() * (on.leave - on.arrive),
      object: CONNECTIVITY[client.os],
    });
  }
  if (client.ipLiteralHabit === "probe") {
    // The image probes on every network change and every wake, often.
    for (let t = on.arrive + rng.int(1, 60) * MINUTE; t < on.leave;) {
      log.http(client, { start: t, object: PROBE_BY_IP });
      t += rng.int(30, 90) * MINUTE;
    }
  }

  updates(log, client, on);
  if (client.longPolls && presence) longPolls(log, client, presence);
}

function updates(log: DayLog, client: Client, on: Presence): void {
  const rng = log.rng;
  const when = () => on.arrive + rng.next() * (on.leave - on.arrive);

  if (client.os === "windows") {
    const lists = rng.int(1, 4);
    for (let i = 0; i < lists; i++) {
      log.http(client, { start: when(), object: TRUST_LIST });
    }
  }
  if (client.os === "linux") {
    for (let i = 0; i < 3; i++) {
      log.http(client, { start: when(), object: APT });
    }
  }

  // A download in ranges is a burst of 206 replies from one host.
  if (rng.chance(0.35)) {
    const start = when();
    const object = rng.pick(UPDATE_DOWNLOADS);
    const parts = rng.int(1, 6);
    for (let i = 0; i < parts; i++) {
      log.http(client, {
        start: start + i * rng.int(200, 4_000),
        object,
      });
    }
  }
}

/**
 * Desktop mail and chat hold a tunnel open until the server ends it and
 * then open the next: the longest benign connections, capped at ten
 * minutes.
 */
function longPolls(log: DayLog, client: Client, presence: Presence): void {
  const rng = log.rng;
  const host = LONG_POLL_HOSTS.pick(rng);
  for (let t = presence.arrive; t < presence.leave;) {
    const durationMs = rng.logNormalIn(90 * SECOND, {
      sigma: 0.6,
      min: 20 * SECOND,
      max: BENIGN_MAX_DURATION_MS,
    });
    log.tunnel(client, {
      start: t,
      host,
      durationMs,
      replyBytes: rng.logNormalIn(25_000, {
        sigma: 1.0,
        min: 3_000,
        max: 3_000_000,
      }),
    });
    // Between polls the client sleeps a while before reconnecting.
    t += durationMs + rng.logNormal(90 * SECOND, 0.7);
  }
}

// ---------------------------------------------------------------------------
// The planted attacks

/** Seconds after midnight of an "hh:mm:ss" time. */
function secondsOfDay(time: string): number {
  const [hours, minutes, seconds] = time.split(":").map(Number);
  return hours * 3600 + minutes * 60 + seconds;
}

/**
 * One beacon per slot, so the count is exact whatever the jitter. Malware
 * does not take part in the proxy's login, so its lines carry no user.
 */
function plantBeacon(log: DayLog): void {
  const rng = log.rng;
  const beacon = PLANTED.ipBeacon;
  const interval = beacon.intervalSeconds * SECOND;

  for (let slot = 0; slot < beacon.hitsPerDay; slot++) {
    const jitter = (rng.next() * 2 - 1) * beacon.jitterSeconds * SECOND;
    const start = log.dayStart + slot * interval + interval / 2 + jitter;
    // Now and then the server has a task for the implant: a larger reply.
    const tasked = rng.chance(0.04);
    log.add(start, {
      clientIp: beacon.client,
      durationMs: rng.int(40, 420),
      cacheResult: "TCP_MISS",
      status: 200,
      replyBytes: tasked ? rng.int(2_000, 48_000) : rng.int(210, 620),
      requestBytes: rng.int(290, 410),
      method: beacon.method,
      url: `http://${beacon.host}${rng.pick(beacon.paths)}`,
      user: "-",
      hierarchy: "HIER_DIRECT",
      peer: beacon.host,
      contentType: "application/octet-stream",
    });
  }
}

/**
 * The planted tunnels that fall on this day (entry `day` lands on `day %
 * days`). They bypass `DayLog.tunnel`, whose occasional NONE/000 would
 * lose one of them.
 */
function plantTunnels(
  log: DayLog,
  context: { day: number; days: number },
): void {
  const planted = [
    { ...PLANTED.exfil, connections: PLANTED.exfil.uploads },
    {
      ...PLANTED.longTunnel,
      serverIp: PLANTED.longTunnel.host,
      connections: PLANTED.longTunnel.tunnels,
    },
  ];
  for (const attack of planted) {
    for (const connection of attack.connections) {
      if (connection.day % context.days !== context.day) continue;
      log.add(log.dayStart + secondsOfDay(connection.start) * SECOND, {
        clientIp: attack.client,
        durationMs: connection.durationMs,
        cacheResult: "TCP_TUNNEL",
        status: 200,
        replyBytes: connection.replyBytes,
        requestBytes: connection.requestBytes,
        method: attack.method,
        url: `${attack.host}:${attack.port}`,
        user: "-",
        hierarchy: "HIER_DIRECT",
        peer: attack.serverIp,
        contentType: "-",
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Command line

const USAGE = "Usage: deno run -A tools/squid_sample.ts [--out DIR] " +
  "[--days N] [--clients N] [--seed N] [--format extended|native]\n";

const encoder = new TextEncoder();

/** The CLI's only voice: data to stdout, diagnostics to stderr. */
const say = {
  out: (text: string) => void Deno.stdout.writeSync(encoder.encode(text)),
  err: (text: string) => void Deno.stderr.writeSync(encoder.encode(text)),
};

/**
 * Parses the flags, writes the files and prints their paths; returns the
 * exit status: 2 for a mistake in the flags, 1 when the files cannot be
 * written.
 */
async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        out: { type: "string", default: "demo-data" },
        days: { type: "string" },
        clients: { type: "string" },
        seed: { type: "string" },
        format: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    say.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    say.out(USAGE);
    return 0;
  }

  let options: SampleOptions;
  try {
    options = {
      days: integerFlag("days", flags.days),
      clients: integerFlag("clients", flags.clients),
      seed: integerFlag("seed", flags.seed),
      format: flags.format as SampleFormat | undefined,
    };
    resolveOptions(options);
  } catch (error) {
    say.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }

  try {
    const paths = await writeSample(flags.out, options);
    say.out(paths.map((path) => `${path}\n`).join(""));
    return 0;
  } catch (error) {
    // A folder that cannot be made or written is the user's to fix, so a
    // message, not a stack trace.
    if (
      !(error instanceof Deno.errors.PermissionDenied) &&
      !(error instanceof Deno.errors.NotFound) &&
      !(error instanceof Deno.errors.AlreadyExists) &&
      !(error instanceof Deno.errors.NotADirectory)
    ) throw error;
    say.err(`Cannot write the sample to "${flags.out}": ${error.message}\n`);
    return 1;
  }
}

function integerFlag(name: string, text?: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value)) {
    throw new RangeError(
      `Cannot read --${name}: expected an integer, got "${text}"`,
    );
  }
  return value;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
