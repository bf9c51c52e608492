import subprocess
import sys

import pytest

from bilstm_emotion.cli import build_parser, main


def test_demo_trains_and_reports(capsys):
    code = main(
        [
            "demo",
            "--n-samples",
            "56",
            "--epochs",
            "1",
            "--row-hidden",
            "4",
            "--col-hidden",
            "4",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Held-out accuracy on 14 new faces" in out
    assert "chance: 0.143" in out
    for emotion in ("angry", "happy", "surprise", "macro avg"):
        assert emotion in out


def test_demo_error_is_one_line_and_non_zero(capsys):
    assert main(["demo", "--n-samples", "0", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bilstm-emotion demo: error: Expected n_samples >= 1")
    assert err.count("\n") == 1


def test_help_shows_examples():
    help_text = build_parser()._subparsers._group_actions[0].choices["demo"].format_help()
    assert "bilstm-emotion demo --n-samples" in help_text


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "bilstm_emotion", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and "demo" in proc.stdout


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit) as exc:
        main(["predict-the-future"])
    assert exc.value.code == 2
