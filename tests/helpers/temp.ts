/** Small helpers shared by the tests. */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Writes files (path relative to a new temp folder → content), returns it. */
export function tempTree(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "gummer-test-" });
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    Deno.mkdirSync(join(full, ".."), { recursive: true });
    Deno.writeTextFileSync(full, content);
  }
  return root;
}

/** The text of a module file with the given fields, for registry tests. */
export function moduleSource(
  fields: Record<string, unknown>,
  launch = "export function launch() {}",
): string {
  const exports = Object.entries(fields)
    .map(([key, value]) => `export const ${key} = ${JSON.stringify(value)};`);
  return [...exports, launch].join("\n");
}

/** An environment with only the given variables. */
export function envOf(vars: Record<string, string>) {
  return (name: string): string | undefined => vars[name];
}

/** The project's root folder. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
