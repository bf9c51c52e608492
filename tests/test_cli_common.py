"""What every subcommand shares (bilstm_emotion.cli._common): the model a run loads, the
outputs it claims, and how it goes on past inputs it cannot read."""

import csv
import errno
import os

import joblib
import numpy as np
import pytest

from bilstm_emotion import save_estimator
from bilstm_emotion.cli import _common, main


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _faces(folder, n=2):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (48, 48), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


# ------------------------------------------------------------------ --estimator
def test_a_pickled_estimator_runs_no_code_without_trust_pickle(
    tmp_path, capsys, fitted, evil_pickle
):
    _, marker = evil_pickle
    _faces(tmp_path / "in")
    for command in (
        ["predict", str(tmp_path / "in"), "--no-detect"],
        ["summary", str(tmp_path / "in"), "--no-detect"],
    ):
        assert main([*command, "--estimator", str(tmp_path / "evil.joblib")]) == 1
        err = capsys.readouterr().err
        assert "evil.joblib" in err and "--trust-pickle" in err and len(err.splitlines()) == 1
    assert not marker.exists()
    # a pickle you made yourself loads when you say so
    joblib.dump(fitted, tmp_path / "mine.joblib")
    _faces(tmp_path / "small", 1)
    code = main(
        [
            "predict",
            str(tmp_path / "small"),
            "--no-detect",
            "--trust-pickle",
            "-q",
            "--estimator",
            str(tmp_path / "mine.joblib"),
        ]
    )
    assert code == 0, capsys.readouterr().err


def test_estimator_files_that_are_not_one_give_one_line(tmp_path, capsys, fitted):
    from bilstm_emotion import BiLSTMFaceEmotionClassifier

    (tmp_path / "empty.skops").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("model\n")
    fitted.model_.save(tmp_path / "net.keras")
    save_estimator(BiLSTMFaceEmotionClassifier(), tmp_path / "unfitted.skops")
    cases = {
        "empty.skops": "the file is empty",
        "notes.txt": "text file",
        "net.keras": "Keras model archive",
        "unfitted.skops": "unfitted BiLSTMFaceEmotionClassifier",
    }
    for name, what in cases.items():
        assert main(["predict", "--demo", "-q", "--estimator", str(tmp_path / name)]) == 1
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and name in err and what in err, err


# ------------------------------------------------------------ inputs that fail
def test_unreadable_files_links_and_folders_each_get_a_row(tmp_path, capsys, monkeypatch):
    posts = _faces(tmp_path / "posts")
    (posts / "locked.png").write_bytes((posts / "0.png").read_bytes())
    os.symlink(posts / "gone.png", posts / "dangling.jpg")
    os.symlink(posts / "loop.jpg", posts / "loop.jpg")
    os.symlink(posts, posts / "back.jpg")  # a folder link back to its own folder
    (posts / "private").mkdir()
    _faces(posts / "private", 1)
    real_open, real_scandir = os.open, os.scandir

    def no_access(path, *args, **kwargs):  # what a non-root user sees on a chmod 000 file
        if str(path).endswith("locked.png"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def no_listing(path="."):
        if str(path).endswith("private"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", no_access)
    monkeypatch.setattr(os, "scandir", no_listing)
    code = main(["predict", str(posts), "--no-detect", "-q", "--csv", str(tmp_path / "o.csv")])
    assert code == 3
    status = {os.path.basename(r["source"]): r["status"] for r in _rows(tmp_path / "o.csv")}
    assert status["0.png"] == status["1.png"] == "ok"
    assert "permission denied" in status["locked.png"]
    assert (
        "symbolic link to" in status["dangling.jpg"] and "does not exist" in status["dangling.jpg"]
    )
    assert "symbolic link loop" in status["loop.jpg"]
    assert "symbolic link loop" in status["back.jpg"]
    assert "cannot be listed" in status["private"]
    assert len(status) == 7
    assert "5 of 7 input(s) could not be read" in capsys.readouterr().err


# -------------------------------------------------------------------- outputs
@pytest.fixture
def no_model(monkeypatch):
    """Fail loudly if a run loads its model: outputs must be checked before that."""

    def refuse(args):
        raise AssertionError("the model was loaded before the outputs were checked")

    monkeypatch.setattr(_common, "_load_model", refuse)


def test_outputs_are_checked_before_the_model_is_loaded(tmp_path, capsys, no_model):
    posts = _faces(tmp_path / "posts")
    same = tmp_path / "out.txt"
    assert main(["predict", str(posts), "--csv", str(same), "--json", str(same)]) == 1
    assert "are the same file" in capsys.readouterr().err and not same.exists()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "0.png").write_bytes(b"an earlier annotated copy")
    assert main(["predict", str(posts), "--annotate", str(tmp_path / "a")]) == 1
    assert "0.png already exists" in capsys.readouterr().err
    (tmp_path / "file").write_text("not a folder")
    assert main(["predict", str(posts), "--json", str(tmp_path / "file" / "o.json")]) == 1
    assert "Cannot write outputs in" in capsys.readouterr().err
    assert main(["predict", str(posts), "--csv", str(posts / "0.png"), "--overwrite"]) == 1
    assert "as both" in capsys.readouterr().err
    assert main(["summary", str(posts), "--csv", str(same), "--plot", str(same)]) == 1
    assert "are the same file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "file", "posts"]  # nothing left


def test_a_second_run_on_the_same_csv_is_refused(tmp_path, capsys, monkeypatch):
    posts = _faces(tmp_path / "posts")
    out = tmp_path / "o.csv"
    seen = []

    def second_run(source, image, pixels, records):
        # while the first run writes, another one starts on the same file
        if not seen:
            seen.append(main(["predict", str(posts), "--no-detect", "-q", "--csv", str(out)]))
            seen.append(capsys.readouterr().err)

    from bilstm_emotion.cli import _predict

    original = _predict.classify_files

    def records(files, predictor, args, on_record=None, sources=None):
        def both(*a):
            on_record(*a)
            second_run(*a)

        return original(files, predictor, args, both, sources)

    monkeypatch.setattr(_predict, "classify_files", records)
    assert main(["predict", str(posts), "--no-detect", "-q", "--csv", str(out)]) == 0
    assert seen[0] == 1 and "another run is writing" in seen[1]
    assert [os.path.basename(r["source"]) for r in _rows(out)] == ["0.png", "1.png"]
    assert not (tmp_path / "o.csv.partial").exists()


def test_an_interrupted_run_leaves_a_partial_csv(tmp_path, capsys, monkeypatch):
    from bilstm_emotion import monitoring

    posts = _faces(tmp_path / "posts", 3)
    original, calls = monitoring.FacePredictor.records, []

    def interrupt(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(monitoring.FacePredictor, "records", interrupt)
    out = tmp_path / "o.csv"
    code = main(
        [
            "predict",
            str(posts),
            "--no-detect",
            "-q",
            "--csv",
            str(out),
            "--json",
            str(tmp_path / "o.json"),
        ]
    )
    assert code == 130
    assert "o.csv.partial" in capsys.readouterr().err  # said, and in --help
    from bilstm_emotion.cli._predict import PREDICT_EPILOG

    assert _common.PARTIAL_SUFFIX in PREDICT_EPILOG
    assert not out.exists() and not (tmp_path / "o.json").exists()
    # --json too is written as the photos are done: the first photo's record is in it
    assert '"source": ' in (tmp_path / "o.json.partial").read_text()
    rows = _rows(tmp_path / "o.csv.partial")
    assert [os.path.basename(r["source"]) for r in rows] == ["0.png"]
    # the next run says what is in the way, and --overwrite clears it
    assert main(["predict", str(posts), "--no-detect", "-q", "--csv", str(out)]) == 1
    assert "an interrupted run left it" in capsys.readouterr().err
    monkeypatch.setattr(monitoring.FacePredictor, "records", original)
    assert (
        main(["predict", str(posts), "--no-detect", "-q", "--csv", str(out), "--overwrite"]) == 0
    )
    assert len(_rows(out)) == 3 and not (tmp_path / "o.csv.partial").exists()
