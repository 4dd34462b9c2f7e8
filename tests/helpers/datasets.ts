/**
 * Real logs for analyzer tests: ../shared/datasets (or $GUMMER_DATASETS),
 * collected into a fresh database of every kind, with the reason a test
 * did not run when a dataset or a server is missing.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Input } from "../../engine/types.ts";
import type { Workbench } from "../../engine/workbench.ts";
import {
  createTarget,
  type Kind,
  KINDS,
  unavailable,
} from "../../tools/test_targets.ts";
import { ROOT } from "./temp.ts";

/** The folder of the real logs. */
export const DATASETS = Deno.env.get("GUMMER_DATASETS") ??
  join(ROOT, "..", "shared", "datasets");

/** A path inside the datasets folder. */
export function dataset(...parts: string[]): string {
  return join(DATASETS, ...parts);
}

/** Lines as a log input, named as a file would be. */
export function textInput(name: string, lines: string[]): Input {
  const text = lines.join("\n") + "\n";
  return { name, open: () => Promise.resolve(new Blob([text]).stream()) };
}

/** One collection to make before a test: a collector over logs. */
export interface Collection {
  /** The collector's aid. */
  collector: string;
  /** Files or folders, relative to the datasets folder. */
  paths?: string[];
  /** Small fixtures written in the test: file name to its lines. */
  files?: Record<string, string[]>;
  /** The collector's parameters, if any. */
  params?: Record<string, string>;
}

/**
 * Collects the datasets (and fixtures) into a fresh database of each kind (SQLite always,
 * PostgreSQL and MariaDB when their servers are configured) and runs `fn`
 * on it, as one test per kind. Missing datasets or servers make the test
 * ignored, with the reason in its name.
 */
export function onEveryDatabase(
  name: string,
  collections: Collection[],
  fn: (bench: Workbench, kind: Kind, t: Deno.TestContext) => Promise<void>,
  kinds: readonly Kind[] = KINDS,
): void {
  const missing = collections.flatMap((c) => c.paths ?? [])
    .find((path) => !existsSync(dataset(path)));
  for (const kind of kinds) {
    const skip = missing
      ? `skipped: dataset ${missing} not found`
      : unavailable(kind);
    Deno.test({
      name: `${name} (${kind})${skip ? ` (${skip})` : ""}`,
      ignore: skip !== undefined,
      async fn(t) {
        const target = await createTarget(kind);
        const bench = await target.open();
        try {
          for (const collection of collections) {
            const inputs = [
              ...(collection.paths ?? []).map((path) => dataset(path)),
              ...Object.entries(collection.files ?? {})
                .map(([name, lines]) => textInput(name, lines)),
            ];
            await bench.collect(collection.collector, inputs, {
              rejectFile: join(Deno.makeTempDirSync(), "rejects.ndjson"),
              params: collection.params,
            });
          }
          await fn(bench, kind, t);
        } finally {
          await bench.close();
          await target.drop();
        }
      },
    });
  }
}
