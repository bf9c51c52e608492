import json
import subprocess
import sys

import numpy as np
import pytest

from bilstm_emotion.cli import build_parser, main


def test_demo_finds_the_astronaut_and_prints_probabilities(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "astronaut" in out and "face(s)" in out
    lines = out.strip().splitlines()
    assert lines[1].split()[-7:] == [
        "angry",
        "disgust",
        "fear",
        "happy",
        "neutral",
        "sad",
        "surprise",
    ]
    values = [float(v) for v in lines[2].split()[-7:]]
    assert abs(sum(values) - 1) < 0.01
    # the largest face, listed first, is hers: the label is its most probable column
    assert lines[2].split()[-8] == "happy"
    assert max(values) == values[3]


def test_demo_on_a_photo_without_faces_fails_with_its_name(tmp_path, capsys):
    from PIL import Image

    path = tmp_path / "wall.png"
    Image.new("L", (200, 150), color=128).save(path)
    assert main(["demo", "--image", str(path), "--model", "bilstm"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bilstm-emotion demo: error:") and "wall.png" in err


def test_demo_on_a_missing_photo_names_it(tmp_path, capsys):
    assert main(["demo", "--image", str(tmp_path / "nope.jpg")]) == 1
    assert "nope.jpg" in capsys.readouterr().err


def test_synthetic_demo_trains_and_reports(capsys):
    code = main(
        [
            "demo",
            "--synthetic",
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
    assert main(["demo", "--synthetic", "--n-samples", "0", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bilstm-emotion demo: error: Expected n_samples >= 1")
    assert err.count("\n") == 1


def test_help_shows_examples():
    help_text = build_parser()._subparsers._group_actions[0].choices["demo"].format_help()
    assert "bilstm-emotion demo --image me.jpg" in help_text
    assert "bilstm-emotion demo --synthetic --n-samples" in help_text


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


def _write_fer_folder(root, n_per_class=3):
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for emotion in ("angry", "happy", "sad"):
            folder = root / split / emotion
            folder.mkdir(parents=True)
            for i in range(n_per_class):
                pixels = rng.integers(0, 256, (48, 48), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")


def test_evaluate_writes_report_and_plots(tmp_path, capsys):
    _write_fer_folder(tmp_path / "fer")
    out = tmp_path / "report"
    code = main(["evaluate", str(tmp_path / "fer"), "--out", str(out), "--no-timing"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["n_samples"] == 9
    assert set(report["y_true"]) == {"angry", "happy", "sad"}
    for name in ("report.md", "confusion_matrix.png", "error_rates.png", "confident_mistakes.png"):
        assert (out / name).stat().st_size > 0, name
    assert "accuracy" in capsys.readouterr().out
    # a second run refuses to overwrite, naming the file
    assert main(["evaluate", str(tmp_path / "fer"), "--out", str(out), "--no-timing"]) == 1
    assert "report.json" in capsys.readouterr().err
    assert (
        main(["evaluate", str(tmp_path / "fer"), "--out", str(out), "--no-timing", "--overwrite"])
        == 0
    )


def test_evaluate_a_saved_estimator_with_history(tmp_path, faces, make_clf, capsys):
    import joblib
    from PIL import Image

    X, y = faces
    clf = make_clf().fit(X, y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    for i, (image, label) in enumerate(zip(X[:12], y[:12], strict=True)):
        (tmp_path / "faces" / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(tmp_path / "faces" / label / f"{i}.png")
    code = main(
        ["evaluate", str(tmp_path / "faces"), "--estimator", str(tmp_path / "clf.joblib"),
         "--out", str(tmp_path / "r"), "--no-timing"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "r" / "history.png").is_file()


def test_evaluate_missing_data_is_named(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "absent.zip"), "--out", str(tmp_path / "r")]) == 1
    assert "absent.zip" in capsys.readouterr().err
