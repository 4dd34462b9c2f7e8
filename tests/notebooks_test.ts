/**
 * The notebooks run headless and never lose an output. Each notebook in
 * notebooks/ (and a small fixture of our own) is executed three times in a
 * row by tools/run_notebooks.py, which checks that every code cell shows
 * the kinds of output committed with it (an HTML table, an SVG chart) and
 * no error. The Deno kernel sometimes publishes outputs after it reports a
 * cell idle; the runner's grace period must catch every one of them, so
 * each run must report none past it. An executed notebook exported with
 * `jupyter nbconvert --to html` must still hold its charts' marks, and,
 * where Chromium is installed, show them on screen.
 */

import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { inflateSync } from "node:zlib";
import { parseHTML } from "linkedom";
import { DATASETS } from "./helpers/datasets.ts";
import { ROOT } from "./helpers/temp.ts";

/** Debian's Python, which has Debian's Jupyter packages. */
const PYTHON = "/usr/bin/python3";
const RUNNER = join(ROOT, "tools/run_notebooks.py");
const CHROMIUM = "/usr/bin/chromium";
/** A screenshot takes about 2 s; a browser that hangs must not hang CI. */
const CHROMIUM_SECONDS = 60;
const FIXTURE = join(ROOT, "tests/fixtures/notebook_outputs.ipynb");

/** The fixture's bar colour (see its chart cell). */
const FIXTURE_BAR_RGB = [0xe4, 0x57, 0x2e];

const NOTEBOOKS = [
  FIXTURE,
  ...[...Deno.readDirSync(join(ROOT, "notebooks"))]
    .filter((entry) => entry.isFile && entry.name.endsWith(".ipynb"))
    .map((entry) => join(ROOT, "notebooks", entry.name))
    .sort(),
];

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  signal?: AbortSignal,
): Promise<Ran> {
  const output = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    signal,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

/**
 * Why notebooks cannot run here, or undefined when they can. In CI they
 * must run: .ci/run installs Jupyter and registers the kernel, so a
 * missing piece there is a failure, not a skip.
 */
function unavailable(): string | undefined {
  const reason = missingPiece();
  if (reason && Deno.env.get("CI")) {
    throw new Error(`Notebooks cannot run in CI: ${reason} (see .ci/run)`);
  }
  return reason && `skipped: ${reason}`;
}

function missingPiece(): string | undefined {
  let probe;
  try {
    probe = new Deno.Command(PYTHON, {
      args: [RUNNER, "--probe"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return `no ${PYTHON}`;
    throw error;
  }
  // Exit status 3 means "cannot run here", and the last line says why;
  // any other failure is the runner's own bug.
  const said = new TextDecoder().decode(probe.stderr).trim();
  if (probe.code === 3) {
    const last = said.split("\n").at(-1)?.replace(/^run_notebooks: /, "");
    return last || "the runner cannot run notebooks here";
  }
  if (probe.code !== 0) throw new Error(`${RUNNER} --probe failed: ${said}`);

  try {
    new Deno.Command("jupyter-nbconvert", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "no jupyter-nbconvert";
    throw error;
  }
  return undefined;
}

const SKIP = unavailable();
const skipped = SKIP ? ` (${SKIP})` : "";

function readCells(path: string): Cell[] {
  return JSON.parse(Deno.readTextFileSync(path)).cells;
}

function text(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join("") : value ?? "";
}

function outputsOf(cells: Cell[]): Output[] {
  return cells.flatMap((cell) => cell.outputs ?? []);
}

/** A short notebook for the Deno kernel, cells given as sources. */
function notebook(cells: (string | Cell)[]): string {
  return JSON.stringify({
    cells: cells.map((cell, index) => ({
      cell_type: "code",
      id: `cell-${index + 1}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      ...(typeof cell === "string" ? { source: cell } : cell),
    })),
    metadata: {
      kernelspec: {
        name: "deno",
        display_name: "Deno",
        language: "typescript",
      },
    },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

// --- Every notebook, three times ----------------------------------------

/** The executed copies of the notebooks, for the export test. */
const executed = new Map<string, string>();
const work = Deno.makeTempDirSync({ prefix: "gummer-notebooks-" });

/**
 * Why a notebook cannot run here beyond Jupyter itself: the hunts read the
 * real logs in ../shared/datasets (or $GUMMER_DATASETS), which the dataset
 * tests also skip without.
 */
function notebookSkip(path: string): string | undefined {
  if (SKIP) return SKIP;
  const source = readCells(path).map((cell) => text(cell.source)).join("\n");
  const reads = source.includes("GUMMER_DATASETS");
  if (reads && !statOrNull(DATASETS)) return `skipped: no ${DATASETS}`;
  return undefined;
}

for (const path of NOTEBOOKS) {
  const name = basename(path);
  const skip = notebookSkip(path);
  Deno.test({
    name: `${name} runs three times with its committed outputs${
      skip ? ` (${skip})` : ""
    }`,
    ignore: skip !== undefined,
    async fn() {
      // A notebook committed without outputs would pass a check against
      // itself; it must show at least one table, and no error.
      const outputs = outputsOf(readCells(path));
      const html = outputs.map((output) => text(output.data?.["text/html"]));
      assert.ok(
        html.some((part) => part.includes("<table")),
        `${name} shows no HTML table in its committed outputs`,
      );
      const errors = outputs.filter((output) => output.output_type === "error");
      assert.deepEqual(errors, [], `${name} is committed with errors`);
      // nbconvert blanks image/svg+xml; a chart survives only as text/html.
      for (const output of outputs) {
        if (!output.data?.["image/svg+xml"]) continue;
        assert.match(text(output.data["text/html"]), /<svg/, name);
      }

      const copy = join(work, name);
      const ran = await run(PYTHON, [
        RUNNER,
        "--check",
        "--repeat",
        "3",
        "--output",
        copy,
        path,
      ]);
      assert.equal(ran.code, 0, ran.stderr);
      const runs = ran.stderr.match(/run \d of 3: .*/g) ?? [];
      assert.equal(runs.length, 3, ran.stderr);
      for (const line of runs) assert.match(line, / 0 past the grace$/);
      executed.set(path, copy);
    },
  });
}

// --- Export to HTML, and on screen --------------------------------------

/** The little of the DOM these tests read (Deno's types have no DOM). */
interface Element {
  getAttribute(name: string): string | null;
  children: { length: number };
  querySelectorAll(selectors: string): ArrayLike<Element> & Iterable<Element>;
}

function parse(html: string): Element {
  return (parseHTML(html) as unknown as { document: Element }).document;
}

/** Each chart as its marks: a mark's aria-label and how many shapes. */
function chartMarks(html: string): string[][] {
  const document = parse(`<html><body>${html}</body></html>`);
  return [...document.querySelectorAll("svg")].map((svg) =>
    [...svg.querySelectorAll("g[aria-label]")].map((group) =>
      `${group.getAttribute("aria-label")}: ${group.children.length}`
    )
  );
}

/** The executed copy of a notebook, running it once if no test has. */
async function executedCopy(path: string): Promise<string> {
  const known = executed.get(path);
  if (known) return known;
  const copy = join(work, `export-${basename(path)}`);
  const ran = await run(PYTHON, [RUNNER, "--output", copy, path]);
  assert.equal(ran.code, 0, ran.stderr);
  executed.set(path, copy);
  return copy;
}

async function exportHtml(copy: string): Promise<string> {
  const folder = Deno.makeTempDirSync({ dir: work, prefix: "html-" });
  const ran = await run("jupyter-nbconvert", [
    "--to",
    "html",
    "--output-dir",
    folder,
    copy,
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  return join(folder, basename(copy).replace(/\.ipynb$/, ".html"));
}

Deno.test({
  name: `an exported notebook keeps its charts' marks${skipped}`,
  ignore: SKIP !== undefined,
  async fn() {
    // The fixture, whose chart is known, and the first notebook with a
    // chart of Gummer's own (notebooks/ must have one).
    const charted = NOTEBOOKS.filter((path) =>
      !notebookSkip(path) &&
      outputsOf(readCells(path)).some((output) =>
        text(output.data?.["text/html"]).includes("<svg")
      )
    );
    assert.equal(charted[0], FIXTURE);
    assert.ok(charted.length > 1, "no notebook in notebooks/ has a chart");
    for (const path of charted.slice(0, 2)) {
      const copy = await executedCopy(path);
      const shown = outputsOf(readCells(copy))
        .map((output) => text(output.data?.["text/html"]))
        .filter((html) => html.includes("<svg"));
      const expected = shown.flatMap(chartMarks);
      assert.ok(expected.length > 0, `${copy} has no chart`);

      const page = Deno.readTextFileSync(await exportHtml(copy));
      assert.deepEqual(chartMarks(page), expected, basename(path));
    }

    // The fixture charts each host of its table as a bar.
    const page = Deno.readTextFileSync(
      await exportHtml(await executedCopy(FIXTURE)),
    );
    const document = parse(page);
    const bars = document.querySelectorAll('svg g[aria-label="bar"] rect');
    const rows = document.querySelectorAll("table tbody tr");
    assert.ok(rows.length > 1, "the fixture's table has lost its rows");
    assert.equal(bars.length, rows.length);
  },
});

const NO_CHROMIUM = statOrNull(CHROMIUM) ? undefined : `no ${CHROMIUM}`;
const shotSkip = SKIP ?? (NO_CHROMIUM && `skipped: ${NO_CHROMIUM}`);

Deno.test({
  name: `an exported notebook shows its chart in Chromium${
    shotSkip ? ` (${shotSkip})` : ""
  }`,
  ignore: shotSkip !== undefined,
  async fn() {
    const page = await exportHtml(await executedCopy(FIXTURE));
    const shot = join(work, "fixture.png");
    const profile = Deno.makeTempDirSync({ dir: work, prefix: "chromium-" });
    // Flags from NOTES.md: headless as root, and nothing that would reach
    // the network.
    const ran = await run(CHROMIUM, [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      "--window-size=1000,1600",
      `--screenshot=${shot}`,
      `file://${page}`,
    ], AbortSignal.timeout(CHROMIUM_SECONDS * 1000));
    assert.equal(ran.code, 0, ran.stderr);

    // The four bars cover about 11,000 pixels of a colour that nothing
    // else on the page has; a chart blanked by the export would leave none.
    const image = decodePng(Deno.readFileSync(shot));
    let painted = 0;
    for (let i = 0; i < image.pixels.length; i += image.channels) {
      const [r, g, b] = image.pixels.subarray(i, i + 3);
      if (
        r === FIXTURE_BAR_RGB[0] && g === FIXTURE_BAR_RGB[1] &&
        b === FIXTURE_BAR_RGB[2]
      ) painted++;
    }
    assert.ok(painted > 5000, `only ${painted} pixels of the bars' colour`);
  },
});

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}

/**
 * The pixels of an 8-bit, non-interlaced RGB or RGBA PNG, as Chromium
 * writes its screenshots: the IDAT chunks inflated, each row unfiltered.
 */
function decodePng(
  bytes: Uint8Array,
): { width: number; height: number; channels: number; pixels: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, channels = 0;
  for (let at = 8; at < bytes.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      assert.ok(depth === 8 && interlace === 0, "not an 8-bit flat PNG");
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      assert.ok(channels > 0, `PNG colour type ${colour} is not RGB(A)`);
    }
    if (type === "IDAT") idat.push(body);
    at += 12 + length;
  }

  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const corner = x >= channels && y > 0
        ? pixels[(y - 1) * stride + x - channels]
        : 0;
      pixels[y * stride + x] = (row[x] + predict(filter, left, up, corner)) &
        0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** PNG's row filters: none, sub, up, average, Paeth. */
function predict(filter: number, a: number, b: number, c: number): number {
  if (filter === 0) return 0;
  if (filter === 1) return a;
  if (filter === 2) return b;
  if (filter === 3) return (a + b) >> 1;
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// --- The runner itself --------------------------------------------------

Deno.test({
  name: `the runner writes outputs back, from the notebook's folder${skipped}`,
  ignore: SKIP !== undefined,
  async fn() {
    const folder = Deno.makeTempDirSync({ dir: work, prefix: "cwd-" });
    const path = join(folder, "plain.ipynb");
    Deno.writeTextFileSync(
      path,
      notebook([
        "Deno.cwd()",
        'console.log("to stdout");\nconsole.error("to stderr");',
        // Deno colours an inspected object unless NO_COLOR is set.
        '({ nested: [1, "two"] })',
      ]),
    );
    const ran = await run(PYTHON, [RUNNER, path]);
    assert.equal(ran.code, 0, ran.stderr);

    const cells = readCells(path);
    const plain = (cell: Cell) => text(cell.outputs?.[0]?.data?.["text/plain"]);
    assert.equal(plain(cells[0]), JSON.stringify(Deno.realPathSync(folder)));
    assert.deepEqual(
      cells[1].outputs?.map((output) => [output.name, text(output.text)]),
      [["stdout", "to stdout\n"], ["stderr", "to stderr\n"]],
    );
    assert.equal(plain(cells[2]), '{ nested: [ 1, "two" ] }');
    assert.doesNotMatch(Deno.readTextFileSync(path), /\\u001b/);
  },
});

Deno.test({
  name: `the runner names the notebook and cell that failed${skipped}`,
  ignore: SKIP !== undefined,
  async fn() {
    const folder = Deno.makeTempDirSync({ dir: work, prefix: "fail-" });
    const thrown = join(folder, "thrown.ipynb");
    const source = notebook(["1", 'throw new Error("planted failure")', "2"]);
    Deno.writeTextFileSync(thrown, source);
    const failed = await run(PYTHON, [RUNNER, thrown]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(
      failed.stderr,
      /thrown\.ipynb: cell 2 \(throw new Error\("planted failure"\)\) failed: Error: planted failure/,
    );
    // A failed run leaves the notebook as it was.
    assert.equal(Deno.readTextFileSync(thrown), source);

    const stuck = join(folder, "stuck.ipynb");
    Deno.writeTextFileSync(stuck, notebook(["await new Promise(() => {});"]));
    const timed = await run(PYTHON, [RUNNER, "--timeout", "1", stuck]);
    assert.equal(timed.code, 1, timed.stderr);
    assert.match(
      timed.stderr,
      /stuck\.ipynb: cell 1 \(await new Promise\(\(\) => \{\}\);\) did not finish within 1 s/,
    );
  },
});

Deno.test({
  name: `the runner's check fails when a cell shows other outputs${skipped}`,
  ignore: SKIP !== undefined,
  async fn() {
    const folder = Deno.makeTempDirSync({ dir: work, prefix: "check-" });
    const path = join(folder, "changed.ipynb");
    const table = {
      output_type: "display_data",
      metadata: {},
      data: { "text/html": "<table></table>", "text/plain": "table" },
    };
    // Committed: a table that the cell no longer shows, and no output for
    // a cell that shows one (a notebook committed unexecuted).
    const source = notebook([
      { cell_type: "code", source: "1 + 1", outputs: [table] },
      { cell_type: "code", source: '"new"', outputs: [] },
    ]);
    Deno.writeTextFileSync(path, source);
    const ran = await run(PYTHON, [RUNNER, "--check", path]);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(
      ran.stderr,
      /changed\.ipynb: cell 1 \(1 \+ 1\): missing display_data text\/html\+text\/plain; unexpected execute_result text\/plain/,
    );
    assert.match(
      ran.stderr,
      /changed\.ipynb: cell 2 \("new"\): missing nothing; unexpected execute_result text\/plain/,
    );
    assert.equal(Deno.readTextFileSync(path), source);
  },
});
