import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bilstm_emotion import BiLSTMFaceEmotionClassifier
from bilstm_emotion.cli import build_parser, main


@pytest.mark.parametrize("argv", [["predict", "--demo"], ["demo"]])
def test_one_demo_prints_the_model_and_each_face_s_probabilities(argv, capsys):
    """Issue 47: `predict --demo` printed `happy 0.855`, `demo` a table: now both this."""
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("Model conv-xl-flip (FER2013 PublicTest accuracy 0.")
    header = lines[1].split()
    assert header[:4] == ["source", "face", "box", "label"] and header[-1] == "status"
    assert header[4:-1] == CLASSES
    row = lines[2].split()
    values = [float(v) for v in row[-8:-1]]
    assert abs(sum(values) - 1) < 0.01
    # the largest face, listed first, is hers: the label is its most probable column
    assert row[-9] == "happy" and max(values) == values[3]
    assert lines[-1] == "1 face(s) in 1 image(s)"


def test_demo_on_a_photo_without_faces_says_so(tmp_path, capsys):
    from PIL import Image

    path = tmp_path / "wall.png"
    Image.new("L", (200, 150), color=128).save(path)
    assert main(["demo", "--image", str(path), "--model", "bilstm"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Model bilstm (") and "wall.png" in out and "no face" in out


def test_demo_on_a_missing_photo_names_it(tmp_path, capsys):
    assert main(["demo", "--image", str(tmp_path / "nope.jpg")]) == 1
    assert "nope.jpg" in capsys.readouterr().err


def test_demo_on_a_file_that_is_no_photo_names_it(tmp_path, capsys):
    notes = tmp_path / "notes.jpg"
    notes.write_text("not an image")
    assert main(["demo", "--image", str(notes)]) == 3  # done, but the input failed
    err = capsys.readouterr().err
    assert "notes.jpg" in err and "bilstm-emotion demo:" in err  # the command typed


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_without_matplotlib_each_command_names_the_extra(tmp_path, capsys, monkeypatch):
    """Issue 47: the base install printed "plots skipped: No module named 'matplotlib'"."""
    _write_fer_folder(tmp_path / "fer")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    code = main(["evaluate", str(tmp_path / "fer"), "--out", str(tmp_path / "r"), "--no-timing"])
    assert code == 0 and (tmp_path / "r" / "report.json").is_file()
    extra = 'pip install "bilstm-emotion[plots]"'
    assert f"plots skipped: Plotting needs matplotlib: {extra}" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "fer"), "--plot", str(tmp_path / "p.png")]) == 1
    assert extra in capsys.readouterr().err and not (tmp_path / "p.png").exists()


@pytest.mark.slow
def test_evaluate_a_saved_estimator_with_history(tmp_path, faces, make_clf, capsys):
    from PIL import Image

    from bilstm_emotion import save_estimator

    X, y = faces
    clf = make_clf().fit(X, y)
    save_estimator(clf, tmp_path / "clf.skops")
    for i, (image, label) in enumerate(zip(X[:12], y[:12], strict=True)):
        (tmp_path / "faces" / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(tmp_path / "faces" / label / f"{i}.png")
    code = main(
        [
            "evaluate",
            str(tmp_path / "faces"),
            "--estimator",
            str(tmp_path / "clf.skops"),
            "--out",
            str(tmp_path / "r"),
            "--no-timing",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "r" / "history.png").is_file()


def test_evaluate_missing_data_is_named(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "absent.zip"), "--out", str(tmp_path / "r")]) == 1
    assert "absent.zip" in capsys.readouterr().err


# ------------------------------------------------------------------ predict
CLASSES = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


def _csv(path):
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_predict_writes_csv_json_and_annotations(photo_folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "predict",
            str(photo_folder),
            "--csv",
            str(out / "faces.csv"),
            "--json",
            str(out / "faces.json"),
            "--annotate",
            str(out / "ann"),
        ]
    )
    captured = capsys.readouterr()
    # one input is broken: the job finishes, says which, and exits 3
    assert code == 3
    assert "broken.jpg" in captured.err and captured.err.count("broken.jpg") == 2
    rows = _csv(out / "faces.csv")
    assert list(rows[0]) == [
        "source",
        "face",
        "row",
        "col",
        "height",
        "width",
        "label",
        "score",
        *CLASSES,
        "status",
    ]
    status = {r["source"].rsplit("/", 1)[-1]: r["status"] for r in rows}
    assert status["wall.png"] == "no face" and status["broken.jpg"].startswith("error:")
    happy = [r for r in rows if r["label"] == "happy"]
    assert {r["source"].rsplit("/", 1)[-1] for r in happy} == {"astronaut.jpg", "head.png"}
    records = json.loads((out / "faces.json").read_text())
    assert len(records) == len(rows)
    # a missing number is null in JSON (it was ""), an empty cell in CSV
    wall = next(r for r in records if r["source"].endswith("wall.png"))
    assert wall["score"] is None and wall["row"] is None and wall["happy"] is None
    assert next(r for r in rows if r["source"].endswith("wall.png"))["score"] == ""
    assert records[0]["face"] == 1 and abs(sum(records[0][c] for c in CLASSES) - 1) < 1e-3
    assert sorted(p.name for p in (out / "ann").iterdir()) == ["astronaut.png", "head.png"]
    assert "happy" in captured.out and "face(s) in 4 image(s)" in captured.out


def test_predict_refuses_to_overwrite(photo_folder, tmp_path, capsys):
    target = tmp_path / "faces.csv"
    target.write_text("precious")
    code = main(["predict", str(photo_folder / "a"), "--csv", str(target)])
    assert code == 1 and target.read_text() == "precious"
    err = capsys.readouterr().err
    assert (
        err == f"bilstm-emotion predict: error: Output {target} already exists; pass "
        "--overwrite to replace it\n"
    )
    assert main(["predict", str(photo_folder / "a"), "--csv", str(target), "--overwrite"]) == 0
    assert _csv(target)[0]["label"] == "happy"


def test_predict_demo_and_quiet(capsys):
    assert main(["predict", "--demo", "--quiet", "--model", "bilstm"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["predict", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "astronaut (scikit-image)" in out and "happy" in out


def test_predict_errors(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "gone.jpg")]) == 1
    assert capsys.readouterr().err.startswith("bilstm-emotion predict: error: No such file")
    assert main(["predict"]) == 2  # a bad command line, as the help says
    assert "Expected image files" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["predict", str(tmp_path / "empty")]) == 1
    assert "No image files in" in capsys.readouterr().err
    assert main(["predict", "--demo", "--estimator", str(tmp_path / "m.skops")]) == 1
    assert "m.skops" in capsys.readouterr().err


def test_predict_reads_only_files_and_keeps_the_other_rows(photo_folder, tmp_path, capsys):
    import shutil
    import threading

    folder = tmp_path / "posts"
    shutil.copytree(photo_folder / "a", folder)
    os.mkfifo(folder / "pipe.jpg")  # nobody writes to it: opening it would wait forever
    (folder / "zero.jpg").symlink_to("/dev/zero")  # endless bytes
    out = tmp_path / "faces.json"
    result = {}
    run = threading.Thread(
        target=lambda: result.update(code=main(["predict", str(folder), "--json", str(out)])),
        daemon=True,
    )
    run.start()
    run.join(timeout=120)
    assert not run.is_alive(), "predict hung on a named pipe"
    assert result["code"] == 3
    status = {Path(r["source"]).name: r["status"] for r in json.loads(out.read_text())}
    assert status["pipe.jpg"].endswith("a named pipe (FIFO), not a file")
    assert status["zero.jpg"].endswith("a character device, not a file")
    assert status["astronaut.jpg"] == "ok"
    capsys.readouterr()


def _predict_three_faces(tmp_path, X, capsys, *options):
    """Save X[:3] as 0.png..2.png, run ``predict --no-detect`` on them, return the CSV rows."""
    from PIL import Image

    for i in range(3):
        Image.fromarray(X[i]).save(tmp_path / f"{i}.png")
    code = main(
        [
            "predict",
            str(tmp_path / "*.png"),
            "--no-detect",
            *options,
            "--csv",
            str(tmp_path / "o.csv"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    return _csv(tmp_path / "o.csv")


@pytest.mark.slow
def test_predict_no_detect_with_a_saved_estimator(tmp_path, faces, fitted, capsys):
    from bilstm_emotion import save_estimator

    X, _ = faces
    save_estimator(fitted, tmp_path / "m.skops")
    rows = _predict_three_faces(tmp_path, X, capsys, "--estimator", str(tmp_path / "m.skops"))
    assert [r["label"] for r in rows] == list(fitted.predict(X[:3]))


@pytest.mark.slow
def test_predict_with_a_saved_ensemble_of_shipped_models(tmp_path, rng, capsys):
    """The user guide's soft vote over frozen shipped models, saved and used by the CLI."""
    from sklearn.ensemble import VotingClassifier
    from sklearn.frozen import FrozenEstimator

    from bilstm_emotion import load_pretrained, save_estimator

    members = [(name, FrozenEstimator(load_pretrained(name))) for name in ("conv-lite", "bilstm")]
    X = rng.integers(0, 256, size=(7, 48, 48), dtype=np.uint8)
    vote = VotingClassifier(members, voting="soft").fit(X, sorted(CLASSES))
    save_estimator(vote, tmp_path / "vote.skops")
    rows = _predict_three_faces(tmp_path, X, capsys, "--estimator", str(tmp_path / "vote.skops"))
    proba = vote.predict_proba(X[:3])
    assert [r["label"] for r in rows] == list(vote.predict(X[:3]))
    np.testing.assert_allclose(
        [[float(r[c]) for c in sorted(CLASSES)] for r in rows], proba, atol=1e-3
    )
    # test-time shifts are a parameter of our estimator, not of the vote: said so
    assert (
        main(
            [
                "predict",
                str(tmp_path / "0.png"),
                "--no-detect",
                "--test-time-shift",
                "2",
                "--estimator",
                str(tmp_path / "vote.skops"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "--test-time-shift" in err and "VotingClassifier" in err and "vote.skops" in err


def test_predict_with_test_time_shifts(tmp_path, rng, capsys):
    from bilstm_emotion import load_pretrained

    X = rng.integers(0, 256, size=(3, 48, 48), dtype=np.uint8)
    rows = _predict_three_faces(
        tmp_path, X, capsys, "--model", "conv-lite", "--test-time-shift", "2"
    )
    keras_lite = load_pretrained("conv-lite", engine="keras")
    shifted = keras_lite.set_params(test_time_shift=2).predict_proba(X)
    plain = load_pretrained("conv-lite", engine="keras").predict_proba(X)
    got = np.array([[float(r[c]) for c in sorted(CLASSES)] for r in rows])
    np.testing.assert_allclose(got, shifted, atol=1e-3)
    assert np.abs(shifted - plain).max() > 0.01  # the option changed the numbers
    args = ["predict", str(tmp_path / "*.png"), "--no-detect", "--model", "conv-lite"]
    assert main([*args, "--test-time-shift", "-1"]) == 2
    assert "Expected --test-time-shift >= 0. Received: -1" in capsys.readouterr().err


@pytest.mark.slow
def test_predict_in_bfloat16(tmp_path, rng, capsys):
    from bilstm_emotion import load_pretrained

    X = rng.integers(0, 256, size=(3, 48, 48), dtype=np.uint8)
    rows = _predict_three_faces(
        tmp_path, X, capsys, "--model", "conv-lite", "--predict-dtype", "bfloat16"
    )
    low = (
        load_pretrained("conv-lite", engine="keras")
        .set_params(predict_dtype="bfloat16")
        .predict_proba(X)
    )
    got = np.array([[float(r[c]) for c in sorted(CLASSES)] for r in rows])
    np.testing.assert_allclose(got, low, atol=1e-3)
    assert not np.array_equal(low, load_pretrained("conv-lite", engine="keras").predict_proba(X))
    rows = _predict_three_faces(
        tmp_path, X, capsys, "--model", "conv-lite", "--predict-dtype", "auto", "--overwrite"
    )
    auto = (
        load_pretrained("conv-lite", engine="keras")
        .set_params(predict_dtype="auto")
        .predict_proba(X)
    )
    got = np.array([[float(r[c]) for c in sorted(CLASSES)] for r in rows])
    np.testing.assert_allclose(got, auto, atol=1e-3)
    args = ["predict", str(tmp_path / "*.png"), "--no-detect", "--predict-dtype", "float16"]
    with pytest.raises(SystemExit):  # argparse names the choices
        main(args)
    assert "invalid choice: 'float16'" in capsys.readouterr().err


# ------------------------------------------------------------------ summary
def test_summary_per_folder_with_csv_and_plot(photo_folder, tmp_path, capsys):
    code = main(
        [
            "summary",
            str(photo_folder),
            "--csv",
            str(tmp_path / "s.csv"),
            "--plot",
            str(tmp_path / "s.png"),
        ]
    )
    assert code == 3  # broken.jpg
    rows = {r["group"]: r for r in _csv(tmp_path / "s.csv")}
    assert set(rows) == {"a", "b"}
    assert rows["b"]["images"] == "3" and rows["b"]["errors"] == "1"
    assert rows["b"]["no_face"] == "1"
    assert rows["a"]["dominant"] == "happy"
    assert (tmp_path / "s.png").stat().st_size > 1000
    assert "dominant" in capsys.readouterr().out


def test_summary_from_a_predictions_csv(photo_folder, tmp_path, capsys):
    main(["predict", str(photo_folder / "a"), "--csv", str(tmp_path / "p.csv"), "-q"])
    assert main(["summary", str(tmp_path / "p.csv"), "--by", "none"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["group", "images", "faces", "no_face", "errors"]
    assert out[1].split()[:3] == ["all", "1", str(len(_csv(tmp_path / "p.csv")))]
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["summary", str(bad)]) == 1
    assert "Expected the columns of `bilstm-emotion predict` records" in capsys.readouterr().err


# -------------------------------------------------------------------- video
@pytest.mark.slow
def test_video_writes_timeline_summary_plot_and_annotated_copy(face_video, tmp_path, capsys):
    out = tmp_path / "v"
    code = main(["video", str(face_video), "--out", str(out), "--annotate", "--window", "1"])
    assert code == 0, capsys.readouterr().err
    rows = _csv(out / "timeline.csv")
    assert list(rows[0])[:3] == ["time", "frame", "face"]
    assert {r["frame"] for r in rows} == {str(i) for i in range(20)}  # every frame, in order
    faces = [r for r in rows if r["status"] == "ok"]
    assert len(faces) >= 18 and {r["face"] for r in faces if r["label"] == "happy"} == {"1"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames"] == 20 and summary["overall"]["happy"] > 0.5
    assert summary["per_face"]["1"]["frames"] >= 15
    assert [w["start"] for w in summary["per_window"]] == [0, 1]
    assert (out / "timeline.png").stat().st_size > 1000
    from bilstm_emotion.video import video_info

    assert video_info(out / "annotated.mp4")["n_frames"] == 20
    assert "1 face(s) tracked" in capsys.readouterr().out
    # never overwrite without --overwrite
    assert main(["video", str(face_video), "--out", str(out)]) == 1
    assert "timeline.csv already exists" in capsys.readouterr().err


def test_video_truncated_keeps_what_was_decoded(face_video, tmp_path, capsys):
    data = face_video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.85)])
    code = main(["video", str(cut), "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 3 and "looks truncated" in err and "cut.mp4" in err
    rows = _csv(tmp_path / "c" / "timeline.csv")
    assert 0 < len({r["frame"] for r in rows}) < 20
    # cut inside the first frame: nothing to decode, the whole job fails
    cut.write_bytes(data[: int(len(data) * 0.3)])
    assert main(["video", str(cut), "--out", str(tmp_path / "d")]) == 1
    assert "Cannot read video" in capsys.readouterr().err


def test_video_errors_name_the_culprit(tmp_path, capsys):
    assert main(["video", str(tmp_path / "none.mp4")]) == 1
    assert "No such video file" in capsys.readouterr().err
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    assert main(["video", str(junk), "--out", str(tmp_path / "j")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bilstm-emotion video: error: Cannot read video") and "junk.mp4" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "j").exists()  # nothing half-made
    # a camera that is not there: one line that says so, no claim of a partial run
    assert main(["video", "--camera", "99", "--out", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bilstm-emotion video: error: Cannot open camera 99: /dev/video99 ")
    assert err.count("\n") == 1 and "did not finish" not in err and len(err) < 300
    assert not (tmp_path / "c").exists()
    assert main(["video"]) == 2
    assert "Expected a video file, --camera N or --screen" in capsys.readouterr().err
    assert main(["video", str(junk), "--fps", "0"]) == 2
    assert "Expected --fps > 0. Received: --fps 0.0" in capsys.readouterr().err


@pytest.fixture
def x_screen(tmp_path):
    """An X screen (Xvfb, 1280x720) showing a call of four participants in Chromium's
    kiosk window: its display name, once the picture is on it."""
    import shutil

    from PIL import Image

    from bilstm_emotion.video import Screen, demo_participants, make_demo_call, read_frames

    xvfb, chromium = shutil.which("Xvfb"), shutil.which("chromium")
    if not (xvfb and chromium):
        if os.environ.get("BILSTM_EMOTION_REQUIRE_BROWSER") == "1":
            pytest.fail("needs Xvfb and Chromium (apt-get install xvfb chromium)")
        pytest.skip("needs Xvfb and Chromium (apt-get install xvfb chromium)")
    grid = make_demo_call(demo_participants(4))
    Image.fromarray(grid).save(tmp_path / "call.png")
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        display = ":" + f.readline().strip()
    window = subprocess.Popen(
        [
            chromium,
            "--no-sandbox",
            "--kiosk",
            "--no-first-run",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-position=0,0",
            "--window-size=1280,720",
            (tmp_path / "call.png").as_uri(),
        ],
        env={**os.environ, "DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the window shows the call
            _, _, _, rgb = next(read_frames(Screen(display), fps=5, color=True))
            if np.abs(rgb.astype(np.int16) - grid).mean() < 12:
                break
            time.sleep(0.5)
        else:
            pytest.fail("Chromium did not show the call on the X screen")
        yield display
    finally:
        window.kill()
        server.kill()
        window.wait()
        server.wait()


@pytest.mark.slow
def test_video_screen_follows_the_participants_of_a_call_on_the_screen(x_screen, tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["video", "--screen", x_screen, "--fps", "2", "--max-seconds", "3", "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    rows = _csv(out / "timeline.csv")
    by_frame = {}
    for r in rows:
        by_frame.setdefault(r["frame"], []).append(r)
    assert len(by_frame) >= 6  # 3 s at 2 frames/s, and the frame at 3 s
    for faces in by_frame.values():
        assert len(faces) == 4 and {f["status"] for f in faces} == {"ok"}
    assert {r["face"] for r in rows} == {"1", "2", "3", "4"}  # one id each, all along
    summary = json.loads((out / "summary.json").read_text())
    assert summary["source"] == f"screen {x_screen}" and summary["faces"] == 4
    assert "4 face(s) tracked" in capsys.readouterr().out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11's screen grab")
def test_video_screen_without_a_display_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    assert main(["video", "--screen", "--out", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "Expected an X11 display to grab" in err and err.count("\n") == 1
    assert not (tmp_path / "s").exists()
    # a Wayland desktop's $DISPLAY is XWayland's, whose grab is black: said, not run
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert main(["video", "--screen", "--out", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "a Wayland session" in err and "Call tab" in err
    assert not (tmp_path / "s").exists()
    assert main(["video", "--camera", "0", "--screen"]) == 2
    assert "Received: --camera and --screen" in capsys.readouterr().err


def test_video_without_faces_says_so(tmp_path, capsys):
    from .conftest import write_face_video

    path = write_face_video(tmp_path / "empty.mp4", seconds=1.0, face=False)
    assert main(["video", str(path), "--out", str(tmp_path / "e"), "-q"]) == 0
    assert "no face found" in capsys.readouterr().err
    rows = _csv(tmp_path / "e" / "timeline.csv")
    assert len(rows) == 10 and {r["status"] for r in rows} == {"no face"}


# ------------------------------------------------------ train / grid-search
@pytest.mark.slow
def test_train_then_predict_with_the_saved_model(tmp_path, capsys):
    _write_fer_folder(tmp_path / "fer", n_per_class=4)
    model = tmp_path / "m.skops"
    code = main(
        [
            "train",
            str(tmp_path / "fer"),
            "--out",
            str(model),
            "--epochs",
            "1",
            "--set",
            "row_hidden=4",
            "--set",
            "col_hidden=4",
            "-q",
        ]
    )
    assert code == 0, capsys.readouterr().err
    from bilstm_emotion import load_estimator

    clf = load_estimator(model)
    assert (
        clf.row_hidden == 4
        and clf.n_iter_ == 1
        and list(clf.classes_) == ["angry", "happy", "sad"]
    )
    assert main(["train", str(tmp_path / "fer"), "--out", str(model), "--set", "rowhidden=4"]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err
    assert (
        main(
            [
                "train",
                str(tmp_path / "fer"),
                "--out",
                str(tmp_path / "n.skops"),
                "--set",
                "rowhidden=4",
            ]
        )
        == 1
    )
    assert "'rowhidden'" in capsys.readouterr().err
    # a pickle is refused as an output: whoever is handed it would run its code
    assert main(["train", str(tmp_path / "fer"), "--out", str(tmp_path / "n.joblib")]) == 1
    assert "--out ending in .skops" in capsys.readouterr().err


class _Bar:
    """What a progress bar was told (the real one shows only on a terminal)."""

    def __init__(self, total=None, desc=None, **_):
        self.total, self.desc, self.n, self.postfix, self.closed = total, desc, 0, {}, False
        _Bar.made.append(self)

    def update(self, n=1):
        self.n += n

    def set_postfix(self, values, refresh=True):
        self.postfix = values

    def close(self):
        self.closed = True


@pytest.mark.slow
def test_train_and_grid_search_show_progress_with_an_estimate(tmp_path, capsys, monkeypatch):
    """Issue 47: a long search showed no sign of life; the bars know their totals."""
    from bilstm_emotion.cli import _grid_search, _train

    _write_fer_folder(tmp_path / "fer", n_per_class=4)
    _Bar.made = []
    monkeypatch.setattr(_grid_search, "progress", _Bar)
    monkeypatch.setattr(_train, "progress", _Bar)
    monkeypatch.setattr(_train, "on_terminal", lambda: True)
    common = ["--set", "row_hidden=2", "--set", "col_hidden=2", "--epochs", "3"]
    args = [str(tmp_path / "fer"), *common, "--param", "learning_rate=0.01,0.02", "--cv", "2"]
    assert main(["grid-search", *args]) == 0
    (fits,) = _Bar.made
    assert (fits.desc, fits.total, fits.n, fits.closed) == ("fits", 4, 4, True)
    out = str(tmp_path / "m.skops")
    assert main(["train", str(tmp_path / "fer"), *common, "--out", out]) == 0
    epochs = _Bar.made[-1]
    assert (epochs.desc, epochs.total, epochs.n, epochs.closed) == ("epochs", 3, 3, True)
    assert set(epochs.postfix) == {"loss", "accuracy"}
    capsys.readouterr()


#: A grid search of two tiny candidates, two folds each (after the folder of faces).
_TINY_SEARCH = ["--param", "row_hidden=2,3", "--set", "col_hidden=2", "--epochs", "1", "--cv", "2"]


@pytest.mark.slow
def test_grid_search_prints_the_study_table(tmp_path, capsys):
    _write_fer_folder(tmp_path / "fer", n_per_class=4)
    code = main(
        [
            "grid-search",
            str(tmp_path / "fer"),
            *_TINY_SEARCH,
            "--out",
            str(tmp_path / "g.json"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Fitting 2 folds for each of 2 candidates" in out  # progress, unless --quiet
    assert "\nBest: " in out and "with: {'row_hidden': 2}" in out
    assert "2 candidates x 2 folds = 4 fits in " in out  # it said "2 fits of 2 folds"
    result = json.loads((tmp_path / "g.json").read_text())
    assert len(result["results"]) == 2 and set(result["best_params"]) == {"row_hidden"}


@pytest.mark.slow
def test_train_streamed_and_grid_search_on_a_dask_scheduler(tmp_path, capsys, monkeypatch):
    from distributed import LocalCluster

    from bilstm_emotion.datasets import ImageFiles

    _write_fer_folder(tmp_path / "fer", n_per_class=4)
    seen = []
    original_fit = BiLSTMFaceEmotionClassifier.fit

    def spy(self, X, y, **kwargs):
        seen.append(type(X))
        return original_fit(self, X, y, **kwargs)

    monkeypatch.setattr(BiLSTMFaceEmotionClassifier, "fit", spy)
    code = main(
        [
            "train",
            str(tmp_path / "fer"),
            "--out",
            str(tmp_path / "m.skops"),
            "--epochs",
            "1",
            "--set",
            "row_hidden=2",
            "--set",
            "col_hidden=2",
            "--stream",
            "-q",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert seen == [ImageFiles]  # trained from the files, batch by batch
    # A scheduler in this process (threads), so the spy sees the fits of the search too.
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        code = main(
            [
                "grid-search",
                str(tmp_path / "fer"),
                *_TINY_SEARCH,
                "--stream",
                "--scheduler",
                cluster.scheduler_address,
                "-q",
                "--out",
                str(tmp_path / "g.json"),
            ]
        )
    assert code == 0, capsys.readouterr().err
    assert seen[1:] == [ImageFiles] * 5  # 2 candidates x 2 folds + the refit, all on disk
    assert len(json.loads((tmp_path / "g.json").read_text())["results"]) == 2


def test_every_subcommand_help_has_examples():
    choices = build_parser()._subparsers._group_actions[0].choices
    assert set(choices) == {
        "predict",
        "video",
        "summary",
        "serve",
        "export",
        "train",
        "evaluate",
        "grid-search",
        "demo",
    }
    for name, sub in choices.items():
        assert f"bilstm-emotion {name}" in sub.format_help(), name
        for action in sub._actions:  # every option says what it does, in words
            assert action.help and len(action.help.split()) >= 3, (name, action.dest)


@pytest.mark.slow
def test_console_script_exit_codes(photo_folder, tmp_path):
    import shutil

    exe = shutil.which("bilstm-emotion") or pytest.fail("bilstm-emotion is not installed")
    ok = subprocess.run(
        [exe, "predict", str(photo_folder / "a"), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [exe, "video", str(tmp_path / "x.mp4")], capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 1 and bad.stderr.strip().endswith(
        "No such video file: " + str(tmp_path / "x.mp4")
    )


@pytest.mark.slow
def test_without_a_backend_predicting_works_and_training_says_what_to_install(
    tmp_path, face_video
):
    """Issue 45: the package depends on no Keras backend. With none installed (hidden
    here from the backend chooser), the demo and a video answer, and train fails in one
    line that names the extras."""
    import subprocess
    import sys

    code = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a, **k: (\n"
        "    None if name in ('tensorflow', 'jax', 'torch') else real(name, *a, **k))\n"
        "from bilstm_emotion.cli import main\n"
        "print('demo', main(['predict', '--demo', '-q']))\n"
        f"print('video', main(['video', {str(face_video)!r}, '--out', {str(tmp_path / 'v')!r},"
        " '-q']))\n"
        f"print('train', main(['train', 'faces/', '--out', {str(tmp_path / 'm.skops')!r}]))\n"
        "print('loaded', sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch')"
        " if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "demo 0" in done.stdout and "video 0" in done.stdout and "train 1" in done.stdout
    assert not re.search(r"absl|cuInit|oneDNN|cuda|^[IWE]\d{4} ", done.stderr, re.M)
    assert "loaded []" in done.stdout
    (line,) = [line for line in done.stderr.splitlines() if "train: error" in line]
    assert 'pip install "bilstm-emotion[tensorflow]" (or [jax], [torch])' in line


def test_predict_to_parquet_resumes_and_every_output_reads_back(tmp_path, photo_folder, capsys):
    from bilstm_emotion.monitoring import read_records

    out = tmp_path / "faces"
    args = ["predict", str(photo_folder), "--parquet", str(out), "--partition-size", "2"]
    code = main([*args, "--csv", str(tmp_path / "a.csv"), "--json", str(tmp_path / "a.json")])
    captured = capsys.readouterr()
    assert code == 3 and "skipped Cannot read image" in captured.err  # broken.jpg
    assert "record(s) of 4 image(s) predicted, 0 already in" in captured.out
    assert sorted(p.name for p in out.iterdir()) == ["part-000000.parquet", "part-000001.parquet"]
    # the same rows, typed alike, from each output
    outputs = [out, tmp_path / "a.csv", tmp_path / "a.json"]
    (parquet, rows), *others = [read_records(path) for path in outputs]
    rows = list(rows)
    assert len(rows) == len(_csv(tmp_path / "a.csv")) >= 4
    for classes, other in others:
        assert classes == parquet and list(other) == rows
    # a second run is refused without --resume; with it, only the unreadable file is redone
    assert main(args) == 1
    assert "--resume" in capsys.readouterr().err
    assert main([*args, "--resume", "--csv", str(tmp_path / "b.csv")]) == 3
    assert "1 record(s) of 1 image(s) predicted, 3 already in" in capsys.readouterr().out
    # the whole folder's rows, partition by partition: the file redone comes last now
    rows_b, rows_a = _csv(tmp_path / "b.csv"), _csv(tmp_path / "a.csv")
    assert rows_b[-1]["source"].endswith("broken.jpg")
    assert sorted(rows_b, key=lambda r: r["source"]) == sorted(rows_a, key=lambda r: r["source"])
    assert main([*args, "--resume", "--csv", "s3://bucket/b.csv"]) == 1
    assert "Expected a local file for this output" in capsys.readouterr().err
    assert main(["summary", str(out), "--by", "none", "--csv", str(tmp_path / "s.csv")]) == 3
    [summary] = _csv(tmp_path / "s.csv")
    assert (summary["images"], summary["errors"], summary["no_face"]) == ("4", "1", "1")


@pytest.mark.parametrize(
    "options, message",
    [
        (["--resume"], "Expected --parquet DIR with --resume"),
        (["--partition-size", "5"], "Expected --partition-size with --scheduler or --parquet"),
        (["--parquet", "x", "--partition-size", "0"], "Expected --partition-size >= 1"),
        (["--parquet", "x", "--annotate", "y"], "Expected --annotate without --scheduler"),
        (["--scheduler", "local"], "Expected --csv, --json or --parquet with --scheduler"),
        (["--parquet", "x", "--resume", "--overwrite"], "not both. Received: both"),
    ],
)
def test_partition_options_are_checked_before_any_work(
    tmp_path, photo_folder, options, message, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(photo_folder), *options]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_predict_and_summary_on_a_dask_scheduler(tmp_path, photo_folder):
    from distributed import LocalCluster

    files = ["predict", str(photo_folder), "-q"]
    assert main([*files, "--csv", str(tmp_path / "here.csv")]) == 3
    # A cluster in this process (threads): the same rows, in the same order.
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        address = ["--scheduler", cluster.scheduler_address]
        assert main([*files, *address, "--csv", str(tmp_path / "there.csv")]) == 3
        assert (
            main(["summary", str(photo_folder), *address, "--csv", str(tmp_path / "s.csv")]) == 3
        )
    assert _csv(tmp_path / "there.csv") == _csv(tmp_path / "here.csv")
    assert [row["group"] for row in _csv(tmp_path / "s.csv")] == ["a", "b"]
