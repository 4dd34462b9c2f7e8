/**
 * Log inputs named on the command line or in a notebook: files, and `-` for
 * standard input. Every input is checked before anything is collected, so
 * that a typo in the tenth file name does not leave nine files half-loaded.
 *
 * @module
 */

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

/**
 * Turns names into inputs: `-` is standard input, anything else a file that
 * must exist and be readable. Inputs that are already `Input`s pass through.
 */
export function resolveInputs(names: (string | Input)[]): Input[] {
  if (names.length === 0) {
    throw new GummerError(
      "No log files to collect: name them after the collector, or - for " +
        "standard input.",
    );
  }
  if (names.filter((name) => name === "-").length > 1) {
    throw new GummerError("Standard input (-) can be collected only once.");
  }
  return names.map((name) => {
    if (typeof name !== "string") return name;
    if (name === "-") return stdinInput();
    checkReadable(name);
    return fileInput(name);
  });
}

function checkReadable(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : messageOf(error);
    throw new GummerError(`Cannot read "${path}": ${why}.`);
  }
  if (info.isDirectory) {
    throw new GummerError(
      `Cannot read "${path}": it is a folder; name the log files in it.`,
    );
  }
}
