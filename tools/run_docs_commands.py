"""Run every code block of the README and the docs as written, in a fresh venv.

::

    python tools/run_docs_commands.py --venv /tmp/docs-venv --work /tmp/docs-work

What it does, in order:

1. Creates the venv (unless ``--venv`` names one that exists) and runs, in the
   project root, the first line of the README's first block: the install and
   the demo.
2. Makes the files the docs name (``photo.jpg``, ``photos/``, ``posts/``,
   ``shots/*.png``, ``crops/``, ``call.mp4``, a small ``fer2013.zip`` of
   synthetic faces in the Kaggle layout, ...) in ``fixtures/`` of a fresh work
   folder.
3. Runs every ``bash`` and ``python`` block of ``README.md`` and of each
   ``docs/*.rst`` page in document order, each page in a copy of
   ``fixtures/`` of its own (``pages/<page>/``): each bash block
   in its own shell (``set -eo pipefail``), the python blocks of one page in
   one interpreter, one after the other, as a reader would paste them. Names a
   page leaves to the reader's own data (``X``, ``y``, ``X_new``,
   ``faces_X``, ``faces_y``, ``train_paths``, ``train_labels``) are given
   small synthetic values, as doctest's globals would. Extras come only from
   the docs' own ``pip install`` lines: the README runs first, so a page may
   lean on the README's extras; with ``--pages`` a page runs alone on the
   base install and its own lines.
4. Runs the rest of the README's first block (the tests) last, unless
   ``--no-tests``.

A comment right above a block tells how to run it: ``<!-- docs-run: ... -->``
in the README, ``.. docs-run: ...`` in the docs; one line each, several
allowed:

- ``skip REASON``: not run; the report gives the reason (a benchmark that
  takes hours, a camera or a cluster CI does not have).
- ``background URL``: a server; it runs in the background until ``URL``
  answers, the page's next blocks talk to it, and it is stopped at the page's
  end.
- ``expect TEXT``: the block's output must contain ``TEXT`` (a ``curl`` that
  gets an error page still exits 0).
- ``env NAME=VALUE``: a python block run in an interpreter of its own with
  that variable set (a Keras backend chosen before Keras loads).

``text`` and ``console`` blocks (diagrams, transcripts of output) are not
commands. What could slip past the run is an error before anything runs: a
literal block or code block without a language (give it one with ``..
code-block::``), an indented Markdown code block, a doctest block outside a
code block, a mark with no block right under it or on a block of the wrong
language. A block still running after ``--timeout`` seconds is stopped and
fails (the tests get four times as long). The report lists every block with
its status and time and is written as JSON to ``--out``; the exit status is 1
if any block failed. ``--list`` only lists the blocks and how each would run.
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "docs-run:"
COMMANDS = ("bash", "python")
NOT_COMMANDS = ("text", "console")
# each mark, and the languages of the blocks it may mark
MARKS = {
    "skip": COMMANDS,
    "background": ("bash",),
    "expect": ("bash",),
    "env": ("python",),
}
SERVER_WAIT = 180  # seconds for a background server to answer


@dataclass
class Block:
    """One code block of a document: where it is, its language, code and marks."""

    source: str
    line: int
    lang: str
    code: str
    marks: dict = field(default_factory=dict)

    @property
    def label(self):
        return f"{self.source}:{self.line}"

    def how(self):
        """How the block runs, in words (for ``--list`` and the report)."""
        if self.lang in NOT_COMMANDS:
            return f"not a command ({self.lang})"
        if "skip" in self.marks:
            return f"skipped: {self.marks['skip']}"
        if "background" in self.marks:
            return f"server, until {self.marks['background']} answers"
        if "env" in self.marks:
            return f"own interpreter, {self.marks['env']}"
        return "runs"


def _parse_marks(lines, source, line, lang):
    marks = {}
    for text in lines:
        name, _, value = text.strip().partition(" ")
        if name not in MARKS or not value.strip():
            raise ValueError(
                f"{source}:{line}: expected `{MARK} <{'|'.join(MARKS)}> <value>`, "
                f"received: {MARK} {text.strip()}"
            )
        if lang not in MARKS[name]:
            raise ValueError(
                f"{source}:{line}: expected `{MARK} {name}` on a block in "
                f"{' or '.join(MARKS[name])}, received: a {lang} block"
            )
        marks[name] = value.strip()
    return marks


def _dangling(marks, source, line):
    """A mark must sit right above its block: nothing but blank lines between."""
    if marks:
        raise ValueError(
            f"{source}:{line}: expected a code block right after `{MARK} {marks[-1].strip()}`, "
            f"received: other text first"
        )


def markdown_blocks(path, source):
    """The fenced blocks of a Markdown file, with the marks in comments above each.

    Raises ValueError on an unclosed fence, an indented code block (give it a
    fence and a language) or a mark not followed by a block.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    blocks, marks, i, previous = [], [], 0, ""
    while i < len(lines):
        text = lines[i].strip()
        comment = re.fullmatch(r"<!--\s*" + MARK + r"(.*?)-->", text)
        fence = re.match(r"(\s*)(`{3,}|~{3,})\s*(\S*)", lines[i])
        if comment:
            marks.append(comment.group(1))
        elif fence:
            indent, close, lang = len(fence.group(1)), fence.group(2), fence.group(3) or "text"
            start, body = i, []
            i += 1
            while i < len(lines) and not re.fullmatch(
                r"\s*" + close[0] + "{" + str(len(close)) + r",}\s*", lines[i]
            ):
                body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(
                    f"{source}:{start + 1}: expected a closing {close}, received: EOF"
                )
            code = "\n".join(body) + "\n"
            marks_ = _parse_marks(marks, source, start + 1, lang)
            blocks.append(Block(source, start + 1, lang, code, marks_))
            marks = []
        elif lines[i].startswith("    ") and not previous.strip() and not _in_list(lines, i):
            raise ValueError(
                f"{source}:{i + 1}: expected a fenced code block with a language, "
                f"received: an indented code block"
            )
        elif text:
            _dangling(marks, source, i + 1)
        previous = lines[i]
        i += 1
    _dangling(marks, source, len(lines))
    return blocks


def _in_list(lines, i):
    """Whether an indented line continues a list item (the nearest unindented line is one)."""
    for line in reversed(lines[:i]):
        if line.strip() and not line.startswith(" "):
            return bool(re.match(r"([-*+]|\d+\.)\s", line))
    return False


def _indent(text):
    return len(text) - len(text.lstrip())


def rst_blocks(path, source):
    """The code blocks of a reST file, with the ``docs-run`` comments above each.

    Raises ValueError on a literal block without a language (``::``), a code
    block without one, a doctest block (``>>>`` outside a code block) and a mark
    not followed by a block.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    blocks, marks, i = [], [], 0
    while i < len(lines):
        text = lines[i].strip()
        directive = re.fullmatch(r"(?:[-*+] )?\.\. (?:code-block|code|sourcecode)::\s*(\S*)", text)
        literal = text.endswith("::") and not text.startswith("..") and set(text) != {":"}
        if text.startswith(".. " + MARK):
            marks.append(text[len(".. " + MARK) :])
        elif directive or literal or text == "::":
            if not (directive and directive.group(1)):
                raise ValueError(
                    f"{source}:{i + 1}: expected a language for this code block "
                    f"(`.. code-block:: LANG`), received: {text!r}"
                )
            start, indent = i, _indent(lines[i]) + (2 if text[0] in "-*+" else 0)
            i += 1
            while i < len(lines) and lines[i].strip().startswith(":"):  # options
                i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
                body.append(lines[i])
                i += 1
            code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
            lang = directive.group(1)
            blocks.append(
                Block(source, start + 1, lang, code, _parse_marks(marks, source, start + 1, lang))
            )
            marks = []
            continue
        elif text.startswith(">>>"):
            raise ValueError(
                f"{source}:{i + 1}: expected code in a `.. code-block:: python`, "
                f"received: a doctest block {text!r}"
            )
        elif text:
            _dangling(marks, source, i + 1)
        i += 1
    _dangling(marks, source, len(lines))
    return blocks


GENERATED = ("docs/_build/", "docs/generated/", "docs/auto_examples/", "docs/_templates/")


def documents():
    """The README, then each ``docs/**/*.rst`` page the repository keeps, in path order."""
    pages = [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.glob("docs/**/*.rst")
        if path.name != "sg_execution_times.rst"  # written by sphinx-gallery
    ]
    yield "README.md", markdown_blocks(ROOT / "README.md", "README.md")
    for page in sorted(p for p in pages if not p.startswith(GENERATED)):
        yield page, rst_blocks(ROOT / page, page)


def all_blocks(pages=None):
    """Every block of ``pages`` (default: every document), checked: a known language on each."""
    found = []
    for _, blocks in pages or documents():
        for block in blocks:
            if block.lang not in COMMANDS + NOT_COMMANDS:
                raise ValueError(
                    f"{block.label}: expected a block in one of "
                    f"{COMMANDS + NOT_COMMANDS}, received: {block.lang!r}"
                )
            found.append(block)
    return found


# --- the work folder -------------------------------------------------------------------------

FIXTURES = r"""
import sys, zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from bilstm_emotion.datasets import make_synthetic_faces

work = Path(sys.argv[1])
astronaut = Image.fromarray(data.astronaut())
pair = Image.new("RGB", (1024, 512))
pair.paste(astronaut, (0, 0))
pair.paste(astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (512, 0))

def dated(img, path, day):
    exif = Image.Exif()
    exif[306] = f"{day} 12:00:00"  # DateTime
    img.save(path, exif=exif)

astronaut.save(work / "photo.jpg")
astronaut.save(work / "a.jpg")
astronaut.save(work / "b.png")
pair.save(work / "c.jpg")
(work / "photos").mkdir()
astronaut.save(work / "photos" / "portrait.jpg")
pair.save(work / "photos" / "two.jpg")
pair.save(work / "party.jpg")
pair.save(work / "team.jpg")
astronaut.save(work / "meeting.png")
astronaut.save(work / "me.png")
for folder, day, imgs in [("monday", "2026:12:07", [astronaut, pair]),
                          ("tuesday", "2026:12:08", [astronaut.rotate(5)])]:
    (work / "posts" / folder).mkdir(parents=True)
    for k, img in enumerate(imgs):
        dated(img, work / "posts" / folder / f"post{k}.jpg", day)
(work / "shots").mkdir()
astronaut.resize((256, 256)).save(work / "shots" / "a.png")
pair.resize((512, 256)).save(work / "shots" / "b.png")
face = astronaut.convert("L").crop((170, 30, 290, 180)).resize((48, 48))
face.save(work / "face.png")

# faces in the FER2013 Kaggle layout, train/<emotion>/*.jpg and test/<emotion>/*.jpg
X, y = make_synthetic_faces(210, random_state=0, return_X_y=True)
with zipfile.ZipFile(work / "fer2013.zip", "w") as zf:
    for k, (img, label) in enumerate(zip(X, y)):
        buf = BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=95)
        subset = "train" if k < 140 else "test"
        zf.writestr(f"{subset}/{label}/{k:04d}.jpg", buf.getvalue())
(work / "crops").mkdir()
train_paths, train_labels = [], []
for k, (img, label) in enumerate(zip(X[:28], y[:28])):
    path = work / "crops" / f"{k:02d}_{label}.png"
    Image.fromarray(img).save(path)
    train_paths.append(path.relative_to(work).as_posix())  # each page has its own copy
    train_labels.append(str(label))

# the reader's own data, for the names a page leaves to them
np.savez(work / "reader_names.npz", X=X[:140], y=y[:140], X_new=X[140:150],
         faces_X=X[:28], faces_y=y[:28], train_paths=np.array(train_paths),
         train_labels=np.array(train_labels))

# a 4-second video of a face turning, 10 frames a second
import imageio.v2 as imageio
with imageio.get_writer(work / "call.mp4", fps=10, macro_block_size=16) as writer:
    for k in range(40):
        frame = astronaut.rotate(k - 20).resize((320, 320))
        writer.append_data(np.asarray(frame))
"""

# Runs a page's python blocks in one namespace: each block arrives as a JSON line on the
# file descriptor in argv[1]; its outcome goes back as a JSON line on the one in argv[2].
# Standard input is left alone (a block reading it gets end-of-file).
DRIVER = r"""
import json, os, sys, time, traceback
import numpy as np

blocks, out = os.fdopen(int(sys.argv[1])), os.fdopen(int(sys.argv[2]), "w")
names = {"__name__": "__main__"}
with np.load(sys.argv[3]) as given:
    for key in given.files:
        value = given[key]
        names[key] = list(value) if key.endswith(("paths", "labels")) else value
for line in blocks:
    block = json.loads(line)
    start = time.perf_counter()
    try:
        exec(compile(block["code"], block["label"], "exec"), names)
        status = "ok"
    except BaseException:
        traceback.print_exc()
        status = "failed"
    sys.stdout.flush()
    sys.stderr.flush()
    out.write(json.dumps({"status": status, "seconds": time.perf_counter() - start}) + "\n")
    out.flush()
"""


def _kill(proc):
    """Stop a process started in a session of its own, and everything it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
            os.killpg(proc.pid, 0)  # children that outlive the shell are still in its group
        except (subprocess.TimeoutExpired, ProcessLookupError):
            continue


class Driver:
    """A venv interpreter that runs python blocks one after the other in one namespace."""

    def __init__(self, python, cwd, env):
        to_driver, self._from_us = os.pipe()
        self._to_us, from_driver = os.pipe()
        self.proc = subprocess.Popen(
            [python, "-u", "-c", DRIVER, str(to_driver), str(from_driver), "reader_names.npz"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(to_driver, from_driver),
            start_new_session=True,
        )
        os.close(to_driver)
        os.close(from_driver)
        self.blocks = os.fdopen(self._from_us, "w")
        self.results = os.fdopen(self._to_us)

    def run(self, block, timeout):
        """``(status, seconds, why)`` of one block; a block past ``timeout`` is stopped."""
        try:
            self.blocks.write(json.dumps({"label": block.label, "code": block.code}) + "\n")
            self.blocks.flush()
        except BrokenPipeError:
            return "failed", None, "the interpreter died"
        ready, _, _ = select.select([self.results], [], [], timeout)
        if not ready:
            self.close(grace=0)
            return "failed", timeout, f"still running after {timeout} s: stopped"
        line = self.results.readline()
        if not line:
            return "failed", None, "the interpreter died"
        outcome = json.loads(line)
        return outcome["status"], outcome["seconds"], None

    def close(self, grace=60):
        """End the interpreter after its last block; stop it if still running after ``grace`` s."""
        for stream in (self.blocks, self.results):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=max(grace, 0.01))
        except subprocess.TimeoutExpired:
            pass
        _kill(self.proc)  # and whatever it left behind (a local Dask cluster's workers)


class Runner:
    """Runs blocks in a venv and a work folder, and keeps the report."""

    def __init__(self, venv, work, timeout):
        self.venv, self.work, self.timeout = Path(venv), Path(work), timeout
        self.fixtures = self.work / "fixtures"
        self.cwd = self.fixtures
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        self.env["VIRTUAL_ENV"] = str(self.venv)
        self.env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"
        self.report = []
        self.servers = []
        self.driver = None

    @property
    def python(self):
        return str(self.venv / "bin" / "python")

    def log(self, label, how, status, seconds=None):
        took = "" if seconds is None else f" {seconds:7.1f} s"
        print(f"== {label}: {status}{took} ({how})", flush=True)
        self.report.append({"block": label, "how": how, "status": status, "seconds": seconds})

    def shell(self, code, cwd, expect=None, timeout=None):
        """Run bash code; its output goes through unless ``expect`` must be found in it."""
        timeout = timeout or self.timeout
        start = time.perf_counter()
        proc = subprocess.Popen(
            _bash(code),
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if expect else None,
            stderr=subprocess.STDOUT if expect else None,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return "failed", timeout, f"still running after {timeout} s: stopped"
        finally:
            _kill(proc)  # one past its timeout, and what a block left running in the background
        seconds = time.perf_counter() - start
        if expect:
            print(output, end="" if output.endswith("\n") else "\n", flush=True)
        if proc.returncode:
            return "failed", seconds, f"exit status {proc.returncode}"
        if expect and expect not in output:
            return "failed", seconds, f"output lacks {expect!r}"
        return "ok", seconds, None

    def run_bash(self, block, cwd=None, timeout=None):
        print(f"\n== {block.label} (bash)\n{block.code}", flush=True)
        expect = block.marks.get("expect")
        status, seconds, why = self.shell(block.code, cwd or self.cwd, expect, timeout)
        self.log(block.label, why or block.how(), status, seconds)
        return status == "ok"

    def start_server(self, block):
        print(f"\n== {block.label} (bash, a server)\n{block.code}", flush=True)
        url, start = block.marks["background"], time.perf_counter()
        if _answers(url):
            self.log(block.label, f"{url} answers before the server starts", "failed")
            return False
        proc = subprocess.Popen(
            _bash(block.code),
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.servers.append(proc)
        while time.perf_counter() - start < SERVER_WAIT:
            if proc.poll() is not None:
                self.log(block.label, f"exited with status {proc.returncode}", "failed")
                return False
            if _answers(url) and proc.poll() is None:
                self.log(block.label, block.how(), "ok", time.perf_counter() - start)
                return True
            time.sleep(1)
        self.log(block.label, f"{url} did not answer in {SERVER_WAIT} s", "failed")
        return False

    def run_python(self, block, env=None):
        print(f"\n== {block.label} (python)\n{block.code}", flush=True)
        if env is not None:  # an interpreter of its own
            driver = Driver(self.python, self.cwd, {**self.env, **env})
        else:
            self.driver = self.driver or Driver(self.python, self.cwd, self.env)
            driver = self.driver
        status, seconds, why = driver.run(block, self.timeout)
        if env is not None:
            driver.close()
        self.log(block.label, why or block.how(), status, seconds)
        return status == "ok"

    def end_page(self):
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        for proc in self.servers:
            _kill(proc)
        self.servers = []

    def run_page(self, source, blocks):
        """Run a page's blocks in a copy of the fixtures of its own."""
        self.cwd = self.work / "pages" / source.replace("/", "_")
        shutil.copytree(self.fixtures, self.cwd)
        failed = False
        try:
            for block in blocks:
                if block.lang in NOT_COMMANDS or "skip" in block.marks:
                    self.log(block.label, block.how(), "not run")
                elif failed:
                    self.log(block.label, "after a failed block of its page", "not reached")
                elif "background" in block.marks:
                    failed = not self.start_server(block)
                elif block.lang == "bash":
                    failed = not self.run_bash(block)
                else:
                    env = None
                    if "env" in block.marks:
                        name, _, value = block.marks["env"].partition("=")
                        env = {name: value}
                    failed = not self.run_python(block, env)
        finally:
            self.end_page()
        return not failed


def _bash(code):
    """The command line that runs a bash block: stop at the first failing command."""
    return ["bash", "-c", "set -eo pipefail\n" + code]


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return 200 <= reply.status < 300
    except OSError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, help="the venv (made if missing; default: a new one)")
    parser.add_argument("--work", type=Path, help="an empty or new folder (default: a new one)")
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    parser.add_argument("--no-tests", action="store_true", help="leave out the README's tests")
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="PAGE",
        help="run only these documents (README.md, docs/....rst); the install runs first",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=900,
        help="seconds a block may run before it is stopped and failed (900; the tests: 4x)",
    )
    parser.add_argument("--list", action="store_true", help="list the blocks and exit")
    parser.add_argument("--make-fixtures", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make_fixtures:
        sys.argv = [sys.argv[0], str(args.make_fixtures)]
        exec(compile(FIXTURES, "fixtures", "exec"), {"__name__": "__main__"})
        return 0
    pages = list(documents())
    all_blocks(pages)  # the languages, checked before any work
    unknown = set(args.pages or ()) - {source for source, _ in pages}
    if unknown:
        parser.error(f"--pages: no such document: {', '.join(sorted(unknown))}")
    if args.list:
        for _, blocks in pages:
            for block in blocks:
                print(f"{block.label}: {block.lang}, {block.how()}")
        return 0

    started = time.perf_counter()
    venv = (args.venv or Path(tempfile.mkdtemp(prefix="docs-venv-"))).resolve()
    work = (args.work or Path(tempfile.mkdtemp(prefix="docs-work-"))).resolve()
    if work.exists() and any(work.iterdir()):
        parser.error(f"--work must be empty or new, received: {work}")
    work.mkdir(parents=True, exist_ok=True)
    runner = Runner(venv, work, args.timeout)
    try:
        ok = _run(runner, pages, args)
    finally:
        runner.end_page()
        took = time.perf_counter() - started
        counts = {}
        for row in runner.report:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        print(f"\n== {counts} in {took:.0f} s (venv {venv}, work {work})")
        if args.out:
            result = {"seconds": took, "counts": counts, "blocks": runner.report}
            args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if ok and not counts.get("failed") else 1


def _run(runner, pages, args):
    """The install, the fixtures, every chosen page, then the tests; whether all went well."""
    if not (runner.venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(runner.venv)], check=True)
        runner.shell("python -m pip install --quiet --upgrade pip", ROOT)
    setup = pages[0][1][0]
    install, *tests = [
        re.sub(r"\s+#.*$", "", line) for line in setup.code.splitlines() if line.strip()
    ]
    if not runner.run_bash(Block(setup.source, setup.line, "bash", install + "\n"), cwd=ROOT):
        return False
    status, seconds, why = _fixtures(runner)
    runner.log("fixtures", why or f"made in {runner.fixtures}", status, seconds)
    if status != "ok":
        return False
    chosen = [(s, b) for s, b in pages if not args.pages or s in args.pages]
    ok = all(
        [
            runner.run_page(source, blocks[1:] if source == "README.md" else blocks)
            for source, blocks in chosen
        ]
    )
    if tests and not args.no_tests and (not args.pages or "README.md" in args.pages):
        test_block = Block(setup.source, setup.line + 1, "bash", "\n".join(tests) + "\n")
        ok = runner.run_bash(test_block, cwd=ROOT, timeout=4 * args.timeout) and ok
    return ok


def _fixtures(runner):
    """Make the work folder's files with the venv's Python; imageio only for this step."""
    libs = runner.work / "fixture-libs"
    runner.fixtures.mkdir()
    code = (
        f"python -m pip install --quiet --no-deps --target {libs} imageio imageio-ffmpeg\n"
        f"PYTHONPATH={libs} python {Path(__file__).resolve()} --make-fixtures {runner.fixtures}\n"
        f"rm -rf {libs}\n"
    )
    return runner.shell(code, runner.work)


if __name__ == "__main__":
    sys.exit(main())
