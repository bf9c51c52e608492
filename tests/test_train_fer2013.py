"""tools/train_fer2013.py: the shipped models' recipe, run end to end on a tiny FER2013.

The tool retrains a shipped model from its record (parameters, seed, teachers), scores it
and exports it the way the package ships its models; here on a few generated faces in the
Kaggle layout, for one epoch, so that a change to the public API it stands on shows.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bilstm_emotion import load_pretrained, pretrained_params
from bilstm_emotion.datasets import make_synthetic_faces

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool(load_script):
    return load_script(ROOT / "tools" / "train_fer2013.py")  # with its training/ helpers


@pytest.fixture(scope="module")
def tiny_fer2013(tmp_path_factory):
    """train/ (70 faces) and test/ (21 faces) of generated 48x48 faces, Kaggle's layout."""
    root = tmp_path_factory.mktemp("fer") / "fer2013"
    for split, n, seed in (("train", 70, 0), ("test", 21, 1)):
        X, y = make_synthetic_faces(n, random_state=seed, return_X_y=True)
        for i, (face, label) in enumerate(zip(X, y, strict=True)):
            folder = root / split / label
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(face).save(folder / f"{split}_{i}.png")
    return root


@pytest.mark.slow
def test_like_retrains_a_distilled_model_and_exports_it(tool, tiny_fer2013, tmp_path, monkeypatch):
    monkeypatch.setenv("BILSTM_EMOTION_DATA", str(tmp_path / "cache"))
    out, export = tmp_path / "run.json", tmp_path / "weights"
    recipe = ["--like", "bilstm-kd", "--set", "epochs=1", "--set", "verbose=0"]
    tool.main(
        [str(tiny_fer2013), *recipe, "--export", str(export), "--name", "again", "--out", str(out)]
    )
    record = json.loads(out.read_text())
    # the shipped model's recipe, seed and teachers, from its record
    recipe = pretrained_params("bilstm-kd")
    assert record["params"]["random_state"] == recipe["random_state"]
    assert record["params"]["sweep_hidden"] == recipe["sweep_hidden"]
    assert record["params"]["epochs"] == 1
    assert record["teacher"]["shipped_vote"] == ["conv-lite", "conv-xl", "conv-bilstm", "bilstm"]
    assert record["n_train"] == 70 and record["n_test"] == 21
    # scored at every setting it can ship with; its own (ten views) is the run's accuracy
    assert set(record["scores"]) == {"plain", "flip_tta", "shift2_tta", "flip_shift2_tta"}
    assert record["accuracy"] == record["scores"]["flip_shift2_tta"]["accuracy"]
    assert record["command"].startswith("python tools/train_fer2013.py")
    assert record["hardware"]["keras_backend"]

    clf = load_pretrained("again", directory=export)
    info = json.loads((export / "again.json").read_text())
    assert info["training"]["teacher"] == record["teacher"]
    assert clf.get_params()["test_time_shift"] == recipe["test_time_shift"] == 2
    # what the record's reference says the model predicts, the loaded model predicts
    images = np.asarray(info["reference"]["images"], dtype=np.uint8)
    np.testing.assert_allclose(
        clf.set_params(predict_dtype="float32").predict_proba(images),
        info["reference"]["proba"],
        atol=1e-5,
    )


def test_an_unknown_parameter_stops_the_run_before_the_data_are_read(tool, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the record would go by default
    missing = tmp_path / "no-such-fer2013"  # reading it would fail otherwise
    with pytest.raises(SystemExit, match="Received: row_hiden"):
        tool.main([str(missing), "--like", "bilstm", "--set", "row_hiden=3"])
    assert not list(tmp_path.iterdir())  # no record, no model


@pytest.mark.slow
def test_a_sample_of_the_training_faces_is_drawn_with_the_runs_seed(
    tool, tiny_fer2013, tmp_path, monkeypatch
):
    monkeypatch.setenv("BILSTM_EMOTION_DATA", str(tmp_path / "cache"))
    # conv-xl-flip ships with seed 9, not the tool's default, 0
    recipe = [str(tiny_fer2013), "--like", "conv-xl-flip", "--set", "epochs=1"]
    runs = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.json"
        tool.main([*recipe, "--train-size", "24", "--set", "verbose=0", "--out", str(out)])
        runs.append(json.loads(out.read_text()))
    assert runs[0]["n_train"] == 24
    assert runs[0]["params"]["random_state"] == pretrained_params("conv-xl-flip")["random_state"]
    assert runs[0]["params"]["random_state"] == 9
    # the command that made it, as given (not the test runner's arguments)
    assert runs[0]["command"].endswith("--set verbose=0 --out " + str(tmp_path / "a.json"))
    # the shipped model's seed draws the sample, so the same command trains the same way
    assert runs[0]["history"] == runs[1]["history"]
    accuracy = [{k: v["accuracy"] for k, v in run["scores"].items()} for run in runs]
    assert accuracy[0] == accuracy[1]


@pytest.mark.slow
def test_the_tool_keeps_tensorflows_start_up_lines_off_the_terminal():
    import subprocess

    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_fer2013.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "--like" in done.stdout
    assert done.stderr == ""
