/**
 * Generated lines in the format of each collector, for `deno task bench`:
 * the same line shapes as real logs, varied by a counter so that no two
 * rows are the same, and nothing taken from third-party data.
 *
 * @module
 */

const START = Date.UTC(2026, 10, 2);
const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

/** A line of each collector's format, by the line's number. */
export const FORMATS: Record<string, (i: number) => string> = {
  web(i) {
    const at = new Date(START + i * 250);
    const stamp = `${String(at.getUTCDate()).padStart(2, "0")}/${
      MONTHS[at.getUTCMonth()]
    }/${at.getUTCFullYear()}:${at.toISOString().slice(11, 19)} +0000`;
    return `10.1.${(i >> 8) & 255}.${i & 255} - - [${stamp}] ` +
      `"GET /shop/item/${i % 9973}?ref=${i % 17} HTTP/1.1" ${
        i % 23 === 0 ? 404 : 200
      } ${1000 + (i % 50000)} "https://example.org/" ` +
      `"Mozilla/5.0 (X11; Linux x86_64) Firefox/${100 + (i % 30)}.0"`;
  },

  auth(i) {
    const at = new Date(START + i * 500);
    const stamp = `${MONTHS[at.getUTCMonth()]} ${
      String(at.getUTCDate()).padStart(2, " ")
    } ${at.toISOString().slice(11, 19)}`;
    const source = `203.0.113.${i % 250}`;
    return i % 3 === 0
      ? `${stamp} bastion sshd[${1000 + (i % 30000)}]: Failed password for ` +
        `invalid user admin${i % 97} from ${source} port ${
          1024 + (i % 60000)
        } ssh2`
      : `${stamp} bastion sshd[${1000 + (i % 30000)}]: Accepted publickey ` +
        `for deploy from ${source} port ${1024 + (i % 60000)} ssh2: ED25519 ` +
        `SHA256:${(i * 2654435761 >>> 0).toString(16)}`;
  },

  windows(i) {
    const time = new Date(START + i * 100).toISOString();
    return JSON.stringify({
      TimeCreated: time,
      EventID: 1,
      Channel: "Microsoft-Windows-Sysmon/Operational",
      Hostname: `WKS${i % 40}`,
      User: `CORP\\user${i % 300}`,
      Image: "C:\\Windows\\System32\\cmd.exe",
      CommandLine: `cmd.exe /c echo ${i}`,
      ParentImage: "C:\\Windows\\explorer.exe",
      ProcessId: String(4000 + (i % 60000)),
      Hashes: `SHA256=${(i * 40503 >>> 0).toString(16).padStart(64, "0")}`,
    });
  },

  csv(i) {
    return i === 0
      ? "time,src_ip,dst_ip,dst_port,action,bytes"
      : `${new Date(START + i * 100).toISOString()},10.0.${(i >> 8) & 255}.${
        i & 255
      },198.51.100.${i % 250},${[53, 80, 443][i % 3]},${
        i % 7 ? "allow" : "deny"
      },${i * 13 % 100000}`;
  },

  zeek: zeekConn,

  ndjson(i) {
    return JSON.stringify({
      time: new Date(START + i * 100).toISOString(),
      src_ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      dst_ip: `198.51.100.${i % 250}`,
      query: `host${i % 5000}.example.org`,
      answers: [`192.0.2.${i % 250}`],
    });
  },
};

/** The header block Zeek's ASCII writer puts before conn.log's lines. */
export const ZEEK_CONN_HEADER = [
  "#separator \\x09",
  "#set_separator\t,",
  "#empty_field\t(empty)",
  "#unset_field\t-",
  "#path\tconn",
  "#open\t2026-11-02-00-00-00",
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t" +
  "service\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\t" +
  "local_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\t" +
  "resp_pkts\tresp_ip_bytes\ttunnel_parents",
  "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\t" +
  "interval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\t" +
  "count\tcount\tcount\tset[string]",
].join("\n");

const STATES = ["SF", "S0", "REJ", "RSTO", "SH", "OTH"];
const SERVICES = ["ssl", "dns", "http", "-", "ssh"];

/** A conn.log line of Zeek's ASCII writer; the header comes with line 0. */
function zeekConn(i: number): string {
  const ts = ((START + i * 37) / 1000).toFixed(6);
  const short = i % 5 === 1;
  const line = [
    ts,
    `C${(i * 2654435761 >>> 0).toString(36)}${(i % 997).toString(36)}`,
    `10.0.${(i >> 8) & 255}.${i & 255}`,
    String(1024 + (i % 64000)),
    `198.51.100.${i % 250}`,
    String([443, 53, 80, 22, 8080][i % 5]),
    i % 5 === 1 ? "udp" : "tcp",
    SERVICES[i % 5],
    short ? "-" : (i % 3000 / 7).toFixed(6),
    short ? "-" : String(i % 100000),
    short ? "-" : String((i * 7) % 1000000),
    STATES[i % 6],
    "T",
    i % 4 ? "F" : "T",
    "0",
    ["ShADadFf", "S", "Sr", "ShADadR", "Dd"][i % 5],
    String(1 + (i % 60)),
    String(60 + (i % 60000)),
    String(i % 50),
    String(i % 80000),
    i % 1000 ? "(empty)" : "CHhAvVGS1DHFjwGM9",
  ].join("\t");
  return i === 0 ? `${ZEEK_CONN_HEADER}\n${line}` : line;
}

/** Parameters each collector needs for the generated lines. */
export const FORMAT_PARAMS: Record<string, string[]> = {
  auth: ["-p", "year=2026"],
  csv: ["-p", "table=bench_csv"],
  ndjson: ["-p", "table=bench_ndjson"],
};
