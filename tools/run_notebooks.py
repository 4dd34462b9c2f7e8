#!/usr/bin/python3
"""Executes Jupyter notebooks headless on the Deno kernel without losing
outputs, writes them back with their outputs, or checks them.

    tools/run_notebooks.py notebooks/*.ipynb             # execute, write
    tools/run_notebooks.py --check --repeat 3 NOTEBOOK   # 3 runs, compare
    tools/run_notebooks.py --measure 30 \
      tests/fixtures/notebook_late_outputs.ipynb         # grace 0 vs grace
    tools/run_notebooks.py --probe                       # can they run?

Why not `jupyter nbconvert --execute`: the Deno kernel sometimes publishes a
cell's outputs after it has reported the cell idle, and nbclient stops
listening at idle, so it drops them. This runner keeps listening: it ends a
cell only once GRACE_SECONDS have passed without a message for it. An
output that still comes later (while a later cell runs) goes to its own
cell all the same, and is counted as past the grace; `--measure` counts how
many outputs a client that stops at idle would have lost.

Errors name the notebook and the cell by its position among all cells,
markdown ones included, with its first line.

Runs on Debian's /usr/bin/python3 with Debian's python3-jupyter-client and
python3-nbformat; nothing from pip. Exit status: 0 when every notebook ran
(and matched, with --check), 1 when a cell failed, timed out or did not
match, 2 for a usage error, 3 when notebooks cannot run here (no Jupyter
client, no Deno kernel), with the reason on stderr.
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# How long to keep listening after a cell's idle status, in seconds, for
# outputs the kernel publishes late. Measured with --measure (Deno 2.9, 2
# cores): late outputs came in 6-21 % of cells, at most 3.6 ms after idle
# on a quiet machine and 15 ms with both cores kept busy, once 58 ms in the
# first cell of a fresh kernel. Half a second is 8 times the worst of these;
# it costs half a second per code cell.
GRACE_SECONDS = 0.5

# A cell that runs longer than this fails the run (collecting data or
# loading a large dataset can take a while; an endless loop must not hang
# CI).
TIMEOUT_SECONDS = 300

# Starting the kernel and its first reply to kernel_info.
STARTUP_SECONDS = 60

# After the last cell of a --measure run, how long to wait for outputs that
# would come so late that a run would lose them for good.
DRAIN_SECONDS = 2.0

EXIT_FAILED = 1
EXIT_UNAVAILABLE = 3

INSTALL_HINT = (
    "apt-get install --no-install-recommends jupyter-client "
    "python3-jupyter-client python3-nbformat"
)
KERNEL_HINT = "register it with `deno jupyter --install --force`"


class Unavailable(Exception):
    """Notebooks cannot run on this machine; the message says why."""


class NotebookFailure(Exception):
    """A notebook did not run cleanly; the message names it and the cell."""


def load_jupyter():
    """Imports jupyter_client and nbformat, or says which package is
    missing: they come from Debian, and a Python without them (pyenv's, a
    virtualenv) is the usual cause."""
    try:
        import jupyter_client  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as error:
        raise Unavailable(
            f"{sys.executable} cannot import {error.name}: {INSTALL_HINT}"
        ) from None


def find_kernel(name):
    """The name of the Deno kernelspec: the one asked for, else "deno",
    else any kernelspec whose command is a deno executable."""
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    specs = manager.find_kernel_specs()
    if name and name not in specs:
        known = ", ".join(sorted(specs)) or "none"
        raise Unavailable(f'No kernelspec "{name}" (known: {known})')
    if "deno" not in specs:
        name = next(
            (
                candidate
                for candidate in sorted(specs)
                if Path(manager.get_kernel_spec(candidate).argv[0]).name
                == "deno"
            ),
            None,
        )
        if name is None:
            raise Unavailable(
                f"No Deno kernel is registered with Jupyter: {KERNEL_HINT}"
            )
    name = name or "deno"

    # The kernelspec names the deno that registered it, which may be gone.
    command = manager.get_kernel_spec(name).argv[0]
    if not shutil.which(command):
        raise Unavailable(
            f'The "{name}" kernel runs {command}, which is missing: '
            f"{KERNEL_HINT}"
        )
    return name


# --- One cell's execution ----------------------------------------------


@dataclass
class CellRun:
    """What one execute request produced, with arrival times (monotonic
    seconds) so late outputs can be counted."""

    index: int
    outputs: list = field(default_factory=list)
    execution_count: int = None
    reply_status: str = None
    idle_at: float = None
    last_at: float = None
    closed_at: float = None
    # Seconds after idle of every output that came after idle.
    after_idle: list = field(default_factory=list)
    # Outputs that came after the cell's window had closed: a client that
    # stops listening there (as nbclient does at idle) would drop them.
    after_window: int = 0
    # Pending clear_output(wait=True): clear at the next output.
    clear_pending: bool = False

    @property
    def errors(self):
        return [o for o in self.outputs if o["output_type"] == "error"]


OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error"}
CHANGES = {"clear_output", "update_display_data"}


def add_output(run, msg_type, content, displays):
    """Applies one iopub message to the cell's outputs as Jupyter does,
    merging a stream into the stream before it so that one cell's text is
    one output however the kernel chunked it. `displays` maps display ids
    to their outputs, in any cell, for update_display_data."""
    from nbformat.v4 import output_from_msg

    display_id = content.get("transient", {}).get("display_id")
    if msg_type == "update_display_data":
        for output in displays.get(display_id, []):
            output["data"] = content["data"]
            output["metadata"] = content.get("metadata", {})
        return
    if msg_type == "clear_output":
        if content.get("wait"):
            run.clear_pending = True
        else:
            run.outputs.clear()
        return
    if run.clear_pending:
        run.outputs.clear()
        run.clear_pending = False

    message = {"header": {"msg_type": msg_type}, "content": content}
    output = output_from_msg(message)
    last = run.outputs[-1] if run.outputs else None
    if (
        output["output_type"] == "stream"
        and last is not None
        and last["output_type"] == "stream"
        and last["name"] == output["name"]
    ):
        last["text"] += output["text"]
        return
    run.outputs.append(output)
    if display_id and output["output_type"] == "display_data":
        displays.setdefault(display_id, []).append(output)


class Kernel:
    """One Deno kernel, started in a notebook's folder, executing cells one
    at a time. A reader task per channel stamps each message as it arrives
    and routes it to the cell whose request it answers."""

    def __init__(self, name, cwd):
        self.name = name
        self.cwd = cwd
        self.runs = {}
        self.changed = asyncio.Event()
        self.stragglers = 0
        self.language_info = None
        self.failure = None
        self.displays = {}

    async def start(self):
        from jupyter_client.manager import AsyncKernelManager

        # NO_COLOR: text/plain forms would otherwise carry ANSI colours.
        env = dict(os.environ, NO_COLOR="1")
        self.manager = AsyncKernelManager(kernel_name=self.name)
        await self.manager.start_kernel(cwd=str(self.cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        try:
            await self.client.wait_for_ready(timeout=STARTUP_SECONDS)
        except RuntimeError as error:
            await self.stop()
            raise NotebookFailure(
                f"The {self.name} kernel did not start: {error}"
            ) from None
        self.readers = [
            asyncio.create_task(self.read(self.client.get_iopub_msg)),
            asyncio.create_task(self.read(self.client.get_shell_msg)),
        ]
        info = await self.request_info()
        self.language_info = info.get("language_info")

    async def request_info(self):
        future = asyncio.get_running_loop().create_future()
        msg_id = self.client.kernel_info()
        self.runs[msg_id] = future
        try:
            return await asyncio.wait_for(future, STARTUP_SECONDS)
        except asyncio.TimeoutError:
            return {}

    async def stop(self):
        for reader in getattr(self, "readers", []):
            reader.cancel()
        self.client.stop_channels()
        await self.manager.shutdown_kernel(now=True)

    async def read(self, get):
        # A message this runner cannot take stops the run rather than
        # leaving it to time out without a word.
        try:
            while True:
                msg = await get()
                self.route(msg, time.monotonic())
                self.changed.set()
        except Exception as error:
            self.failure = error
            self.changed.set()

    def route(self, msg, now):
        parent = msg.get("parent_header", {}).get("msg_id")
        run = self.runs.get(parent)
        msg_type = msg["header"]["msg_type"]
        content = msg["content"]
        if isinstance(run, asyncio.Future):
            if msg_type == "kernel_info_reply" and not run.done():
                run.set_result(content)
            return
        if run is None:
            return

        if msg_type == "execute_reply":
            run.reply_status = content.get("status")
            run.execution_count = content.get("execution_count")
            return
        if msg_type == "status":
            if content.get("execution_state") == "idle":
                run.idle_at = now
            return
        if msg_type == "execute_input":
            return
        if msg_type not in OUTPUT_TYPES and msg_type not in CHANGES:
            return

        run.last_at = now
        if run.idle_at is not None:
            run.after_idle.append(now - run.idle_at)
        if run.closed_at is not None:
            run.after_window += 1
            self.stragglers += 1
        add_output(run, msg_type, content, self.displays)

    async def wait_change(self, seconds):
        """Waits until a message arrives or the seconds pass."""
        if self.failure:
            raise NotebookFailure(
                f"Cannot read the kernel's messages: {self.failure!r}"
            ) from self.failure
        self.changed.clear()
        try:
            await asyncio.wait_for(self.changed.wait(), max(seconds, 0))
        except asyncio.TimeoutError:
            pass

    async def execute(self, index, code, timeout, grace):
        """Runs one cell: until its reply and idle status are in, then until
        `grace` seconds pass with no output for it."""
        run = CellRun(index)
        msg_id = self.client.execute(code, allow_stdin=False)
        self.runs[msg_id] = run

        deadline = time.monotonic() + timeout
        while run.idle_at is None or run.reply_status is None:
            left = deadline - time.monotonic()
            if left <= 0:
                run.closed_at = time.monotonic()
                return run, "timeout"
            if not await self.manager.is_alive():
                run.closed_at = time.monotonic()
                return run, "died"
            await self.wait_change(min(left, 1.0))

        while True:
            quiet_until = max(run.idle_at, run.last_at or 0) + grace
            left = quiet_until - time.monotonic()
            if left <= 0:
                break
            await self.wait_change(left)
        run.closed_at = time.monotonic()
        return run, "done"

    async def drain(self, seconds):
        await asyncio.sleep(seconds)


# --- A notebook --------------------------------------------------------


def cell_label(path, cell_number, source):
    first = source.strip().splitlines()[0] if source.strip() else "(empty)"
    if len(first) > 60:
        first = first[:57] + "..."
    return f"{path}: cell {cell_number} ({first})"


async def run_notebook(path, options, grace):
    """Executes every code cell of the notebook at `path` in a fresh kernel.
    Returns (notebook with new outputs, runs by cell index, stragglers)."""
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    kernel = Kernel(options.kernel_name, path.resolve().parent)
    await kernel.start()
    runs = {}
    try:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            label = cell_label(path, index + 1, cell.source)
            if not cell.source.strip():
                cell.outputs, cell.execution_count = [], None
                continue

            run, state = await kernel.execute(
                index, cell.source, options.timeout, grace
            )
            runs[index] = run
            cell.outputs = run.outputs
            cell.execution_count = run.execution_count
            if state == "timeout":
                raise NotebookFailure(
                    f"{label} did not finish within {options.timeout:g} s "
                    "(raise it with --timeout)"
                )
            if state == "died":
                raise NotebookFailure(f"{label}: the kernel died")
            if run.errors or run.reply_status == "error":
                raise NotebookFailure(f"{label} failed: {error_text(run)}")

        if options.drain:
            await kernel.drain(DRAIN_SECONDS)
    finally:
        await kernel.stop()

    if kernel.language_info:
        notebook.metadata["language_info"] = kernel.language_info
    return notebook, runs, kernel.stragglers


def error_text(run):
    for error in run.errors:
        return f"{error['ename']}: {error['evalue']}".strip(": ")
    return "the kernel reported an error without an error output"


def output_kinds(outputs):
    """What a cell showed, without the content: stream names, MIME types of
    displays and results, errors."""
    kinds = set()
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream":
            kinds.add(f"stream {output['name']}")
        elif kind in ("display_data", "execute_result"):
            kinds.add(f"{kind} {'+'.join(sorted(output['data']))}")
        else:
            kinds.add(kind)
    return kinds


def compare(path, committed, executed):
    """Why the executed notebook does not show what the committed one does:
    every code cell must show the same kinds of output. A cell committed
    without outputs must show none, so a notebook committed unexecuted
    cannot pass."""
    problems = []
    for index, (old, new) in enumerate(zip(committed.cells, executed.cells)):
        if old.cell_type != "code":
            continue
        want, got = output_kinds(old.outputs), output_kinds(new.outputs)
        if want != got:
            label = cell_label(path, index + 1, old.source)
            missing = ", ".join(sorted(want - got)) or "nothing"
            extra = ", ".join(sorted(got - want)) or "nothing"
            problems.append(f"{label}: missing {missing}; unexpected {extra}")
    return problems


# --- Commands ----------------------------------------------------------


async def execute_all(options):
    import nbformat

    for path in options.notebooks:
        committed = nbformat.read(str(path), as_version=4)
        for attempt in range(1, options.repeat + 1):
            started = time.monotonic()
            notebook, runs, stragglers = await run_notebook(
                path, options, options.grace
            )
            seconds = time.monotonic() - started
            late = sum(1 for run in runs.values() if run.after_idle)
            log(
                f"{path}: run {attempt} of {options.repeat}: "
                f"{len(runs)} code cells in {seconds:.1f} s, "
                f"{late} with outputs after idle, {stragglers} past the grace"
            )

            # --check leaves the committed notebook alone; with --output it
            # still writes each run there, for an export or a look at what
            # differs.
            target = options.output or (None if options.check else path)
            if target:
                nbformat.write(notebook, str(target))
            if options.check:
                problems = compare(path, committed, notebook)
                if problems:
                    raise NotebookFailure(
                        f"run {attempt} of {options.repeat} differs from the "
                        "committed outputs:\n  " + "\n  ".join(problems)
                    )
        if target:
            log(f"{path}: written to {target}")


async def measure(options):
    """Runs each notebook `options.measure` times with no grace and as many
    times with the grace, alternating, and reports late outputs."""
    import nbformat

    options.drain = True
    policies = {0.0: Tally(0.0), options.grace: Tally(options.grace)}
    for path in options.notebooks:
        committed = nbformat.read(str(path), as_version=4)
        for _ in range(options.measure):
            for grace, tally in policies.items():
                notebook, runs, _ = await run_notebook(path, options, grace)
                tally.add(list(runs.values()))
                tally.unlike += len(compare(path, committed, notebook))
    report = {"notebooks": [str(p) for p in options.notebooks]}
    report["policies"] = [tally.summary() for tally in policies.values()]
    print(json.dumps(report, indent=2))
    lost = policies[options.grace].lost_cells
    if lost:
        raise NotebookFailure(
            f"{lost} cells lost outputs with a grace of {options.grace:g} s"
        )


@dataclass
class Tally:
    """Late and lost outputs over the runs of one grace period."""

    grace: float
    runs: int = 0
    lossy_runs: int = 0
    cells: int = 0
    late_cells: int = 0
    late_outputs: int = 0
    lost_cells: int = 0
    lost_outputs: int = 0
    latest: float = 0.0
    unlike: int = 0

    def add(self, runs):
        self.runs += 1
        self.lossy_runs += any(run.after_window for run in runs)
        for run in runs:
            self.cells += 1
            if run.after_idle:
                self.late_cells += 1
                self.late_outputs += len(run.after_idle)
                self.latest = max(self.latest, max(run.after_idle))
            if run.after_window:
                self.lost_cells += 1
                self.lost_outputs += run.after_window

    def summary(self):
        return {
            "grace_seconds": self.grace,
            "notebook_runs": self.runs,
            "runs_that_would_lose_outputs": self.lossy_runs,
            "code_cells": self.cells,
            "cells_with_outputs_after_idle": self.late_cells,
            "outputs_after_idle": self.late_outputs,
            "latest_after_idle_ms": round(self.latest * 1000, 1),
            "cells_that_would_lose_outputs": self.lost_cells,
            "outputs_that_would_be_lost": self.lost_outputs,
            "cells_unlike_committed": self.unlike,
        }


def log(text):
    print(text, file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Execute Jupyter notebooks on the Deno kernel headless."
    )
    parser.add_argument("notebooks", nargs="*", type=Path, metavar="NOTEBOOK")
    parser.add_argument(
        "--output",
        type=Path,
        help="write here, not in place (one notebook; with --check too)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the committed outputs instead of writing",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="execute N times"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_SECONDS,
        metavar="S",
        help=f"seconds per cell [{TIMEOUT_SECONDS}]",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=GRACE_SECONDS,
        metavar="S",
        help=f"seconds to listen after idle [{GRACE_SECONDS}]",
    )
    parser.add_argument("--kernel", help="kernelspec name [deno]")
    parser.add_argument(
        "--measure",
        type=int,
        metavar="N",
        help="run N times with no grace and N with it; report late outputs",
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="only say whether notebooks can run here (exit 3 if not)",
    )
    options = parser.parse_args(argv)

    if not options.probe and not options.notebooks:
        parser.error("name at least one notebook")
    if options.output and len(options.notebooks) != 1:
        parser.error("--output needs exactly one notebook")
    if options.repeat < 1 or (options.measure or 1) < 1:
        parser.error("--repeat and --measure need a positive count")
    if options.grace < 0 or options.timeout <= 0:
        parser.error("--grace must be 0 or more and --timeout more than 0")
    for path in options.notebooks:
        if not path.is_file():
            parser.error(f"no notebook at {path}")
    options.drain = False
    return options


def main(argv):
    options = parse_args(argv)
    try:
        load_jupyter()
        options.kernel_name = find_kernel(options.kernel)
        if options.probe:
            print(options.kernel_name)
            return 0
        if options.measure:
            asyncio.run(measure(options))
        else:
            asyncio.run(execute_all(options))
    except Unavailable as error:
        log(f"run_notebooks: {error}")
        return EXIT_UNAVAILABLE
    except NotebookFailure as error:
        log(f"run_notebooks: {error}")
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
