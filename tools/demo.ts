/**
 * `deno task demo`: a whole hunt on generated data. Writes three days of
 * Squid logs with planted attacks into `demo-data/`, collects them into a
 * fresh embedded database there, and runs every analyzer of proxy logs
 * through the same command line a hunter types.
 *
 * @module
 */

import { join } from "node:path";
import { runCli } from "../engine/cli.ts";
import { loadRegistry } from "../engine/registry.ts";
import { writeSample } from "./squid_sample.ts";

const DIR = "demo-data";
const DATABASE = join(DIR, "gummer.db");

const encoder = new TextEncoder();
const io = {
  stdout: async (text: string) => {
    await Deno.stdout.write(encoder.encode(text));
  },
  stderr: (text: string) => void Deno.stderr.writeSync(encoder.encode(text)),
  width: Deno.stdout.isTerminal() ? Deno.consoleSize().columns : undefined,
};

/** Runs the demo; returns the exit status of the first step that failed. */
async function main(): Promise<number> {
  // A fresh database each time: collecting the same logs twice would count
  // every hit twice.
  Deno.mkdirSync(DIR, { recursive: true });
  for (const suffix of [".db", ".db-wal", ".db-shm", ".rejects.ndjson"]) {
    removeIfThere(join(DIR, `gummer${suffix}`));
  }
  Deno.env.set("GUMMER_SQLITE", DATABASE);

  const files = await writeSample(DIR);
  const collect = ["-c", "squid", ...files];
  const status = await step(collect);
  if (status !== 0) return status;

  // Only the analyzers that can read a proxy's log: the others would just
  // say that their Zeek, Windows or web tables are missing.
  const registry = await loadRegistry();
  const proxyAnalyzers = registry.list("analyzers")
    .filter(({ module }) => module.tables?.includes("squid"));
  for (const { module } of proxyAnalyzers) {
    const status = await step(["-a", module.aid]);
    if (status !== 0) return status;
  }

  await io.stdout(
    `\nThe database is ${DATABASE}. Go on hunting in it, for example:\n` +
      `  GUMMER_SQLITE=${DATABASE} deno task gummer -a apt_time -p limit=3\n`,
  );
  return 0;
}

/** Shows the command as a hunter would type it, then runs it. */
async function step(args: string[]): Promise<number> {
  await io.stdout(`\n$ deno task gummer ${args.join(" ")}\n`);
  return await runCli(args, io);
}

function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

if (import.meta.main) {
  // Like the gummer task: work in the folder the command was typed in.
  const invokedIn = Deno.env.get("INIT_CWD");
  if (invokedIn) Deno.chdir(invokedIn);
  Deno.exit(await main());
}
