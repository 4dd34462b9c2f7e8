/**
 * The loader worker of the SQLite connector: it opens the database file
 * on its own connection and inserts the batches the connection posts to
 * it, while the thread that posted them goes on parsing the log. Each
 * batch is acknowledged once inserted, so that the poster keeps only a
 * few in flight.
 *
 * Messages in: `{ start: { path, table } }`, then `{ batch }` for each
 * batch, then `{ end: true }`, or `{ abort: reason }` to roll back what
 * is not committed. Messages out: `{ ack: true }` per batch inserted,
 * then `{ done: rows }` or `{ error: message }`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { messageOf } from "../../engine/errors.ts";
import type { Batch, TableSpec } from "../../engine/types.ts";
import { loadBatches, openDatabase } from "./_sqlite_load.ts";

/** What the connection posts to the worker. */
export type LoaderRequest =
  | { start: { path: string; table: TableSpec } }
  | { batch: Batch }
  | { end: true }
  | { abort: string };

/** What the worker posts back. */
export type LoaderReply =
  | { ack: true }
  | { done: number }
  | { error: string };

const queue: LoaderRequest[] = [];
let wake: (() => void) | undefined;

self.onmessage = (event: MessageEvent<LoaderRequest>) => {
  const request = event.data;
  if ("start" in request) {
    load(request.start.path, request.start.table);
    return;
  }
  queue.push(request);
  wake?.();
};

function reply(message: LoaderReply): void {
  self.postMessage(message);
}

async function next(): Promise<LoaderRequest> {
  while (queue.length === 0) {
    await new Promise<void>((resolve) => wake = resolve);
  }
  return queue.shift()!;
}

/** The batches as they arrive, each acknowledged when the next is asked for. */
async function* arriving(): AsyncGenerator<Batch> {
  for (;;) {
    const request = await next();
    if ("end" in request) return;
    if ("abort" in request) throw new Error(request.abort);
    if ("batch" in request) {
      yield request.batch;
      reply({ ack: true });
    }
  }
}

async function load(path: string, table: TableSpec): Promise<void> {
  try {
    const db = openDatabase(path);
    try {
      reply({ done: await loadBatches(db, { table, batches: arriving() }) });
    } finally {
      db.close();
    }
  } catch (error) {
    reply({ error: messageOf(error) });
  }
}
