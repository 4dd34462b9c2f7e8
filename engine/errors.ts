/**
 * The two errors callers catch. Everything a user can get wrong is one of
 * them, and the CLI shows their message without a stack trace.
 *
 * @module
 */

/** A mistake in how Gummer was called: exit status 2. */
export class UsageError extends Error {
  /** Tells usage errors apart in logs. */
  override name = "UsageError";
}

/**
 * A failure at run time that the user can act on: a missing file, a broken
 * module, a database that refuses a query. Exit status 1.
 */
export class GummerError extends Error {
  /** Tells Gummer's errors apart in logs. */
  override name = "GummerError";
}

/** The message of anything thrown, for logs and wrapped errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
