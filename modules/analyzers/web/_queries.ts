/**
 * Reading a query string as a web shell's operator writes it: commands
 * for the server's shell, plain or in base64, and the parameters of the
 * tunnelling shells (Tunna, reGeorg) that carry TCP through HTTP.
 *
 * @module
 */

/** What one query string shows. */
export type QueryEvidence = "command" | "tunnel";

/**
 * Parameter names that shells read their command from (China Chopper's
 * and most JSP/PHP shells' `cmd`, and its variants). Any value counts.
 */
const COMMAND_PARAMETERS = new Set([
  "cmd",
  "command",
  "exec",
  "execute",
  "shell",
  "cmdline",
]);

/** Commands too short to count unless a `;` or `|` comes before them. */
const SEPARATED_COMMANDS = ["whoami", "id", "uname", "cat", "ls", "dir"];

/**
 * Commands an operator runs first on a new foothold (who am I, what is
 * this machine, its network), shells called by path, and downloaders.
 * Short words that are also ordinary values (`id`, `ls`, `dir`) count
 * only with the text around them that a command line has: a flag, a
 * drive, a `;` or `|` before them.
 */
const COMMAND_TEXT = new RegExp(
  [
    String.raw`^\s*(whoami|ipconfig|ifconfig)(\s|$|;|\|)`,
    String.raw`^\s*(systeminfo|tasklist|netstat)(\s|$|;|\|)`,
    String.raw`^\s*(uname\s+-[a-z]+|ls\s+-[a-z]+|dir\s+[a-z]:|cat\s+/)`,
    String.raw`\bnet\s+(user|localgroup|group|view|share|use)\b`,
    String.raw`\bcmd(\.exe)?\s+/[ck]\b`,
    String.raw`\b(powershell|pwsh)(\.exe)?\s+-`,
    String.raw`/bin/(ba|z|da)?sh\b`,
    String.raw`\b(wget|curl)\s+(-\S+\s+)*(https?|ftp)://`,
    String.raw`\bnc(at)?\s+(-\S+\s+)*-e\b`,
    String.raw`\b(certutil|bitsadmin)(\.exe)?\s+[-/]`,
    String.raw`[;|]\s*(${SEPARATED_COMMANDS.join("|")})(\s|$)`,
    String.raw`\bchmod\s+[0-7+]`,
  ].join("|"),
  "i",
);

/**
 * Words, in lower case, that every query string `queryEvidence` flags
 * contains, so that SQL can set the rest aside before TypeScript reads
 * them: the parameter names, the commands' own words as a URL writes
 * them (`+` or `%20` for a space; in LIKE the `%` matches anything, which
 * only lets more through), and the base64 of a command at the start of a
 * value (the first whole three-byte groups of its text, which do not
 * change with what follows). The short commands that count only after a
 * `;` or `|` come with those written as `%3b` and `%7c` as well, the way
 * a browser or curl sends them. Not covered, so not found: base64 that
 * starts mid-command.
 */
export const QUERY_WORDS: readonly string[] = [
  ...new Set([
    ...["cmd", "command", "exec", "shell", "proxy", "whoami", "ipconfig"],
    ...["ifconfig", "systeminfo", "tasklist", "netstat", "uname", "pwsh"],
    ...["powershell", "certutil", "bitsadmin", "wget", "curl", "chmod"],
    ...["/bin/", "2fbin", "net+", "ls+-", "dir+", "cat+", "nc+", "ncat"],
    ...["net%20", "ls%20-", "dir%20", "cat%20", "nc%20"],
    ...[";", "|"],
    ...["%3b", "%7c"].flatMap((separator) =>
      SEPARATED_COMMANDS.map((command) => `${separator}%${command}`)
    ),
    ...[
      ...["whoami", "ipconfig", "ifconfig", "systeminfo", "tasklist"],
      ...["netstat", "uname", "ls -", "dir ", "cat ", "net ", "cmd", "pwsh"],
      ...["powershell", "/bin/", "wget ", "curl ", "nc ", "certutil"],
      ...["bitsadmin", "chmod "],
    ].map((command) => {
      const whole = command.slice(0, command.length - command.length % 3);
      return btoa(whole).toLowerCase();
    }),
  ]),
];

/** Base64 text long enough to hold a command; `=` padding at the end. */
const BASE64 = /^[A-Za-z0-9+/]{8,}={0,2}$/;

/**
 * Tunna keeps every request on `?proxy` and opens the tunnel with
 * `proxy&port=...&ip=...`; reGeorg drives its socket with `cmd=connect`
 * (with target and port), `read`, `forward` and `disconnect`.
 */
const REGEORG_COMMANDS = new Set(["connect", "disconnect", "read", "forward"]);

/**
 * What a raw query string (as logged, not decoded) shows, or undefined
 * when it looks like an ordinary one.
 */
export function queryEvidence(query: string): QueryEvidence | undefined {
  const parameters = query.split("&").map(parameter);
  const names = new Set(parameters.map(([name]) => name));

  const first = parameters[0];
  if (first[0] === "proxy" && first[1] === "") return "tunnel";
  const cmd = parameters.find(([name]) => name === "cmd");
  if (cmd && REGEORG_COMMANDS.has(cmd[1].toLowerCase())) {
    if (cmd[1].toLowerCase() !== "connect") return "tunnel";
    if (names.has("target") && names.has("port")) return "tunnel";
  }

  for (const [name, value] of parameters) {
    if (COMMAND_PARAMETERS.has(name) && value.trim() !== "") return "command";
    if (COMMAND_TEXT.test(value) || COMMAND_TEXT.test(decoded64(value))) {
      return "command";
    }
  }
  return undefined;
}

/** The tunnel's opening request outranks its traffic as an example. */
export function isTunnelSetup(query: string): boolean {
  const names = new Set(query.split("&").map((p) => parameter(p)[0]));
  return names.has("port") && (names.has("ip") || names.has("target"));
}

/** A `name=value` pair, both decoded, the name in lower case. */
function parameter(text: string): [string, string] {
  const equals = text.indexOf("=");
  const name = equals < 0 ? text : text.slice(0, equals);
  const value = equals < 0 ? "" : text.slice(equals + 1);
  return [decoded(name).toLowerCase(), decoded(value)];
}

/** Percent-decoding with `+` as a space; the raw text when malformed. */
function decoded(text: string): string {
  const spaced = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The text a base64 value holds, when it is base64 and decodes to
 * printable text; "" otherwise. Random tokens decode to binary and so
 * give "".
 */
function decoded64(value: string): string {
  const text = value.replaceAll(" ", "+");
  if (!BASE64.test(text) || text.length % 4 !== 0) return "";
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return "";
  }
  const printable = binary.replace(/[^\x20-\x7e\t\r\n]/g, "");
  return printable.length >= binary.length * 0.95 ? binary : "";
}
