/**
 * Zeek logs, as either of Zeek's writers leaves them, one table per log
 * type: `zeek_conn`, `zeek_dns`, `zeek_http`, `zeek_ssl`, `zeek_ssh`,
 * `zeek_files`, `zeek_notice` and `zeek_open_conn`, and `zeek_other` for
 * every other log (weird, x509, kerberos, ...), with its type in
 * `log_type`.
 *
 * ## Reading
 *
 * - TSV (the ASCII writer): the `#separator`, `#set_separator`,
 *   `#empty_field`, `#unset_field`, `#path`, `#fields` and `#types` headers
 *   say how to read the lines after them, so columns may come in any order
 *   and a file may hold several header blocks, as concatenated logs do.
 * - JSON lines: keys dotted (`id.orig_h`, Zeek's own writer), with
 *   underscores (`id_orig_h`, as some exporters write) or nested (`"id":
 *   {"orig_h": ...}`); `ts` as epoch seconds or ISO 8601 text.
 *
 * The log type comes from the `#path` header, else the `_path` or
 * `@stream` key of the first JSON lines, else the file's name
 * (`conn.log`, `conn.00:00:00-01:00:00.log.gz`, `NASHUA_conn.log`,
 * `conn.log.labeled`), else the `path` parameter, which also overrides
 * them all (for standard input). `conn_long` (the long-connections
 * package's log) goes to `zeek_open_conn` beside RITA's `open_conn`. A
 * JSON file whose first lines mix log types goes to `zeek_other`, each row
 * with its own type.
 *
 * ## Values
 *
 * Each table has the standard fields of its log as columns, named as Zeek
 * names them with `_` for `.` (`id_orig_h`). Every other field (a site's
 * `_node_name`, a label column, fields of newer Zeek versions) goes into
 * the `extra` column, one JSON object per row, so nothing is lost. Unset
 * fields (`-`, or a JSON null) are null; `(empty)` is an empty string, or
 * `[]` for a set. Times are UTC to the millisecond; times near 1970, from
 * captures replayed with relative clocks, are kept as they are. Counts and
 * ports are integers, intervals are seconds as reals, booleans are 1 or 0,
 * and sets and vectors (`tunnel_parents`, `answers`) are JSON arrays as
 * text, from either writer. Text is kept as the writer escaped it
 * (`\x09`), except that a NUL inside JSON text is written `\x00`, as
 * Zeek's own writers do, since PostgreSQL cannot store it.
 *
 * @module
 */

import { collectLines, type LineParser } from "../../engine/collect.ts";
import { UsageError } from "../../engine/errors.ts";
import { formatTimestamp } from "../../engine/time.ts";
import type {
  CollectOptions,
  CollectReport,
  ColumnType,
  Connection,
  Input,
  ParamSpecs,
  SqlValue,
  TableSpec,
} from "../../engine/types.ts";

export const aid = "zeek";
export const name = "Zeek logs (TSV and JSON)";
export const desc =
  "Zeek conn, dns, http, ssl, ssh, files, notice and open_conn logs, TSV " +
  "or JSON, plain or gzip, one table each (zeek_conn, ...); other Zeek " +
  "logs into zeek_other. Fields a table has no column for are kept as " +
  "JSON in its extra column.";

export const params: ParamSpecs = {
  path: {
    type: "string",
    default: "",
    desc: "the log type of every input (conn, dns, ...), whatever the " +
      "headers or names say; needed only for standard input without headers",
  },
};

/** In a folder: Zeek's log names, rotated or not, plain or gzip. */
export const files = [
  "*.log",
  "*.log.*",
  "*.json",
  "*.json.gz",
  "*.ndjson",
  "*.ndjson.gz",
];

/** How a field's text becomes a value. */
type Kind = "time" | "text" | "integer" | "real" | "bool" | "list";

const COLUMN_TYPE: Record<Kind, ColumnType> = {
  time: "timestamp",
  text: "text",
  integer: "integer",
  real: "real",
  bool: "integer",
  list: "text",
};

const ID = "uid id_orig_h id_orig_p:integer id_resp_h id_resp_p:integer";

const CONN = `ts:time ${ID} proto service duration:real orig_bytes:integer
  resp_bytes:integer conn_state local_orig:bool local_resp:bool
  missed_bytes:integer history orig_pkts:integer orig_ip_bytes:integer
  resp_pkts:integer resp_ip_bytes:integer tunnel_parents:list`;

/**
 * The standard fields of each log type, as `name:kind` (text when no kind
 * is given), from the Zeek 3 to 7 script reference.
 */
const FIELDS: Record<string, string> = {
  conn: CONN,
  open_conn: CONN,
  dns: `ts:time ${ID} proto trans_id:integer rtt:real query qclass:integer
    qclass_name qtype:integer qtype_name rcode:integer rcode_name aa:bool
    tc:bool rd:bool ra:bool z:integer answers:list ttls:list rejected:bool`,
  http: `ts:time ${ID} trans_depth:integer method host uri referrer version
    user_agent origin request_body_len:integer response_body_len:integer
    status_code:integer status_msg info_code:integer info_msg tags:list
    username password proxied:list orig_fuids:list orig_filenames:list
    orig_mime_types:list resp_fuids:list resp_filenames:list
    resp_mime_types:list`,
  ssl: `ts:time ${ID} version cipher curve server_name resumed:bool
    last_alert next_protocol established:bool ssl_history
    cert_chain_fps:list client_cert_chain_fps:list cert_chain_fuids:list
    client_cert_chain_fuids:list subject issuer client_subject client_issuer
    sni_matches_cert:bool validation_status ja3 ja3s`,
  ssh: `ts:time ${ID} version:integer auth_success:bool
    auth_attempts:integer direction client server cipher_alg mac_alg
    compression_alg kex_alg host_key_alg host_key`,
  files: `ts:time fuid ${ID} tx_hosts:list rx_hosts:list conn_uids:list
    source depth:integer analyzers:list mime_type filename duration:real
    local_orig:bool is_orig:bool seen_bytes:integer total_bytes:integer
    missing_bytes:integer overflow_bytes:integer timedout:bool parent_fuid
    md5 sha1 sha256 extracted extracted_cutoff:bool extracted_size:integer`,
  notice: `ts:time ${ID} fuid file_mime_type file_desc proto note msg sub
    src dst p:integer n:integer peer_descr actions:list email_dest:list
    suppress_for:real remote_location_country_code
    remote_location_region remote_location_city
    remote_location_latitude:real remote_location_longitude:real`,
  other: `ts:time log_type ${ID}`,
};

/** Log types with a table of their own. */
const TYPED = ["conn", "dns", "http", "ssl", "ssh", "files", "notice"];

/** Other names Zeek and its packages give to a typed log. */
const ALIASES: Record<string, string> = { conn_long: "open_conn" };

interface Column {
  name: string;
  kind: Kind;
}

function declared(log: string): Column[] {
  return FIELDS[log].trim().split(/\s+/).map((field) => {
    const [name, kind = "text"] = field.split(":");
    return { name, kind: kind as Kind };
  });
}

function tableOf(log: string): TableSpec {
  const columns = declared(log);
  const has = (name: string) => columns.some((c) => c.name === name);
  const indexes = [["ts"], ["uid"], ["id_orig_h", "id_resp_h"]];
  if (has("fuid")) indexes.push(["fuid"]);
  return {
    name: `zeek_${log}`,
    columns: [
      ...columns.map((c) => ({ name: c.name, type: COLUMN_TYPE[c.kind] })),
      {
        name: "extra",
        type: "text",
        desc: "the fields without a column of their own, as a JSON object",
      },
    ],
    indexes,
  };
}

const LOGS = [...TYPED, "open_conn", "other"];

/** One table per log type with a table, then zeek_other. */
export const tables: TableSpec[] = LOGS.map(tableOf);

const TABLES = new Map(LOGS.map((log, i) => [log, tables[i]]));
const COLUMNS = new Map(LOGS.map((log) => [log, declared(log)]));

/** Long lines occur (HTTP URIs, file hosts); a megabyte is far beyond. */
const MAX_LINE_BYTES = 1 << 20;

export function launch(
  connection: Connection,
  inputs: Input[],
  options: CollectOptions,
): Promise<CollectReport> {
  const given = String(options.params?.path ?? "");
  const forced = given === "" ? undefined : logType(given);
  if (forced === "") {
    throw new UsageError(
      `The zeek collector's path parameter must be a Zeek log type such as ` +
        `conn or dns; got "${options.params?.path}".`,
    );
  }
  const chosen = new Map<Input, Choice>();
  return collectLines(connection, inputs, {
    ...options,
    spec: {
      collector: aid,
      maxLineBytes: MAX_LINE_BYTES,
      table(input, head) {
        const choice = choose(input.name, head, forced);
        if (typeof choice === "string") return choice;
        chosen.set(input, choice);
        return TABLES.get(choice.table)!;
      },
      parser: (input) => zeekParser(chosen.get(input)!),
    },
  });
}

/** Where an input's rows go, and why. */
export interface Choice {
  /** The log type named by the input (`conn`, `weird`, ...). */
  log: string;
  /** The log type whose table takes the rows: `log`, or `other`. */
  table: string;
  /** Where the log type was found, for the report. */
  from: string;
  /** Whether every line's own `_path` names its type (a mixed file). */
  mixed?: boolean;
}

/**
 * Picks the table for an input from the parameter, its first bytes or its
 * name, or says why it cannot.
 */
export function choose(
  inputName: string,
  head: Uint8Array,
  forced?: string,
): Choice | string {
  if (forced) return placed(forced, "the path parameter");
  const lines = new TextDecoder().decode(head).replace(/^\uFEFF/, "")
    .split("\n").slice(0, 100).map((line) => line.replace(/\r$/, ""));
  const first = lines.find((line) => line.trim() !== "");
  const named = logFromName(inputName);

  if (first === undefined) {
    return placed(named ?? "other", named ? "the file name" : "nothing");
  }
  // A stray line before the headers is a bad line, not a reason to set
  // the whole file aside: look at all the first lines.
  if (lines.some((line) => /^#(separator |fields)/.test(line))) {
    let separator = "\t";
    for (const line of lines) {
      if (line.startsWith("#separator ")) {
        separator = unescape(line.slice("#separator ".length));
      } else if (line.startsWith(`#path${separator}`)) {
        const log = logType(line.slice(5 + separator.length));
        if (log) return placed(log, "#path");
      }
    }
    return named
      ? placed(named, "the file name")
      : noType(inputName, "no #path header");
  }
  if (first.startsWith("#")) {
    return "not a Zeek log: it starts with # but has no #separator or " +
      "#fields header in its first lines";
  }
  if (lines.some((line) => line.startsWith("{"))) {
    const paths = new Set<string>();
    let objects = 0;
    for (const line of lines) {
      const object = jsonObject(line);
      if (!object) continue;
      objects++;
      const path = object._path ?? object["@stream"];
      if (typeof path === "string" && logType(path)) {
        paths.add(logType(path));
      }
    }
    if (objects === 0) {
      return "not a Zeek log: its first lines start with { but are not " +
        "JSON objects";
    }
    if (paths.size > 1) {
      return { log: "other", table: "other", from: "_path", mixed: true };
    }
    if (paths.size === 1) return placed([...paths][0], "_path");
    return named
      ? placed(named, "the file name")
      : noType(inputName, "no _path or @stream key");
  }
  return "not a Zeek log: its first line is neither a # header (TSV) nor " +
    "a JSON object";
}

function placed(log: string, from: string): Choice {
  const canonical = ALIASES[log] ?? log;
  return {
    log: canonical,
    table: TABLES.has(canonical) ? canonical : "other",
    from,
  };
}

function noType(inputName: string, why: string): string {
  return `cannot tell which Zeek log this is: ${why}, and the name ` +
    `"${inputName}" does not say; name it after its type (conn.log) ` +
    "or give -p path=TYPE";
}

function jsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/** A log type as a plain name, or "" when the text is not one. */
function logType(text: string): string {
  const type = text.trim().toLowerCase();
  return /^[a-z][a-z0-9_]{0,62}$/.test(type) ? type : "";
}

/**
 * The log type a file's name gives: the part before the first dot, less a
 * sensor's prefix (`NASHUA_conn.log`), or undefined for standard input.
 *
 * @example
 * ```ts
 * import { logFromName } from "./zeek.ts";
 * if (logFromName("logs/conn.00:00:00-01:00:00.log.gz") !== "conn") throw 0;
 * if (logFromName("UTICA-A_smb_mapping.log") !== "smb_mapping") throw 0;
 * if (logFromName("-") !== undefined) throw 0;
 * ```
 */
export function logFromName(path: string): string | undefined {
  if (path === "-") return undefined;
  const base = path.slice(path.lastIndexOf("/") + 1);
  const stem = base.slice(
    0,
    base.indexOf(".") < 0 ? undefined : base.indexOf("."),
  );
  const type = logType(stem.replace(/-/g, "_"));
  if (!type) return undefined;
  // A sensor's name before the type: the longest known type it ends with,
  // else what follows an upper-case prefix.
  const known = [...LOGS, ...Object.keys(ALIASES), ...OTHER_LOGS]
    .sort((a, b) => b.length - a.length)
    .find((log) => type === log || type.endsWith(`_${log}`));
  if (known) return known;
  const prefixed = /^[A-Z0-9-]+_(.+)$/.exec(stem);
  return prefixed ? logType(prefixed[1]) || type : type;
}

/** Zeek's other standard logs, so that a sensor prefix comes off them. */
const OTHER_LOGS = [
  "weird",
  "x509",
  "dhcp",
  "dce_rpc",
  "dpd",
  "kerberos",
  "ntlm",
  "rdp",
  "smb_files",
  "smb_mapping",
  "smtp",
  "sip",
  "snmp",
  "socks",
  "software",
  "tunnel",
  "pe",
  "known_hosts",
  "known_services",
  "known_certs",
  "loaded_scripts",
  "packet_filter",
  "capture_loss",
  "reporter",
  "stats",
  "analyzer",
  "ftp",
  "irc",
  "mysql",
  "radius",
  "modbus",
  "dnp3",
  "ntp",
  "syslog",
  "intel",
  "signatures",
  "traceroute",
  "notice_alarm",
  "weird_stats",
  "conn_long",
];

/** Undoes `\xHH` escapes, as in `#separator \x09`. */
function unescape(text: string): string {
  return text.replace(
    /\\x([0-9a-fA-F]{2})/g,
    (_, hex) => String.fromCharCode(parseInt(hex, 16)),
  );
}

/** An invalid value, so that null can mean unset. */
const BAD = undefined;

/** Reads a TSV field of a kind; `BAD` when it is not one. */
function fromText(
  kind: Kind,
  value: string,
  empty: string,
  setSeparator: string,
): SqlValue | typeof BAD {
  switch (kind) {
    case "text":
      return value === empty ? "" : value;
    case "time": {
      if (value === empty || value === "") return BAD;
      return formatTimestamp(Number(value) * 1000);
    }
    case "integer":
      return integer(value);
    case "real": {
      const number = value === "" ? NaN : Number(value);
      return Number.isFinite(number) ? number : BAD;
    }
    case "bool":
      return value === "T" ? 1 : value === "F" ? 0 : BAD;
    case "list":
      return value === empty ? "[]" : JSON.stringify(value.split(setSeparator));
  }
}

function integer(value: string): SqlValue | typeof BAD {
  if (value === "" || value.length > 20) return BAD;
  const number = Number(value);
  if (!Number.isInteger(number)) return BAD;
  if (Number.isSafeInteger(number)) return number;
  return /^-?[0-9]+$/.test(value) ? BigInt(value) : BAD;
}

/** Reads a JSON value of a kind; `BAD` when it is not one. */
function fromJson(kind: Kind, value: unknown): SqlValue | typeof BAD {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case "text":
      return typeof value === "string"
        ? withoutNul(value)
        : withoutNul(JSON.stringify(value));
    case "time": {
      if (typeof value === "number") return formatTimestamp(value * 1000);
      if (typeof value !== "string") return BAD;
      if (/^[0-9.]+$/.test(value)) return formatTimestamp(Number(value) * 1000);
      return /\d{4}-\d\d-\d\dT.*(Z|[+-]\d\d:?\d\d)$/.test(value)
        ? formatTimestamp(Date.parse(value))
        : BAD;
    }
    case "integer":
      if (typeof value === "number") {
        return Number.isInteger(value) ? value : BAD;
      }
      return typeof value === "string" ? integer(value) : BAD;
    case "real":
      if (typeof value === "number") return value;
      return typeof value === "string" && value !== "" &&
          Number.isFinite(Number(value))
        ? Number(value)
        : BAD;
    case "bool":
      if (typeof value === "boolean") return value ? 1 : 0;
      return value === "T" ? 1 : value === "F" ? 0 : BAD;
    case "list":
      return withoutNul(JSON.stringify(Array.isArray(value) ? value : [value]));
  }
}

function withoutNul(text: string): string {
  return text.includes("\0") ? text.replaceAll("\0", "\\x00") : text;
}

/** An extra TSV field's value in JSON, by its Zeek type. */
function extraFromText(
  type: string,
  value: string,
  empty: string,
  setSeparator: string,
): unknown {
  if (type.startsWith("set[") || type.startsWith("vector[")) {
    return value === empty ? [] : value.split(setSeparator);
  }
  if (value === empty) return "";
  switch (type) {
    case "count":
    case "int":
    case "port":
    case "double":
    case "interval":
    case "time": {
      const number = Number(value);
      return value !== "" && Number.isFinite(number) ? number : value;
    }
    case "bool":
      return value === "T" ? true : value === "F" ? false : value;
    default:
      return value;
  }
}

/** How the fields of a TSV header block land in a table's row. */
interface Layout {
  /** The names in `#fields`. */
  names: string[];
  /** For each field, its column's index in the row, or -1 for extra. */
  targets: number[];
  /** For each field, its kind when it has a column. */
  kinds: Kind[];
  /** The `#types` of each field, for extra ones. */
  types: string[];
}

/**
 * A parser for one Zeek input bound for the table `choice.table`. It reads
 * TSV headers and data lines and JSON lines, in any mix.
 */
export function zeekParser(choice: Choice): LineParser {
  const columns = COLUMNS.get(choice.table)!;
  const index = new Map(columns.map((column, i) => [column.name, i]));
  const width = columns.length + 1; // and extra
  const logTypeAt = index.get("log_type");
  const seen = { tsv: 0, json: 0 };

  // TSV header state.
  let separator = "\t";
  let setSeparator = ",";
  let empty = "(empty)";
  let unset = "-";
  let fields: string[] | undefined;
  let types: string[] = [];
  let layout: Layout | undefined;
  let headerPath: string | undefined;

  const header = (text: string): null => {
    if (text.startsWith("#separator ")) {
      separator = unescape(text.slice("#separator ".length));
      return null;
    }
    const cut = text.indexOf(separator);
    if (cut < 0) return null; // #close alone, a comment
    const key = text.slice(1, cut);
    const value = text.slice(cut + separator.length);
    switch (key) {
      case "set_separator":
        setSeparator = unescape(value);
        break;
      case "empty_field":
        empty = value;
        break;
      case "unset_field":
        unset = value;
        break;
      case "path":
        headerPath = ALIASES[logType(value)] ?? logType(value);
        break;
      case "fields":
        fields = value.split(separator);
        types = [];
        layout = undefined;
        break;
      case "types":
        types = value.split(separator);
        layout = undefined;
        break;
    }
    return null;
  };

  const planned = (names: string[]): Layout => {
    const targets = names.map((field) => {
      const at = index.get(field.replaceAll(".", "_"));
      return at === undefined || at === logTypeAt ? -1 : at;
    });
    return {
      names,
      targets,
      kinds: targets.map((at) => at < 0 ? "text" : columns[at].kind),
      types: names.map((_, i) => types[i] ?? "string"),
    };
  };

  const wrongPath = (path: string) =>
    `this line is from a ${path} log but the file is read as a ` +
    `${choice.log} log (from ${choice.from}); a file that mixes log types ` +
    "goes in whole only when its first lines show the mix";

  const tsv = (text: string): SqlValue[] | string => {
    if (!fields) return "a data line before any #fields header";
    if (headerPath && choice.table !== "other" && headerPath !== choice.log) {
      return wrongPath(headerPath);
    }
    layout ??= planned(fields);
    const values = text.split(separator);
    if (values.length !== layout.names.length) {
      return `expected ${layout.names.length} tab-separated fields, as ` +
        `#fields says, got ${values.length}`;
    }
    const nul = text.indexOf("\0");
    if (nul >= 0) return `binary data: NUL byte at column ${nul + 1}`;
    const row: SqlValue[] = new Array(width).fill(null);
    let extra: Record<string, unknown> | undefined;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === unset) continue;
      const at = layout.targets[i];
      if (at < 0) {
        extra ??= {};
        extra[layout.names[i]] = extraFromText(
          layout.types[i],
          value,
          empty,
          setSeparator,
        );
        continue;
      }
      const read = fromText(layout.kinds[i], value, empty, setSeparator);
      if (read === BAD) return invalid(layout.names[i], layout.kinds[i], value);
      row[at] = read;
    }
    if (logTypeAt !== undefined) row[logTypeAt] = headerPath ?? choice.log;
    if (extra) row[width - 1] = JSON.stringify(extra);
    seen.tsv++;
    return row;
  };

  const json = (text: string): SqlValue[] | string => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return `not JSON: ${(error as Error).message}`;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return "not a JSON object";
    }
    const object = value as Record<string, unknown>;
    const rawPath = object._path ?? object["@stream"];
    const path = typeof rawPath === "string"
      ? ALIASES[logType(rawPath)] ?? logType(rawPath)
      : undefined;
    if (path && choice.table !== "other" && path !== choice.log) {
      return wrongPath(path);
    }
    const row: SqlValue[] = new Array(width).fill(null);
    let extra: Record<string, unknown> | undefined;
    const put = (key: string, name: string, value: unknown): string | void => {
      const at = index.get(name);
      if (at === undefined || at === logTypeAt) {
        extra ??= {};
        extra[key] = value;
        return;
      }
      const read = fromJson(columns[at].kind, value);
      if (read === BAD) return invalid(key, columns[at].kind, value);
      row[at] = read;
    };
    for (const key in object) {
      const value = object[key];
      const name = key.includes(".") ? key.replaceAll(".", "_") : key;
      if (
        typeof value === "object" && value !== null && !Array.isArray(value) &&
        !index.has(name)
      ) {
        // Nested, as in {"id": {"orig_h": ...}}.
        for (const [inner, innerValue] of Object.entries(value)) {
          const problem = put(
            `${key}.${inner}`,
            `${name}_${inner}`,
            innerValue,
          );
          if (problem) return problem;
        }
        continue;
      }
      const problem = put(key, name, value);
      if (problem) return problem;
    }
    if (logTypeAt !== undefined) row[logTypeAt] = path ?? choice.log;
    if (extra) row[width - 1] = withoutNul(JSON.stringify(extra));
    seen.json++;
    return row;
  };

  return {
    parse(text) {
      if (text.startsWith("#")) return header(text);
      if (text.startsWith("{")) return json(text);
      if (text.trim() === "") return "an empty line";
      return tsv(text);
    },
    skipped(text) {
      if (text.startsWith("#")) header(text);
    },
    detail() {
      const parts = [
        `${choice.log} log (from ${choice.from}) into zeek_${choice.table}`,
      ];
      if (seen.tsv) parts.push(`TSV: ${seen.tsv} rows`);
      if (seen.json) parts.push(`JSON: ${seen.json} rows`);
      return parts.join(", ");
    },
  };
}

function invalid(field: string, kind: Kind, value: unknown): string {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  const cut = shown.length > 60 ? `${shown.slice(0, 60)}...` : shown;
  const wanted: Record<Kind, string> = {
    time: "a time (epoch seconds or ISO 8601 with a zone)",
    text: "text",
    integer: "an integer",
    real: "a number",
    bool: "T or F",
    list: "a set",
  };
  return `field ${field}: expected ${wanted[kind]}, got "${cut}"`;
}
