/**
 * Log inputs named on the command line or in a notebook: files, folders
 * (read recursively, in a stable order), glob patterns, and `-` for
 * standard input. Every input is checked before anything is collected, so
 * that a typo in the tenth name does not leave nine files half-loaded.
 *
 * @module
 */

import { globSync } from "node:fs";
import { basename, join } from "node:path";
import { GummerError, messageOf } from "./errors.ts";
import type { Input } from "./types.ts";

/** Reads a file from disk. */
export function fileInput(path: string): Input {
  return {
    name: path,
    async open() {
      const file = await Deno.open(path, { read: true });
      return file.readable;
    },
  };
}

/** Reads standard input; it can be read only once. */
export function stdinInput(): Input {
  return { name: "-", open: () => Promise.resolve(Deno.stdin.readable) };
}

/** How names become inputs. */
export interface ResolveOptions {
  /**
   * Patterns (`*.log`, `conn.*`) that files inside a folder must match to
   * be read; a file named directly is always read. Default: every file.
   */
  folderFiles?: readonly string[];
}

/** The inputs found, and the files inside folders that were passed over. */
export interface ResolvedInputs {
  /** What to read, in order. */
  inputs: Input[];
  /** Files inside named folders that match none of the patterns. */
  passedOver: string[];
}

/**
 * Turns names into inputs: `-` is standard input, a folder stands for the
 * files below it, a name with `*`, `?` or `[` that is not a file is a glob
 * pattern, and anything else is a file that must exist. Inputs that are
 * already `Input`s pass through. A file reached twice is read once.
 *
 * @example
 * ```ts
 * import { resolveInputs } from "./inputs.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/b.log`, "x\n");
 * Deno.writeTextFileSync(`${dir}/a.log`, "x\n");
 * Deno.writeTextFileSync(`${dir}/notes.txt`, "x\n");
 * const found = resolveInputs([dir], { folderFiles: ["*.log"] });
 * const names = found.inputs.map((input) => input.name);
 * if (names.join() !== `${dir}/a.log,${dir}/b.log`) throw new Error();
 * if (found.passedOver.join() !== `${dir}/notes.txt`) throw new Error();
 * ```
 */
export function resolveInputs(
  names: (string | Input)[],
  options: ResolveOptions = {},
): ResolvedInputs {
  if (names.length === 0) {
    throw new GummerError(
      "No log files to collect: name them after the collector, or - for " +
        "standard input.",
    );
  }
  if (names.filter((name) => name === "-").length > 1) {
    throw new GummerError("Standard input (-) can be collected only once.");
  }

  const accepts = fileMatcher(options.folderFiles);
  const inputs: Input[] = [];
  const passedOver: string[] = [];
  const seen = new Set<string>();
  const add = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    inputs.push(fileInput(path));
  };

  for (const name of names) {
    if (typeof name !== "string") inputs.push(name);
    else if (name === "-") inputs.push(stdinInput());
    else if (isGlob(name) && !exists(name)) expandGlob(name).forEach(add);
    else if (statOf(name).isDirectory) {
      for (const file of filesBelow(name)) {
        if (accepts(basename(file))) add(file);
        else passedOver.push(file);
      }
    } else add(name);
  }
  if (inputs.length === 0) {
    throw new GummerError(
      `No log files to collect in ${names.join(", ")}: the ` +
        `${passedOver.length} files there match none of ` +
        `${options.folderFiles?.join(", ")}.`,
    );
  }
  return { inputs, passedOver };
}

function isGlob(name: string): boolean {
  return /[*?[]/.test(name);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function expandGlob(pattern: string): string[] {
  const matches = globSync(pattern).filter((path) => statOf(path).isFile).sort(
    compare,
  );
  if (matches.length === 0) {
    throw new GummerError(`Cannot read "${pattern}": no file matches it.`);
  }
  return matches;
}

/** The files below a folder, depth first, each folder's entries by name. */
function filesBelow(folder: string): string[] {
  const entries = [...Deno.readDirSync(folder)]
    .filter((entry) => !entry.name.startsWith("."))
    .sort((a, b) => compare(a.name, b.name));
  return entries.flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory) return filesBelow(path);
    return entry.isFile ? [path] : [];
  });
}

function statOf(path: string): Deno.FileInfo {
  try {
    return Deno.statSync(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : messageOf(error);
    throw new GummerError(`Cannot read "${path}": ${why}.`);
  }
}

/**
 * A test of file names against patterns with `*` and `?`, matched against
 * the whole name: `*.log` takes `conn.log` and not `conn.log.bak`.
 */
export function fileMatcher(
  patterns: readonly string[] | undefined,
): (name: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const expressions = patterns.map((pattern) =>
    new RegExp(
      `^${
        pattern.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("*", ".*")
          .replaceAll("?", ".")
      }$`,
    )
  );
  return (name) => expressions.some((expression) => expression.test(name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
