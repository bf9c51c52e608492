"""benchmarks/: the harness's rules, read from the scripts and their results.

Nothing is measured here (timings belong to the scripts, not to tests); this checks that
every script keeps the harness's shape: a docstring that says what it measures, one
``main(argv)`` with ``--out``, one JSON report through ``_common.write_report`` that names
its benchmark, the machine and the date (the public-API rule is
``tests/test_architecture.py``'s).
"""

import ast
import json
from datetime import datetime
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if p.name not in ("_common.py", "tables.py"))
RESULTS = sorted((BENCHMARKS / "results").glob("*.json"))


def _calls(tree, name):
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name
    ]


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_each_script_measures_one_thing_and_writes_one_report(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name}: say what it measures"
    mains = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    assert len(mains) == 1 and [a.arg for a in mains[0].args.args] == ["argv"], path.name
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert "--out" in strings, f"{path.name}: where it writes is an option"
    assert len(_calls(tree, "write_report")) == 1, f"{path.name}: one report, by the harness"


@pytest.mark.parametrize("path", RESULTS, ids=[p.name for p in RESULTS])
def test_each_result_names_its_benchmark_machine_and_date(path):
    report = json.loads(path.read_text(encoding="utf-8"))
    assert (BENCHMARKS / f"{report['benchmark']}.py").is_file(), path.name
    assert report["hardware"]["cpu_count"] >= 1
    datetime.strptime(report["date"][:10], "%Y-%m-%d")  # raises on anything else


def test_a_report_without_its_benchmark_is_refused(tmp_path, load_script):
    common = load_script(BENCHMARKS / "_common.py")
    with pytest.raises(ValueError, match=r"naming its benchmark. Received: keys \['faces'\]"):
        common.write_report({"faces": 3}, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()
    common.write_report({"benchmark": "x", "faces": 3}, tmp_path / "r.json")
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["benchmark"] == "x" and {"hardware", "date"} <= set(written)
