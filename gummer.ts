/**
 * The `gummer` command: `deno task gummer -h` for help.
 *
 * @module
 */

import { runCli } from "./engine/cli.ts";

if (import.meta.main) {
  // `deno task` runs in the project's folder; file names and the default
  // gummer.db mean the folder the hunter typed the command in.
  const invokedIn = Deno.env.get("INIT_CWD");
  if (invokedIn) Deno.chdir(invokedIn);

  const encoder = new TextEncoder();
  const stdout = Deno.stdout.writable.getWriter();
  const width = Deno.stdout.isTerminal()
    ? Deno.consoleSize().columns
    : undefined;

  const status = await runCli(Deno.args, {
    stdout: (text) => stdout.write(encoder.encode(text)),
    stderr: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
    width,
    stderrIsTerminal: Deno.stderr.isTerminal(),
  });
  // A reader such as `head` may have closed the pipe: nothing left to say.
  await stdout.close().catch(() => {});
  Deno.exit(status);
}
