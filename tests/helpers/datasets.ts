/**
 * Real logs for analyzer tests: ../shared/datasets (or $GUMMER_DATASETS),
 * collected into a fresh database of every kind, with the reason a test
 * did not run when a dataset or a server is missing.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
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

/** One collection to make before a test: a collector over paths. */
export interface Collection {
  /** The collector's aid. */
  collector: string;
  /** Files or folders, relative to the datasets folder. */
  paths: string[];
  /** The collector's parameters, if any. */
  params?: Record<string, string>;
}

/**
 * Collects the datasets into a fresh database of each kind (SQLite always,
 * PostgreSQL and MariaDB when their servers are configured) and runs `fn`
 * on it, as one test per kind. Missing datasets or servers make the test
 * ignored, with the reason in its name.
 */
export function onEveryDatabase(
  name: string,
  collections: Collection[],
  fn: (bench: Workbench, kind: Kind) => Promise<void>,
  kinds: readonly Kind[] = KINDS,
): void {
  const missing = collections.flatMap((c) => c.paths)
    .find((path) => !existsSync(dataset(path)));
  for (const kind of kinds) {
    const skip = missing
      ? `skipped: dataset ${missing} not found`
      : unavailable(kind);
    Deno.test({
      name: `${name} (${kind})${skip ? ` (${skip})` : ""}`,
      ignore: skip !== undefined,
      async fn() {
        const target = await createTarget(kind);
        const bench = await target.open();
        try {
          for (const collection of collections) {
            await bench.collect(
              collection.collector,
              collection.paths.map((path) => dataset(path)),
              {
                rejectFile: join(Deno.makeTempDirSync(), "rejects.ndjson"),
                params: collection.params,
              },
            );
          }
          await fn(bench, kind);
        } finally {
          await bench.close();
          await target.drop();
        }
      },
    });
  }
}
