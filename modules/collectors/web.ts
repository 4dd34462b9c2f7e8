/**
 * Web server access logs, in the formats Apache, nginx, Tomcat and IIS
 * write by default:
 *
 * - common: `%h %l %u %t "%r" %>s %b`
 * - combined: common plus `"%{Referer}i" "%{User-agent}i"`
 * - either with a virtual host first (`%v:%p` or `%v`), as Apache's
 *   `vhost_combined` and `vhost_common` write
 * - W3C extended, as IIS writes it: a `#Fields:` header names the fields,
 *   in any order, and a later `#Fields:` line changes the layout
 *
 * Common and combined are told apart line by line, by whether quoted
 * fields follow the response size. A file switches to W3C at its first
 * `#Fields:` header. A line wrapped whole in quotes, as some exports and
 * forwarders write it, is unwrapped first.
 *
 * Values are kept as the server logged them: the URL is not decoded, and
 * IIS's `+` for a space in the user agent stays. Control characters are
 * written `\xhh`, as Apache itself writes them (see `repaired`).
 *
 * @module
 */

import {
  collectLines,
  type LineParser,
  sniffed,
} from "../../engine/collect.ts";
import { formatTimestamp } from "../../engine/time.ts";
import type {
  CollectOptions,
  CollectReport,
  Connection,
  Input,
  SqlValue,
  TableSpec,
} from "../../engine/types.ts";

export const aid = "web";
export const name = "Web server access logs";
export const desc =
  "Apache, nginx and Tomcat access logs (common or combined, with or " +
  "without a virtual host) and IIS W3C extended logs, plain or gzip. One " +
  "row per request in the table web.";

export const tables: TableSpec[] = [{
  name: "web",
  columns: [
    { name: "time", type: "timestamp", desc: "when the request came, UTC" },
    { name: "client_ip", type: "text", desc: "the client, as logged" },
    { name: "ident", type: "text", desc: "identd answer (%l); rarely set" },
    // Not "user": a reserved word in PostgreSQL, which would need quotes.
    { name: "username", type: "text", desc: "authenticated user, if any" },
    {
      name: "method",
      type: "text",
      desc: "null when the request line is not METHOD target PROTOCOL",
    },
    {
      name: "url",
      type: "text",
      desc: "the request target as logged, not decoded; the whole request " +
        "line when it is not METHOD target PROTOCOL",
    },
    { name: "path", type: "text", desc: "the target before `?`" },
    { name: "query", type: "text", desc: "the target after `?`, if any" },
    { name: "protocol", type: "text", desc: "e.g. HTTP/1.1" },
    { name: "http_status", type: "integer", desc: "status sent back" },
    {
      name: "response_bytes",
      type: "integer",
      desc: "bytes sent back; null where the log says `-`",
    },
    { name: "referer", type: "text" },
    { name: "user_agent", type: "text" },
    {
      name: "vhost",
      type: "text",
      desc: "the virtual host (Apache %v) or the Host header (IIS cs-host)",
    },
    { name: "server_ip", type: "text", desc: "IIS s-ip" },
    {
      name: "server_port",
      type: "integer",
      desc: "IIS s-port, or the port of Apache's %v:%p",
    },
    { name: "time_taken_ms", type: "integer", desc: "IIS time-taken" },
    { name: "format", type: "text", desc: "common, combined or iis" },
  ],
  // Only columns whose length the server bounds: a btree key must fit a
  // page (PostgreSQL refuses entries over 2704 bytes), and a path, user
  // agent or Host header is whatever an attacker sends.
  indexes: [
    ["time"],
    ["client_ip", "time"],
    ["http_status", "client_ip"],
  ],
}];

/**
 * Apache refuses request lines and header fields over 8 KiB each
 * (LimitRequestLine, LimitRequestFieldSize), IIS URLs over 16 KiB; a
 * combined line with all of them at the limit stays under this.
 */
const MAX_LINE_BYTES = 64 * 1024;

/** The longest client a line may name: a DNS name has at most 253. */
const MAX_HOST_LENGTH = 255;

type Format = "common" | "combined" | "iis";

export async function launch(
  connection: Connection,
  inputs: Input[],
  options: CollectOptions,
): Promise<CollectReport> {
  return await collectLines(connection, inputs, {
    ...options,
    spec: {
      collector: aid,
      table: sniffed(tables[0], webParser, "a web access log"),
      maxLineBytes: MAX_LINE_BYTES,
      parser: webParser,
    },
  });
}

/** The columns of a W3C `#Fields:` layout, by their position in a line. */
interface W3cLayout {
  fields: number;
  date: number;
  time: number;
  clientIp: number;
  username: number;
  method: number;
  path: number;
  query: number;
  protocol: number;
  status: number;
  bytes: number;
  referer: number;
  userAgent: number;
  host: number;
  serverIp: number;
  serverPort: number;
  timeTaken: number;
}

/** W3C field names, lower case, for each column that reads one. */
const W3C_FIELDS: Record<string, keyof W3cLayout> = {
  "date": "date",
  "time": "time",
  "c-ip": "clientIp",
  "cs-username": "username",
  "cs-method": "method",
  "cs-uri-stem": "path",
  "cs-uri-query": "query",
  "cs-version": "protocol",
  "sc-status": "status",
  "sc-bytes": "bytes",
  "cs(referer)": "referer",
  "cs(user-agent)": "userAgent",
  "cs-host": "host",
  "s-ip": "serverIp",
  "s-port": "serverPort",
  "time-taken": "timeTaken",
};

const W3C_DIRECTIVES = [
  "#Software:",
  "#Version:",
  "#Date:",
  "#Fields:",
  "#Start-Date:",
  "#End-Date:",
  "#Remark:",
];

/**
 * A parser for one file; the collector makes one per input. W3C header
 * lines give null: the engine counts them apart from rows and failures.
 */
export function webParser(): LineParser {
  return new WebParser();
}

/**
 * The parser of one file. It remembers the last `#Fields:` layout (and the
 * `#Date:`, for W3C logs without a date field) and counts the lines of each
 * format for the file's report.
 */
class WebParser implements LineParser {
  #layout: W3cLayout | undefined;
  #headerDate: string | undefined;
  #seen: Record<Format, number> = { common: 0, combined: 0, iis: 0 };
  #withVhost = 0;

  parse(text: string): SqlValue[] | string | null {
    const line = repaired(text);
    if (line.reason !== undefined) return line.reason;
    text = line.text;

    if (text.charCodeAt(0) === HASH) {
      return this.#directive(text) ?? null;
    }

    const row = this.#layout
      ? parseW3c(text, this.#layout, this.#headerDate)
      : parseAccess(text);
    if (typeof row === "string") return row;
    this.#seen[row[FORMAT] as Format]++;
    if (row[VHOST] !== null && row[FORMAT] !== "iis") this.#withVhost++;
    return row;
  }

  /** A resumed run still needs the layout the skipped headers set. */
  skipped(text: string): void {
    const line = repaired(text);
    if (line.text.charCodeAt(0) === HASH) this.#directive(line.text);
  }

  detail(): string | undefined {
    const parts = Object.entries(this.#seen)
      .filter(([, count]) => count > 0)
      .map(([format, count]) => `${format}: ${count} lines`);
    if (this.#withVhost > 0) {
      parts.push(`with a virtual host: ${this.#withVhost} lines`);
    }
    return parts.length > 0 ? parts.join(", ") : undefined;
  }

  /** Reads a W3C directive; returns why it is not one, if it is not. */
  #directive(text: string): string | undefined {
    const known = W3C_DIRECTIVES.find((d) => text.startsWith(d));
    if (!known) {
      return `"${cut(text)}" is not a W3C directive; those are ` +
        W3C_DIRECTIVES.map((d) => d.slice(0, -1)).join(", ");
    }
    const value = text.slice(known.length).trim();
    if (known === "#Fields:") this.#layout = w3cLayout(value);
    if (known === "#Date:") this.#headerDate = value.slice(0, 10);
    return undefined;
  }
}

function w3cLayout(value: string): W3cLayout {
  const names = value.split(/\s+/);
  const layout: W3cLayout = {
    fields: names.length,
    date: -1,
    time: -1,
    clientIp: -1,
    username: -1,
    method: -1,
    path: -1,
    query: -1,
    protocol: -1,
    status: -1,
    bytes: -1,
    referer: -1,
    userAgent: -1,
    host: -1,
    serverIp: -1,
    serverPort: -1,
    timeTaken: -1,
  };
  names.forEach((field, i) => {
    const column = W3C_FIELDS[field.toLowerCase()];
    if (column) layout[column] = i;
  });
  return layout;
}

const QUOTE = 0x22;
const HASH = 0x23;
const SPACE = 0x20;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const FORMAT = tables[0].columns.findIndex((c) => c.name === "format");
const VHOST = tables[0].columns.findIndex((c) => c.name === "vhost");
// deno-lint-ignore no-control-regex -- control characters are what it finds
const CONTROL = /[\x00-\x1f\x7f]/;
// deno-lint-ignore no-control-regex -- control characters are what it finds
const CONTROLS = /[\x00-\x1f\x7f]/g;
const DIGITS = /^\d+$/;
const STATUS = /^\d{3}$/;
const W3C_DATE = /^\d{4}-\d\d-\d\d /;
const PROTOCOL = /^[A-Za-z][A-Za-z0-9+.-]*\/\d+(\.\d+)?$/;
const COMMON_PROTOCOLS = new Set(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0"]);
const COMMON_METHODS = new Set(["GET", "POST", "HEAD", "PUT", "OPTIONS"]);
// RFC 9110 token characters, which a method is made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * The line with two repairs made before parsing. A line wrapped whole in
 * quotes is unwrapped. Control characters (a NUL in `GET /\0.jsp`, a TLS
 * hello sent to the HTTP port) become `\xhh`, as Apache writes them: the
 * line is still a request worth keeping, a scanner's or an attacker's, and
 * PostgreSQL cannot store a NUL in text. Trailing spaces go.
 */
function repaired(text: string): { text: string; reason?: string } {
  if (CONTROL.test(text)) text = escapeControls(text);
  if (text.charCodeAt(0) === QUOTE) {
    const inner = unwrapped(text);
    if (inner.reason !== undefined) return inner;
    text = inner.text;
  }
  if (text.charCodeAt(text.length - 1) === SPACE) text = text.trimEnd();
  return { text };
}

function escapeControls(text: string): string {
  return text.replace(
    CONTROLS,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/**
 * The line inside the quotes of a line wrapped in them. Inner quotes come
 * either doubled (`""`, as CSV writes them) or escaped (`\"`, as JSON
 * does); the first inner quote says which.
 */
function unwrapped(text: string): { text: string; reason?: string } {
  if (text.length < 2 || text.charCodeAt(text.length - 1) !== QUOTE) {
    return { text, reason: "the line starts with a quote but ends without" };
  }
  const inner = text.slice(1, -1);
  const quote = inner.indexOf('"');
  if (quote < 0) return { text: inner };
  if (inner.charCodeAt(quote + 1) === QUOTE) {
    return { text: inner.replaceAll('""', '"') };
  }
  if (inner.charCodeAt(quote - 1) === BACKSLASH) {
    return { text: inner.replace(/\\(["\\])/g, "$1") };
  }
  return {
    text,
    reason: "the line is wrapped in quotes, but the quotes inside it are " +
      'neither doubled ("") nor escaped (\\")',
  };
}

/**
 * Parses a common or combined line, with or without a virtual host. The
 * fields are found by the delimiters around them, ` [`, `] "`, `" 200 `,
 * rather than by splitting on spaces, because the request, the referer and
 * the user agent all hold spaces.
 */
function parseAccess(text: string): SqlValue[] | string {
  const open = text.indexOf(" [");
  if (open < 0) {
    return W3C_DATE.test(text)
      ? "a W3C (IIS) line, but no #Fields header came before it"
      : "no [time] field: not a web access log line";
  }
  const head = text.slice(0, open).split(" ");
  const vhostPort = head.length === 4 ? head.shift()! : undefined;
  if (head.length !== 3) {
    return "expected 3 fields before the [time] (4 with a virtual host), " +
      `got ${head.length}`;
  }

  const close = text.indexOf("]", open);
  if (close < 0) return "the [time] has no closing bracket";
  const stamp = text.slice(open + 2, close);
  const time = apacheTime(stamp);
  if (time === undefined) {
    return `time "${cut(stamp)}" is not a time like 10/Oct/2000:13:55:36 ` +
      "-0700";
  }

  if (
    text.charCodeAt(close + 1) !== SPACE || text.charCodeAt(close + 2) !== QUOTE
  ) {
    return "expected a quoted request after the [time]";
  }
  const requestEnd = requestClose(text, close + 3);
  if (requestEnd < 0) {
    return "the request has no closing quote followed by a status";
  }
  const statusEnd = endOfField(text, requestEnd + 2);
  const status = text.slice(requestEnd + 2, statusEnd);
  if (!STATUS.test(status)) {
    return `status "${cut(status)}" is not a 3-digit HTTP status`;
  }
  if (statusEnd === text.length) return "no response size after the status";
  const sizeEnd = endOfField(text, statusEnd + 1);
  const size = text.slice(statusEnd + 1, sizeEnd);
  if (size !== "-" && !DIGITS.test(size)) {
    return `response size "${cut(size)}" is not a byte count or -`;
  }

  let referer: string | null = null;
  let userAgent: string | null = null;
  if (sizeEnd < text.length) {
    const tail = refererAndAgent(text, sizeEnd);
    if (typeof tail === "string") return tail;
    [referer, userAgent] = tail;
  }

  const [clientIp, ident, username] = head;
  if (clientIp.length > MAX_HOST_LENGTH) return longClient(clientIp);
  const request = requestParts(text.slice(close + 3, requestEnd));
  const { vhost, port } = splitVhost(vhostPort);
  return [
    time,
    clientIp,
    dash(ident),
    dash(username),
    request.method,
    request.url,
    request.path,
    request.query,
    request.protocol,
    Number(status),
    size === "-" ? null : Number(size),
    referer,
    userAgent,
    vhost,
    null,
    port,
    null,
    sizeEnd < text.length ? "combined" : "common",
  ];
}

/**
 * The quote that ends the request: the first unescaped one followed by a
 * space and a digit. Tomcat does not escape quotes inside the request
 * (`?postdata="><script>`), so a quote alone does not end it.
 */
function requestClose(text: string, from: number): number {
  for (
    let at = text.indexOf('"', from);
    at >= 0;
    at = text.indexOf('"', at + 1)
  ) {
    const next = text.charCodeAt(at + 2);
    if (
      text.charCodeAt(at + 1) === SPACE && next >= 0x30 && next <= 0x39 &&
      !escaped(text, at)
    ) return at;
  }
  return -1;
}

/** The referer and user agent after the response size, or why not. */
function refererAndAgent(
  text: string,
  sizeEnd: number,
): [string | null, string | null] | string {
  if (text.charCodeAt(sizeEnd + 1) !== QUOTE) {
    return `unexpected "${cut(text.slice(sizeEnd + 1))}" after the ` +
      "response size: expected a quoted referer (combined format) or the " +
      "end of the line (common format)";
  }
  const start = sizeEnd + 2;
  let refererEnd = -1;
  for (
    let at = text.indexOf('"', start);
    at >= 0;
    at = text.indexOf('"', at + 1)
  ) {
    if (
      text.charCodeAt(at + 1) === SPACE && text.charCodeAt(at + 2) === QUOTE &&
      !escaped(text, at)
    ) {
      refererEnd = at;
      break;
    }
  }
  if (refererEnd < 0) return "expected a quoted user agent after the referer";

  const agentStart = refererEnd + 3;
  for (
    let at = text.indexOf('"', agentStart);
    at >= 0;
    at = text.indexOf('"', at + 1)
  ) {
    if (escaped(text, at)) continue;
    if (at === text.length - 1) {
      return [
        dash(text.slice(start, refererEnd)),
        dash(text.slice(agentStart, at)),
      ];
    }
    if (
      text.charCodeAt(at + 1) === SPACE && text.charCodeAt(at + 2) === QUOTE
    ) {
      return "more quoted fields after the user agent than the combined " +
        "format has";
    }
  }
  return "the user agent has no closing quote (was the line cut short?)";
}

/** Whether the character at `at` follows an odd run of backslashes. */
function escaped(text: string, at: number): boolean {
  let run = 0;
  while (at - run - 1 >= 0 && text.charCodeAt(at - run - 1) === BACKSLASH) {
    run++;
  }
  return run % 2 === 1;
}

function endOfField(text: string, from: number): number {
  const end = text.indexOf(" ", from);
  return end < 0 ? text.length : end;
}

interface RequestParts {
  method: string | null;
  url: string | null;
  path: string | null;
  query: string | null;
  protocol: string | null;
}

/**
 * Splits `METHOD target PROTOCOL`. A request without a version (HTTP/0.9)
 * is logged `GET /` by Apache and `GET / ` by Tomcat; it has no protocol.
 *
 * Anything else keeps its row, with the whole request as the URL and no
 * method: a TLS hello sent to the HTTP port, a WebLogic probe `t3 12.2.1 `,
 * `some invalid request`. Its client, time and status still tell a hunter
 * that someone spoke something other than HTTP to the server, which
 * rejecting the line would hide from every analyzer. Without a version to
 * vouch for it, the target must look like one (`/...`, `*`, `scheme://...`,
 * or `host:port` for CONNECT), or any two words would pass for a request;
 * with one, any target goes (`GET ../../win.ini HTTP/1.1` is a request, and
 * one a hunter wants to find by its path). Apache logs `-` for no request.
 */
function requestParts(request: string): RequestParts {
  const none = {
    method: null,
    url: null,
    path: null,
    query: null,
    protocol: null,
  };
  if (request === "-") return none;
  const first = request.indexOf(" ");
  const last = request.lastIndexOf(" ");
  const trailing = request.charCodeAt(request.length - 1) === SPACE;
  const versioned = last > first && !trailing;
  const method = request.slice(0, first);
  const target = versioned
    ? request.slice(first + 1, last)
    : request.slice(first + 1, trailing ? -1 : undefined);
  const protocol = versioned ? request.slice(last + 1) : null;
  const isRequest = first > 0 &&
    (COMMON_METHODS.has(method) || TOKEN.test(method)) &&
    (protocol === null ? looksLikeTarget(method, target) : target !== "" &&
      (COMMON_PROTOCOLS.has(protocol) || PROTOCOL.test(protocol)));
  if (!isRequest) return { ...none, url: request };

  const mark = target.indexOf("?");
  return {
    method,
    url: target,
    path: mark < 0 ? target : target.slice(0, mark),
    query: mark < 0 ? null : target.slice(mark + 1),
    protocol,
  };
}

function looksLikeTarget(method: string, target: string): boolean {
  const first = target.charCodeAt(0);
  return first === SLASH || target === "*" || target.includes("://") ||
    (method === "CONNECT" && target !== "");
}

/** `www.example.com:443` into host and port; a bare name has no port. */
function splitVhost(
  field: string | undefined,
): { vhost: string | null; port: number | null } {
  if (field === undefined || field === "-") return { vhost: null, port: null };
  const colon = field.lastIndexOf(":");
  const portText = field.slice(colon + 1);
  const bracketed = field.startsWith("[") &&
    field.charCodeAt(colon - 1) === 0x5d;
  const onlyColon = colon > 0 && field.indexOf(":") === colon;
  if ((bracketed || onlyColon) && DIGITS.test(portText)) {
    return { vhost: field.slice(0, colon), port: Number(portText) };
  }
  return { vhost: field, port: null };
}

let lastStamp = "";
let lastTime: string | undefined;

/**
 * `10/Oct/2000:13:55:36 -0700` as UTC, read by position: this runs on
 * every line, and neighbouring lines mostly share their second, so the
 * last answer is kept.
 */
function apacheTime(stamp: string): string | undefined {
  if (stamp === lastStamp) return lastTime;
  lastStamp = stamp;
  lastTime = undefined;
  if (
    stamp.length !== 26 || stamp[2] !== "/" || stamp[6] !== "/" ||
    stamp[11] !== ":" || stamp[14] !== ":" || stamp[17] !== ":" ||
    stamp[20] !== " "
  ) return undefined;
  const month = MONTHS[stamp.slice(3, 6)];
  const day = digitsAt(stamp, 0, 2);
  const year = digitsAt(stamp, 7, 4);
  const hour = digitsAt(stamp, 12, 2);
  const minute = digitsAt(stamp, 15, 2);
  const second = digitsAt(stamp, 18, 2);
  const sign = stamp[21] === "+" ? 1 : stamp[21] === "-" ? -1 : 0;
  const zoneHours = digitsAt(stamp, 22, 2);
  const zoneMinutes = digitsAt(stamp, 24, 2);
  if (
    month === undefined || sign === 0 ||
    !validTime(year, month, day, hour, minute, second) ||
    zoneHours > 23 || zoneMinutes > 59 || zoneHours < 0 || zoneMinutes < 0
  ) return undefined;

  const offset = sign * (zoneHours * 60 + zoneMinutes) * 60_000;
  lastTime = formatTimestamp(
    Date.UTC(year, month, day, hour, minute, second) - offset,
  );
  return lastTime;
}

/** Digits at a position as a number, or -1 when they are not all digits. */
function digitsAt(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function validTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): boolean {
  // Date.UTC would roll 31 Feb over into March; a log never means that.
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return year >= 1970 && day >= 1 && day <= days && hour >= 0 && hour < 24 &&
    minute >= 0 && minute < 60 && second >= 0 && second < 60;
}

/**
 * Parses a W3C line by its `#Fields:` layout. IIS writes the time in UTC
 * whatever the server's zone, and `-` for an empty field.
 */
function parseW3c(
  text: string,
  layout: W3cLayout,
  headerDate: string | undefined,
): SqlValue[] | string {
  const fields = text.split(" ");
  if (fields.length !== layout.fields) {
    return `expected ${layout.fields} fields, as the #Fields header says, ` +
      `got ${fields.length}`;
  }
  const at = (i: number) => i < 0 ? null : dash(fields[i]);

  const date = layout.date < 0 ? headerDate : fields[layout.date];
  const clock = layout.time < 0 ? undefined : fields[layout.time];
  if (date === undefined || clock === undefined) {
    return "the #Fields header names no date and time field";
  }
  const time = w3cTime(date, clock);
  if (time === undefined) {
    return `time "${cut(`${date} ${clock}`)}" is not a time like ` +
      "2019-09-03 10:13:36";
  }

  const status = at(layout.status);
  if (status !== null && !STATUS.test(status)) {
    return `sc-status "${cut(status)}" is not a 3-digit HTTP status`;
  }
  const counts = [layout.bytes, layout.serverPort, layout.timeTaken]
    .map((i) => at(i));
  const notCount = counts.findIndex((c) => c !== null && !DIGITS.test(c));
  if (notCount >= 0) {
    const field = ["sc-bytes", "s-port", "time-taken"][notCount];
    return `${field} "${cut(counts[notCount]!)}" is not a whole number`;
  }

  const clientIp = at(layout.clientIp);
  if (clientIp !== null && clientIp.length > MAX_HOST_LENGTH) {
    return longClient(clientIp);
  }
  const path = at(layout.path);
  const query = at(layout.query);
  const url = path === null ? null : query === null ? path : `${path}?${query}`;
  const [bytes, port, taken] = counts;
  return [
    time,
    clientIp,
    null,
    at(layout.username),
    at(layout.method),
    url,
    path,
    query,
    at(layout.protocol),
    status === null ? null : Number(status),
    bytes === null ? null : Number(bytes),
    at(layout.referer),
    at(layout.userAgent),
    at(layout.host),
    at(layout.serverIp),
    port === null ? null : Number(port),
    taken === null ? null : Number(taken),
    "iis",
  ];
}

/** `2019-09-03` and `10:13:36` (or `10:13:36.123`) as a time stamp. */
function w3cTime(date: string, clock: string): string | undefined {
  if (
    date.length !== 10 || date[4] !== "-" || date[7] !== "-" ||
    clock.length < 8 || clock[2] !== ":" || clock[5] !== ":"
  ) return undefined;
  const year = digitsAt(date, 0, 4);
  const month = digitsAt(date, 5, 2) - 1;
  const day = digitsAt(date, 8, 2);
  const hour = digitsAt(clock, 0, 2);
  const minute = digitsAt(clock, 3, 2);
  const second = digitsAt(clock, 6, 2);
  const fraction = clock.slice(8);
  if (fraction !== "" && !/^\.\d{1,6}$/.test(fraction)) return undefined;
  if (month < 0 || month > 11) return undefined;
  if (!validTime(year, month, day, hour, minute, second)) return undefined;
  // Read as digits: 0.285 * 1000 is 284.99999999999994 in floating point.
  const ms = fraction === "" ? 0 : Number(fraction.slice(1, 4).padEnd(3, "0"));
  return formatTimestamp(
    Date.UTC(year, month, day, hour, minute, second, ms),
  );
}

/**
 * The client is indexed, and an index key must stay small (see `tables`);
 * no address or DNS name comes near this, so a longer one is garbage.
 */
function longClient(client: string): string {
  return `client "${cut(client)}" is longer than any address or host ` +
    `name (${MAX_HOST_LENGTH} characters)`;
}

/** Web servers write `-` for a value they do not have. */
function dash(value: string): string | null {
  return value === "-" || value === "" ? null : value;
}

/** Keeps reasons short when a field is garbage. */
function cut(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
