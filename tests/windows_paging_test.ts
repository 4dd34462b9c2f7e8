/**
 * pagesByTime on every database: paged, a query gives exactly the rows and
 * the order it gives in one statement, also where many rows share a time
 * across what would be a page's edge, with duplicate events, with a time
 * window, and when nothing matches.
 */

import assert from "node:assert/strict";
import {
  pagesByTime,
  type TimeOrderedQuery,
} from "../modules/analyzers/windows/_windows.ts";
import type { SqlValue } from "../engine/types.ts";
import type { Workbench } from "../engine/workbench.ts";
import { onEveryDatabase } from "./helpers/datasets.ts";

/** Event `i` at one of a few times, so that most times are shared. */
function line(i: number, second: number): string {
  return JSON.stringify({
    Hostname: `WS${i % 3}`,
    Channel: "Security",
    EventID: 4688,
    RecordNumber: i,
    TimeCreated: `2030-05-01T10:00:${String(second).padStart(2, "0")}.000Z`,
    NewProcessName: `C:\\Tools\\tool${i}.exe`,
  });
}

// 40 lines: 17 events in second 05 (a run longer than a page of 4), one alone
// in each of seconds 01 to 03, the rest spread over 07 to 09, and one
// event written twice (an overlapping export), which counts twice.
const LINES = [
  ...Array.from({ length: 17 }, (_, i) => line(i, 5)),
  line(17, 1),
  line(18, 2),
  line(19, 3),
  ...Array.from({ length: 19 }, (_, i) => line(20 + i, 7 + (i % 3))),
  line(4, 5),
];

const QUERY: TimeOrderedQuery = {
  columns: "host, record_id, process_image, time",
  table: "windows_events",
  where: "event_id = ? AND LOWER(channel) = 'security'",
  params: [4688],
  order: "time, host, record_id, event",
};

async function paged(
  bench: Workbench,
  query: TimeOrderedQuery,
  size: number,
): Promise<SqlValue[][]> {
  const rows: SqlValue[][] = [];
  for await (
    const row of pagesByTime(await bench.connect(), {
      ...query,
      pageRows: size,
    })
  ) {
    rows.push(row);
  }
  return rows;
}

onEveryDatabase("pagesByTime", [
  { collector: "windows", files: { "paging.json": LINES } },
], async (bench, _kind, t) => {
  const connection = await bench.connect();
  const whole = await connection.query(
    `SELECT ${QUERY.columns} FROM ${QUERY.table} WHERE ${QUERY.where}
     ORDER BY ${QUERY.order}`,
    QUERY.params,
  );
  assert.equal(whole.rows.length, LINES.length);

  for (const size of [1, 4, 5, 17, 40, 1000]) {
    await t.step(
      `pages of ${size} give the rows of one statement`,
      async () => {
        assert.deepEqual(await paged(bench, QUERY, size), whole.rows);
      },
    );
  }

  await t.step("a narrower WHERE, with its parameters first", async () => {
    const query = {
      ...QUERY,
      where: `${QUERY.where} AND time >= ? AND host <> ?`,
      params: [...QUERY.params, "2030-05-01 10:00:05", "WS1"],
    };
    const expected = whole.rows.filter(([host, , , time]) =>
      String(time) >= "2030-05-01 10:00:05" && host !== "WS1"
    );
    assert.ok(expected.length > 10);
    assert.deepEqual(await paged(bench, query, 3), expected);
  });

  await t.step("nothing matches: no page", async () => {
    const none = { ...QUERY, params: [4689] };
    assert.deepEqual(await paged(bench, none, 4), []);
  });
});
