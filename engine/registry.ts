/**
 * Finds, imports and checks modules.
 *
 * Modules live in a root folder with one subfolder per kind (`analyzers/`,
 * `collectors/`, `connectors/`, `outputs/`), nested as deep as their authors
 * like. The built-in root is this repository's `modules/`; private packs add
 * roots through `GUMMER_PATH` or `--modules`. A module that cannot be used is
 * reported as a problem with its file and reason, and the rest still load.
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { GummerError, messageOf, UsageError } from "./errors.ts";
import type {
  AnalyzerModule,
  Kind,
  ModuleKinds,
  ParamSpec,
  TableSpec,
} from "./types.ts";

/** The kinds, in the order lists and help show them. */
export const KINDS: readonly Kind[] = [
  "analyzers",
  "collectors",
  "connectors",
  "outputs",
];

/** The folder of modules that ships with Gummer. */
export const BUILTIN_ROOT = new URL("../modules/", import.meta.url);

const SINGULAR: Record<Kind, string> = {
  analyzers: "analyzer",
  collectors: "collector",
  connectors: "connector",
  outputs: "output",
};

const AID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const SQL_NAME_PATTERN = /^[a-z_][a-z0-9_]*$/;
const PARAM_TYPES = new Set(["string", "integer", "number", "boolean", "time"]);

/** A module that loaded, with the file it came from. */
export interface Loaded<K extends Kind> {
  /** The folder kind it was found in. */
  kind: K;
  /** Its exports, checked against the kind's contract. */
  module: ModuleKinds[K];
  /** The absolute path of its file. */
  file: string;
}

/** A module file that could not be used, and why. */
export interface Problem {
  /** The file or folder concerned. */
  file: string;
  /** What is wrong with it. */
  reason: string;
}

/** Where to look for modules besides the built-in ones. */
export interface RegistryOptions {
  /** Extra roots, each with kind subfolders. Default: none. */
  roots?: string[];
  /** Include the modules that ship with Gummer. Default: true. */
  builtin?: boolean;
}

/** All the modules Gummer found, by kind and aid. */
export class Registry {
  readonly #modules = new Map<Kind, Map<string, Loaded<Kind>>>();
  readonly #clashes = new Map<string, string[]>();
  readonly #problems: Problem[] = [];

  /** Files that could not be used, and aids that more than one file took. */
  get problems(): Problem[] {
    const clashes = [...this.#clashes].map(([key, files]) => ({
      file: files[files.length - 1],
      reason: clashReason(key, files),
    }));
    return [...this.#problems, ...clashes];
  }

  /** Records a file that could not be used. */
  addProblem(problem: Problem): void {
    this.#problems.push(problem);
  }

  /**
   * Adds a loaded module. When a second module of the kind claims the same
   * aid, neither is used: which one the hunter meant cannot be guessed.
   */
  add<K extends Kind>(loaded: Loaded<K>): void {
    const key = `${loaded.kind}/${loaded.module.aid}`;
    const clash = this.#clashes.get(key);
    if (clash) {
      clash.push(loaded.file);
      return;
    }

    const byAid = this.#modules.get(loaded.kind) ?? new Map();
    this.#modules.set(loaded.kind, byAid);
    const first = byAid.get(loaded.module.aid);
    if (!first) {
      byAid.set(loaded.module.aid, loaded);
      return;
    }
    byAid.delete(loaded.module.aid);
    this.#clashes.set(key, [first.file, loaded.file]);
  }

  /** The modules of one kind, sorted by aid. */
  list<K extends Kind>(kind: K): Loaded<K>[] {
    const byAid = this.#modules.get(kind) ?? new Map();
    return [...byAid.values()]
      .sort((a, b) => compareText(a.module.aid, b.module.aid)) as Loaded<K>[];
  }

  /**
   * The module of a kind with an aid. An unknown aid is a usage error that
   * names the aids that exist; a duplicated one names both files.
   */
  get<K extends Kind>(kind: K, aid: string): ModuleKinds[K] {
    const loaded = this.#modules.get(kind)?.get(aid);
    if (loaded) return loaded.module as ModuleKinds[K];

    const key = `${kind}/${aid}`;
    const clash = this.#clashes.get(key);
    if (clash) {
      throw new GummerError(`Cannot use ${aid}: ${clashReason(key, clash)}`);
    }

    const known = this.list(kind).map((l) => l.module.aid).join(", ");
    throw new UsageError(
      `Unknown ${SINGULAR[kind]} "${aid}". ` +
        (known ? `Known ${kind}: ${known}.` : `No ${kind} are installed.`),
    );
  }
}

/**
 * Loads the built-in modules and those of extra roots.
 *
 * @example Listing the analyzers that ship with Gummer
 * ```ts
 * import { loadRegistry } from "./registry.ts";
 * const registry = await loadRegistry();
 * const aids = registry.list("analyzers").map((l) => l.module.aid);
 * if (!aids.includes("apt_ips")) throw new Error("apt_ips is missing");
 * ```
 */
export async function loadRegistry(
  options: RegistryOptions = {},
): Promise<Registry> {
  const registry = new Registry();
  const roots = (options.roots ?? []).map((root) => resolve(root));
  if (options.builtin ?? true) roots.unshift(fileURLToPath(BUILTIN_ROOT));

  const found: { kind: Kind; file: string }[] = [];
  for (const root of roots) {
    if (!isDirectory(root)) {
      registry.addProblem({ file: root, reason: "no such module folder" });
      continue;
    }
    const kinds = KINDS.filter((kind) => isDirectory(join(root, kind)));
    if (kinds.length === 0) {
      registry.addProblem({
        file: root,
        reason: `holds none of the folders ${KINDS.join("/, ")}/`,
      });
    }
    for (const kind of kinds) {
      for (const file of moduleFiles(join(root, kind))) {
        found.push({ kind, file });
      }
    }
  }

  // Import in parallel, then register in file order so that duplicate
  // reports and lists do not depend on which import finished first.
  const settled = await Promise.allSettled(
    found.map(({ file }) => import(pathToFileURL(file).href)),
  );
  settled.forEach((outcome, i) => {
    const { kind, file } = found[i];
    if (outcome.status === "rejected") {
      const reason = `cannot be imported: ${firstLine(outcome.reason)}`;
      registry.addProblem({ file, reason });
      return;
    }
    const checked = checkModule(kind, outcome.value);
    if (typeof checked === "string") {
      registry.addProblem({ file, reason: checked });
      return;
    }
    registry.add({ kind, module: checked, file });
  });
  return registry;
}

/**
 * The roots named by a path list such as `GUMMER_PATH`, in order, without
 * empty entries.
 */
export function splitPathList(list: string | undefined): string[] {
  const separator = Deno.build.os === "windows" ? ";" : ":";
  return (list ?? "").split(separator).filter((part) => part.trim() !== "");
}

/** Paths of the module files under a folder, sorted, recursively. */
function moduleFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(folder)) {
    if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory) files.push(...moduleFiles(path));
    else if (isModuleFile(entry.name)) files.push(path);
  }
  return files.sort(compareText);
}

function isModuleFile(name: string): boolean {
  if (name.endsWith("_test.ts") || name.endsWith(".d.ts")) return false;
  return name.endsWith(".ts") || name.endsWith(".js");
}

/**
 * Checks a module namespace against its kind's contract. Returns the module
 * object, or the reason it cannot be used. A module may use named exports,
 * as the original tool's did, or a default export from a `define*` helper.
 */
function checkModule<K extends Kind>(
  kind: K,
  namespace: Record<string, unknown>,
): ModuleKinds[K] | string {
  const fromDefault = namespace.default as Record<string, unknown> | undefined;
  const source = fromDefault && typeof fromDefault === "object" &&
      "aid" in fromDefault
    ? fromDefault
    : namespace;
  const module = { ...source };

  const missing = ["aid", "name", "desc", "launch"]
    .filter((field) => module[field] === undefined);
  if (missing.length > 0) return `does not export ${missing.join(", ")}`;
  if (typeof module.aid !== "string" || !AID_PATTERN.test(module.aid)) {
    return `aid ${JSON.stringify(module.aid)} must be lower-case letters, ` +
      "digits, _ or -";
  }
  for (const field of ["name", "desc"]) {
    if (typeof module[field] !== "string") return `${field} must be a string`;
  }
  if (typeof module.launch !== "function") return "launch must be a function";

  const specific = kind === "collectors"
    ? checkTables(module.tables) ?? checkParams(module.params, "params")
    : kind === "analyzers"
    ? checkParams((module as unknown as AnalyzerModule).params, "params")
    : kind === "connectors"
    ? checkParams(module.settings, "settings")
    : undefined;
  return specific ?? module as unknown as ModuleKinds[K];
}

function checkTables(tables: unknown): string | undefined {
  // An empty list is allowed: a generic collector's table comes from its
  // parameters and its input (csv's -p table=NAME and header).
  if (!Array.isArray(tables)) {
    return "a collector must export tables, the tables it writes";
  }
  for (const table of tables as TableSpec[]) {
    if (!SQL_NAME_PATTERN.test(table?.name ?? "")) {
      return `table name ${JSON.stringify(table?.name)} is not a plain ` +
        "lower-case SQL name";
    }
    const bad = (table.columns ?? []).find((column) =>
      !SQL_NAME_PATTERN.test(column.name)
    );
    if (!Array.isArray(table.columns) || table.columns.length === 0 || bad) {
      return `table ${table.name} needs columns with plain lower-case names`;
    }
  }
}

function checkParams(specs: unknown, field: string): string | undefined {
  if (specs === undefined) return;
  if (typeof specs !== "object" || specs === null) {
    return `${field} must be an object of parameter declarations`;
  }
  for (const [key, spec] of Object.entries(specs as Record<string, unknown>)) {
    const type = (spec as ParamSpec | undefined)?.type;
    if (!PARAM_TYPES.has(type as string)) {
      return `${field}.${key} has type ${JSON.stringify(type)}; expected ` +
        [...PARAM_TYPES].join(", ");
    }
  }
}

function clashReason(key: string, files: string[]): string {
  const [kind, aid] = key.split("/");
  return `${files.length} ${kind} have the aid "${aid}": ${files.join(", ")}`;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  return messageOf(error).split("\n")[0];
}

/** Orders text by code unit, the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A file's path relative to the working folder, for shorter messages. */
export function displayPath(file: string): string {
  const shown = relative(Deno.cwd(), file);
  return shown.startsWith("..") ? file : shown;
}
