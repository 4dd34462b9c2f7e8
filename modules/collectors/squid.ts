/**
 * Squid's access.log, in either of two formats, told apart line by line:
 *
 * - native (Squid's default `squid` logformat):
 *   `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`
 * - extended, which adds the request size after the reply size:
 *   `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt`
 *
 * The sixth field is a byte count in the extended format and a method in the
 * native one, and a method is never all digits, so one line is enough to
 * know its format: a file written across a `squid -k reconfigure` that
 * switched formats still loads whole.
 *
 * @module
 */

import { isIP } from "node:net";
import { collectLines, type LineParser } from "../../engine/collect.ts";
import { formatTimestamp } from "../../engine/time.ts";
import type {
  CollectOptions,
  CollectReport,
  Connection,
  Input,
  SqlValue,
  TableSpec,
} from "../../engine/types.ts";

export const aid = "squid";
export const name = "Squid access.log";
export const desc =
  "Squid proxy access logs, native or extended (with request sizes), plain " +
  "or gzip. One row per request in the table squid.";

/** In a folder: access.log and its rotations, plain or gzip. */
export const files = ["access*.log*", "*.access.log*", "access.log*"];

export const tables: TableSpec[] = [{
  name: "squid",
  columns: [
    { name: "time", type: "timestamp", desc: "when the request ended, UTC" },
    { name: "duration_ms", type: "integer", desc: "time the proxy spent" },
    { name: "client_ip", type: "text", desc: "the client's address" },
    { name: "cache_result", type: "text", desc: "e.g. TCP_MISS, TCP_TUNNEL" },
    { name: "http_status", type: "integer", desc: "status sent to the client" },
    { name: "reply_size", type: "integer", desc: "bytes sent to the client" },
    {
      name: "request_size",
      type: "integer",
      desc: "bytes received from the client; null in the native format",
    },
    { name: "method", type: "text" },
    { name: "url", type: "text", desc: "as logged (host:port for CONNECT)" },
    { name: "host", type: "text", desc: "domain or IP literal, lower case" },
    { name: "host_is_ip", type: "integer", desc: "1 when host is an IP" },
    { name: "port", type: "integer" },
    // Not "user": a reserved word in PostgreSQL, which would need quotes.
    { name: "username", type: "text", desc: "authenticated user, if any" },
    { name: "hierarchy", type: "text", desc: "e.g. HIER_DIRECT" },
    { name: "peer", type: "text", desc: "server or parent proxy, as logged" },
    { name: "server_ip", type: "text", desc: "peer, when it is an IP" },
    { name: "content_type", type: "text" },
  ],
  indexes: [
    ["time"],
    ["host_is_ip", "host", "client_ip"],
    ["client_ip", "host", "duration_ms"],
  ],
}];

/**
 * Squid refuses URLs over 8 KiB (MAX_URL), so no sane line comes near this;
 * a longer one is garbage and is set aside unparsed.
 */
const MAX_LINE_BYTES = 64 * 1024;

const NATIVE_FIELDS = 10;
const EXTENDED_FIELDS = 11;
const DIGITS = /^\d+$/;
const EPOCH = /^\d+(\.\d{1,6})?$/;
const HIERARCHY = /^[A-Z][A-Z_]*\/\S*$/;
// deno-lint-ignore no-control-regex -- binary garbage is what it looks for
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const DEFAULT_PORTS: Record<string, number> = {
  http: 80,
  https: 443,
  ftp: 21,
  ws: 80,
  wss: 443,
};

export function launch(
  connection: Connection,
  inputs: Input[],
  options: CollectOptions,
): Promise<CollectReport> {
  return collectLines(connection, inputs, {
    ...options,
    spec: {
      collector: aid,
      table: tables[0],
      maxLineBytes: MAX_LINE_BYTES,
      parser,
    },
  });
}

const REQUEST_SIZE = tables[0].columns
  .findIndex((column) => column.name === "request_size");

/** A parser for one file, counting the lines of each format it sees. */
function parser(): LineParser {
  const seen = { native: 0, extended: 0 };
  return {
    parse(text) {
      const row = parseLine(text);
      if (typeof row !== "string") {
        seen[row[REQUEST_SIZE] === null ? "native" : "extended"]++;
      }
      return row;
    },
    detail() {
      const formats = Object.entries(seen)
        .filter(([, count]) => count > 0)
        .map(([format, count]) => `${format} format: ${count} lines`);
      return formats.length > 0 ? formats.join(", ") : undefined;
    },
  };
}

/**
 * Parses one access.log line into the columns of the squid table, or says
 * why it cannot.
 */
export function parseLine(text: string): SqlValue[] | string {
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, "0");
    return `binary data: control character 0x${code} at column ${
      control.index + 1
    }`;
  }

  const fields = text.trim().split(/[ \t]+/);
  const extended = DIGITS.test(fields[5] ?? "");
  const needed = extended ? EXTENDED_FIELDS : NATIVE_FIELDS;
  if (fields.length < needed) {
    return `expected ${NATIVE_FIELDS} fields (native format) or ` +
      `${EXTENDED_FIELDS} (extended), got ${fields.length}`;
  }

  const [stamp, duration, clientIp, result, replySize] = fields;
  if (!EPOCH.test(stamp)) return `time "${cut(stamp)}" is not epoch seconds`;
  const time = formatTimestamp(Math.round(Number(stamp) * 1000));
  if (!time) return `time "${stamp}" is out of range`;
  if (!DIGITS.test(duration)) return `duration "${cut(duration)}" is not ms`;
  if (!DIGITS.test(replySize)) {
    return `reply size "${cut(replySize)}" is not a byte count`;
  }

  const slash = result.lastIndexOf("/");
  const status = result.slice(slash + 1);
  if (slash <= 0 || !DIGITS.test(status)) {
    return `result "${cut(result)}" is not CACHE_RESULT/status`;
  }

  const at = extended ? 6 : 5;
  const { method, url, user, hierarchyPeer, contentType } =
    fields.length === needed ? tailFields(fields, at) : spreadFields(text, at);
  const [hierarchy, peer] = splitOnce(hierarchyPeer, "/");
  const { host, port } = hostAndPort(method, url);
  const peerValue = dash(peer);

  return [
    time,
    Number(duration),
    clientIp,
    result.slice(0, slash),
    Number(status),
    Number(replySize),
    extended ? Number(fields[5]) : null,
    dash(method),
    dash(url),
    host,
    host === null ? null : isIpLiteral(host) ? 1 : 0,
    port,
    dash(user),
    dash(hierarchy),
    peerValue,
    peerValue !== null && isAddress(peerValue) ? peerValue : null,
    dash(contentType),
  ];
}

/** The fields after the sizes, when the line has exactly its format's. */
function tailFields(fields: string[], at: number) {
  return {
    method: fields[at],
    url: fields[at + 1],
    user: fields[at + 2],
    hierarchyPeer: fields[at + 3],
    contentType: fields[at + 4],
  };
}

/**
 * Reads the tail of a line with more fields than its format has. Squid's
 * `uri_whitespace allow` logs URLs with their spaces, and attackers put
 * spaces in URLs on purpose, so the URL is everything between the method
 * and the user, found by the hierarchy field (`HIER_DIRECT/10.0.0.1`) that
 * follows the user. Text is cut from the line itself, so a URL keeps its
 * exact spacing. This is the slow path; most lines never take it.
 */
function spreadFields(text: string, at: number) {
  const spans = [...text.matchAll(/[^ \t]+/g)]
    .map((m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
  let hier = spans.length - 1;
  while (hier > at + 2 && !HIERARCHY.test(spans[hier].text)) hier--;
  if (hier <= at + 2) hier = at + 3;

  const last = spans[spans.length - 1];
  return {
    method: spans[at].text,
    url: text.slice(spans[at + 1].start, spans[hier - 2].end),
    user: spans[hier - 1].text,
    hierarchyPeer: spans[hier].text,
    contentType: hier + 1 < spans.length
      ? text.slice(spans[hier + 1].start, last.end)
      : "-",
  };
}

/**
 * The destination of a request. CONNECT logs `host:port`; other methods log
 * a URL whose authority may carry credentials, an IPv6 literal in brackets,
 * or a port. Anything else (`error:invalid-request`) has no destination.
 */
export function hostAndPort(
  method: string,
  url: string,
): { host: string | null; port: number | null } {
  const schemeEnd = url.indexOf("://");
  if (schemeEnd < 0) {
    return method === "CONNECT"
      ? splitAuthority(url, null)
      : { host: null, port: null };
  }

  const scheme = url.slice(0, schemeEnd).toLowerCase();
  const rest = url.slice(schemeEnd + 3);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const hostPart = authority.slice(authority.lastIndexOf("@") + 1);
  return splitAuthority(hostPart, DEFAULT_PORTS[scheme] ?? null);
}

function splitAuthority(
  authority: string,
  defaultPort: number | null,
): { host: string | null; port: number | null } {
  let host = authority;
  let portText = "";
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    host = authority.slice(1, close < 0 ? undefined : close);
    portText = close < 0 ? "" : authority.slice(close + 2);
  } else {
    // One colon is host:port; more is a bare IPv6 address.
    const colon = authority.indexOf(":");
    if (colon >= 0 && colon === authority.lastIndexOf(":")) {
      host = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    }
  }

  const port = DIGITS.test(portText) && Number(portText) <= 65535
    ? Number(portText)
    : defaultPort;
  return {
    host: host === "" || host === "-" ? null : host.toLowerCase(),
    port,
  };
}

/**
 * Whether a host is an IP address, including the forms that browsers read
 * as one but that do not look like one (`0x7f.1`, `3232235777`): malware
 * uses them to slip past rules that look for dotted quads.
 */
export function isIpLiteral(host: string): boolean {
  if (isAddress(host)) return true;
  if (!/^[0-9a-fx.]+$/i.test(host) || !/^[0-9]/.test(host)) return false;
  try {
    return isIP(new URL(`http://${host}/`).hostname) !== 0;
  } catch {
    return false;
  }
}

/**
 * Whether text is an IPv4 or IPv6 address. Most lines carry two addresses
 * to check, so dotted quads are read by hand: node:net's isIP runs a large
 * regular expression and was a tenth of the parse time.
 */
function isAddress(text: string): boolean {
  return isDottedQuad(text) || (text.includes(":") && isIP(text) === 6);
}

function isDottedQuad(text: string): boolean {
  let dots = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || ++dots > 3) return false;
      digits = 0;
      value = 0;
    } else if (code >= 0x30 && code <= 0x39) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + code - 0x30;
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, "-"] : [text.slice(0, at), text.slice(at + 1)];
}

/** Squid writes `-` for a value it does not have. */
function dash(value: string): string | null {
  return value === "-" || value === "" ? null : value;
}

/** Keeps error messages short when a field is garbage. */
function cut(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
