"""tools/run_docs_commands.py: how the README's and the docs' code blocks are found and marked.

CI runs every block itself (``.ci/run``); these tests check the reading of the
documents, so that a block cannot escape the run unnoticed.
"""

import re
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool(load_script):
    return load_script(ROOT / "tools" / "run_docs_commands.py")


def test_every_block_of_the_readme_and_the_docs_is_known(tool):
    blocks = tool.all_blocks()  # raises on a block without a language or a bad mark
    sources = {block.source for block in blocks}
    assert "README.md" in sources and "docs/user_guide.rst" in sources
    readme = [block for block in blocks if block.source == "README.md"]
    # the README's first block is the set-up: exactly two commands
    assert readme[0].line == 3 and len(readme[0].code.strip().splitlines()) == 2
    run = [b for b in blocks if b.lang in tool.COMMANDS and "skip" not in b.marks]
    assert len(run) >= 30, [b.label for b in run]
    for block in blocks:
        if "skip" in block.marks:
            assert len(block.marks["skip"].split()) >= 3, f"{block.label}: say why it is skipped"


def test_rst_blocks_and_their_marks(tool, tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Intro.\n\n"
        ".. docs-run: skip needs a camera here\n"
        ".. code-block:: bash\n\n"
        "   bilstm-emotion video --camera 0\n\n"
        ".. code-block:: python\n"
        "   :caption: no marks\n\n"
        "   if True:\n"
        "       print(1)\n\n"
        "After.\n"
    )
    first, second = tool.rst_blocks(page, "page.rst")
    assert (first.line, first.lang, first.marks) == (4, "bash", {"skip": "needs a camera here"})
    assert first.code == "bilstm-emotion video --camera 0\n"
    assert (second.line, second.marks) == (8, {})
    assert second.code == "if True:\n    print(1)\n"  # dedented, the option line left out


def test_markdown_blocks_and_their_marks(tool, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\n"
        "<!-- docs-run: background http://127.0.0.1:8000/api/health -->\n"
        "```bash\nbilstm-emotion serve\n```\n\n"
        "- a list item with code:\n\n"
        "  ```python\n  if True:\n      print('label')\n  ```\n\n"
        "~~~~bash\necho ```\n~~~~\n"
    )
    server, python, tildes = tool.markdown_blocks(readme, "README.md")
    assert server.marks == {"background": "http://127.0.0.1:8000/api/health"}
    assert server.how().startswith("server")
    assert (python.line, python.marks) == (10, {})
    assert python.code == "if True:\n    print('label')\n"  # the list's indent removed
    assert tildes.code == "echo ```\n"  # a shorter fence of another kind does not close it


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "<!-- docs-run: expect x -->\n\nWords.\n\n```bash\ntrue\n```\n",
            "README.md:3: expected a code block right after",
        ),
        (
            "<!-- docs-run: skip a reason here -->\n",
            "README.md:1: expected a code block right after",
        ),
        (
            "<!-- docs-run: background http://x -->\n```python\nx = 1\n```\n",
            "README.md:2: expected `docs-run: background` on a block in bash",
        ),
        (
            "<!-- docs-run: env A=1 -->\n```bash\ntrue\n```\n",
            "README.md:2: expected `docs-run: env` on a block in python",
        ),
        ("Text.\n\n```bash\ntrue\n", "README.md:3: expected a closing ```"),
        ("Text.\n\n    pip install bilstm-emotion\n", "README.md:3: expected a fenced code block"),
    ],
)
def test_markdown_that_could_escape_the_run_is_refused(tool, tmp_path, text, error):
    readme = tmp_path / "README.md"
    readme.write_text(text)
    with pytest.raises(ValueError, match=re.escape(error)):
        tool.markdown_blocks(readme, "README.md")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "Title\n=====\n\nRun this::\n\n   bilstm-emotion predict --demo\n",
            "page.rst:4: expected a language",
        ),
        (".. code::\n\n   x = 1\n", "page.rst:1: expected a language"),
        (">>> 1 + 1\n2\n", "page.rst:1: expected code in a `.. code-block:: python`"),
        (
            ".. docs-run: skip a good reason\n\n.. note::\n\n   Words.\n",
            "page.rst:3: expected a code block right after",
        ),
    ],
)
def test_rst_that_could_escape_the_run_is_refused(tool, tmp_path, text, error):
    page = tmp_path / "page.rst"
    page.write_text(text)
    with pytest.raises(ValueError, match=re.escape(error)):
        tool.rst_blocks(page, "page.rst")


def test_other_rst_code_directives_and_list_items_are_found(tool, tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n::::::\n\n"
        "* .. code-block:: bash\n\n"
        "     bilstm-emotion predict --demo\n\n"
        ".. sourcecode:: python\n\n   x = 1\n"
    )
    listed, source = tool.rst_blocks(page, "page.rst")
    assert (listed.lang, listed.code) == ("bash", "bilstm-emotion predict --demo\n")
    assert (source.lang, source.code) == ("python", "x = 1\n")


@pytest.mark.parametrize("mark", ["skip", "sleep 5", "background"])
def test_a_mark_without_a_known_name_or_a_value_is_refused(tool, tmp_path, mark):
    readme = tmp_path / "README.md"
    readme.write_text(f"<!-- docs-run: {mark} -->\n```bash\ntrue\n```\n")
    with pytest.raises(ValueError, match=r"README.md:2: expected `docs-run:"):
        tool.markdown_blocks(readme, "README.md")


@pytest.fixture
def runner(tool, tmp_path):
    """A Runner over a stand-in venv (this interpreter) and a work folder with reader names."""
    bin_ = tmp_path / "venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_ / "python").chmod(0o755)
    fixtures = tmp_path / "work" / "fixtures"
    fixtures.mkdir(parents=True)
    np.savez(fixtures / "reader_names.npz", X=np.arange(3))
    return tool.Runner(tmp_path / "venv", tmp_path / "work", timeout=30)


def _page(tool, *blocks):
    return [
        tool.Block("page.rst", 10 * k, lang, code, marks)
        for k, (lang, code, marks) in enumerate(blocks)
    ]


def test_a_page_runs_in_one_namespace_and_stops_at_its_first_failure(tool, runner):
    page = _page(
        tool,
        ("python", "total = int(X.sum())  # a reader name\n", {}),
        ("bash", "echo made > made.txt; echo ok-$((1 + 2))\n", {"expect": "ok-3"}),
        ("python", "assert total == 3 and open('made.txt').read() == 'made\\n'\n", {}),
        ("python", "import os\nassert os.environ['ONLY_HERE'] == '1'\n", {"env": "ONLY_HERE=1"}),
        ("bash", "echo nothing\n", {"expect": "something"}),
        ("python", "raise AssertionError('never run')\n", {}),
        ("bash", "true\n", {"skip": "a reason given here"}),
    )
    assert not runner.run_page("page.rst", page)
    statuses = [(row["status"], row["how"]) for row in runner.report]
    assert statuses == [
        ("ok", "runs"),
        ("ok", "runs"),
        ("ok", "runs"),
        ("ok", "own interpreter, ONLY_HERE=1"),
        ("failed", "output lacks 'something'"),
        ("not reached", "after a failed block of its page"),
        ("not run", "skipped: a reason given here"),
    ]
    assert runner.driver is None  # the page's interpreter is gone


@pytest.mark.slow
def test_a_block_past_the_timeout_is_stopped(tool, runner):
    runner.timeout = 2
    page = _page(
        tool,
        ("python", "import time\ntime.sleep(60)\n", {}),
        ("bash", "true\n", {}),
    )
    assert not runner.run_page("page.rst", page)
    assert [row["status"] for row in runner.report] == ["failed", "not reached"]
    assert runner.report[0]["how"] == "still running after 2 s: stopped"
    page = _page(tool, ("bash", "sleep 60\n", {}))
    runner.cwd = None
    assert not runner.run_page("other.rst", page)
    assert runner.report[-1]["how"] == "still running after 2 s: stopped"


def test_a_server_runs_beside_its_page_and_is_stopped_after_it(tool, runner):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    page = _page(
        tool,
        ("bash", f"python -m http.server {port} --bind 127.0.0.1\n", {"background": url}),
        ("python", f"import urllib.request\nurllib.request.urlopen({url!r}).read()\n", {}),
    )
    assert runner.run_page("page.rst", page)
    assert [row["status"] for row in runner.report] == ["ok", "ok"]
    assert not tool._answers(url)  # stopped with the page
