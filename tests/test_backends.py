"""Smoke test on every Keras backend, and the choice of the default backend.

Keras fixes its backend at import, so each backend runs in a fresh process.
A backend that is not installed is skipped locally; in CI (``CI`` set) all
three are installed and a missing one fails the test.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bilstm_emotion.core import _backend

SMOKE = textwrap.dedent(
    """
    import json, pickle, sys
    import keras
    import numpy as np
    from bilstm_emotion import BiLSTMFaceEmotionClassifier
    from bilstm_emotion.datasets import make_synthetic_faces

    X, y = make_synthetic_faces(40, image_size=12, classes=("happy", "sad"), random_state=0,
                                return_X_y=True)
    clf = BiLSTMFaceEmotionClassifier(row_hidden=4, col_hidden=4, epochs=2, batch_size=8,
                                      random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    again = BiLSTMFaceEmotionClassifier(**clf.get_params()).fit(X, y).predict_proba(X)
    pickled = pickle.loads(pickle.dumps(clf)).predict_proba(X)
    clf.model_.save(sys.argv[1])
    loaded = keras.saving.load_model(sys.argv[1], safe_mode=True)
    reloaded = np.asarray(loaded.predict(X.astype("float32") / 255, verbose=0))
    from bilstm_emotion import PRETRAINED, load_pretrained, pretrained_info
    pretrained = {}
    for name in PRETRAINED:
        ref = pretrained_info(name)["reference"]
        shipped = load_pretrained(name, engine="keras").set_params(predict_dtype="float32")
        got = shipped.predict_proba(np.asarray(ref["images"], dtype=np.uint8))
        pretrained[name] = float(np.abs(got - np.asarray(ref["proba"])).max())
    low = load_pretrained(engine="keras").set_params(predict_dtype="bfloat16").predict_proba(
        np.asarray(pretrained_info()["reference"]["images"], dtype=np.uint8))
    bfloat16 = float(np.abs(low - np.asarray(pretrained_info()["reference"]["proba"])).max())
    from skimage import data
    from bilstm_emotion.faces import BlazeFaceDetector
    (face,) = BlazeFaceDetector().detect(data.astronaut())
    blazeface = [face.row, face.col, face.height, face.width, face.score,
                 *face.landmarks["left_eye"]]
    from sklearn.frozen import FrozenEstimator
    teacher = pickle.loads(pickle.dumps(clf)).set_params(test_time_flip=True, test_time_shift=1)
    before = teacher.model_.get_weights()
    online = BiLSTMFaceEmotionClassifier(
        row_hidden=4, col_hidden=4, epochs=2, batch_size=8, random_state=0, flip=True,
        shift=0.1, teacher=FrozenEstimator(teacher), teacher_views="online").fit(X, y)
    online_result = [online.history_["loss"], online.predict_proba(X).shape[1],
                     all(np.array_equal(a, b)
                         for a, b in zip(before, teacher.model_.get_weights()))]
    from bilstm_emotion.inspection import gradient_saliency
    saliency = gradient_saliency(clf, X[:3], method="integrated", steps=4)
    print(json.dumps({
        "saliency": [list(saliency.shape), bool(np.isfinite(saliency).all()),
                     float(np.abs(saliency).max())],
        "pretrained_max_diff": pretrained,
        "online": online_result,
        "bfloat16_max_diff": bfloat16,
        "blazeface": blazeface,
        "backend": keras.backend.backend(),
        "shape": list(proba.shape),
        "row_sums": float(np.abs(proba.sum(1) - 1).max()),
        "labels": sorted(set(clf.predict(X).tolist())),
        "seeded_max_diff": float(np.abs(again - proba).max()),
        "pickle_max_diff": float(np.abs(pickled - proba).max()),
        "saved_max_diff": float(np.abs(reloaded - proba).max()),
    }))
    """
)


def _require(module):
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed; CI installs every backend (README).")
        pytest.skip(f"{module} is not installed (pip install 'bilstm-emotion[{module}]')")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "tensorflow", "torch"])
def test_fit_predict_save_load_pickle_on_backend(backend, tmp_path):
    _require(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-c", SMOKE, str(tmp_path / "model.keras")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["backend"] == backend
    assert result["shape"] == [40, 2]
    assert result["row_sums"] < 1e-9
    assert set(result["labels"]) <= {"happy", "sad"}
    assert result["seeded_max_diff"] == 0.0
    assert result["pickle_max_diff"] == 0.0
    assert result["saved_max_diff"] < 1e-5
    assert result["saliency"][:2] == [[3, 12, 12], True]
    assert result["saliency"][2] > 0
    # The shipped models give the probabilities recorded at export (TensorFlow) here too.
    assert result["pretrained_max_diff"], "no shipped model was checked"
    for name, diff in result["pretrained_max_diff"].items():
        assert diff < 1e-4, f"{name} on {backend}: max |proba difference| {diff}"
    # Online distillation (teacher_views="online") trains here, the teacher left untouched.
    losses, n_classes, teacher_kept = result["online"]
    assert len(losses) == 2 and np.all(np.isfinite(losses)) and n_classes == 2 and teacher_kept
    # predict_dtype="bfloat16" runs here too, within bfloat16's precision of float32
    assert 0 < result["bfloat16_max_diff"] < 0.03
    # The face detector finds the same face, to a hundredth of a pixel, as here.
    from skimage import data

    from bilstm_emotion.faces import BlazeFaceDetector

    (face,) = BlazeFaceDetector().detect(data.astronaut())
    here = [face.row, face.col, face.height, face.width, face.score, *face.landmarks["left_eye"]]
    np.testing.assert_allclose(result["blazeface"], here, atol=0.01)


# ------------------------------------------------------ default backend choice
@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """No KERAS_BACKEND, Keras not imported, an empty KERAS_HOME."""
    # setenv first, so that whatever choose_backend sets is undone even where KERAS_BACKEND
    # was unset (a keras.json chose): leaked, it would reach processes started later
    # (the Dask workers of test_scaling.py, which would then train on another backend).
    monkeypatch.setenv("KERAS_BACKEND", "")
    monkeypatch.delenv("KERAS_BACKEND")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delitem(sys.modules, "keras")
    return tmp_path


def test_picks_the_first_installed_backend(fresh, monkeypatch):
    monkeypatch.setattr(_backend, "_installed", lambda b: b in {"jax", "torch"})
    assert _backend.choose_backend() == "jax"
    assert os.environ["KERAS_BACKEND"] == "jax"


def test_prefers_tensorflow_when_installed(fresh, monkeypatch):
    monkeypatch.setattr(_backend, "_installed", lambda b: True)
    assert _backend.choose_backend() == "tensorflow"


def test_keeps_a_working_keras_json(fresh, monkeypatch):
    (fresh / "keras.json").write_text(json.dumps({"backend": "torch"}))
    monkeypatch.setattr(_backend, "_installed", lambda b: True)
    assert _backend.choose_backend() is None
    assert "KERAS_BACKEND" not in os.environ


def test_replaces_a_keras_json_backend_that_is_missing(fresh, monkeypatch):
    (fresh / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    monkeypatch.setattr(_backend, "_installed", lambda b: b == "jax")
    assert _backend.choose_backend() == "jax"


def test_never_overrides_an_explicit_choice(fresh, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.setattr(_backend, "_installed", lambda b: True)
    assert _backend.choose_backend() is None
    assert os.environ["KERAS_BACKEND"] == "torch"


def test_does_nothing_once_keras_is_imported(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "")
    monkeypatch.delenv("KERAS_BACKEND")
    assert "keras" in sys.modules
    assert _backend.choose_backend() is None
    assert "KERAS_BACKEND" not in os.environ


# ------------------------------------------------------ the backend's start-up lines
def _stderr_of(code, **env):
    """What a new interpreter running ``code`` writes to standard error."""
    environ = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**environ, "KERAS_BACKEND": "tensorflow", **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")
def test_tensorflow_start_up_lines_stay_off_the_terminal_unless_asked_for():
    code = (
        "import sys, numpy as np\n"
        "from bilstm_emotion import load_pretrained\n"
        "print('ours, kept', file=sys.stderr)\n"
        "load_pretrained('conv-lite', engine='keras').predict(np.zeros((1, 48, 48), np.uint8))\n"
    )
    # TensorFlow itself prints them however TF_CPP_MIN_LOG_LEVEL is set: that is the defect
    raw = _stderr_of("import tensorflow as tf; tf.config.list_physical_devices()")
    assert "I0000" in raw or "cuInit" in raw or "absl::InitializeLog" in raw, raw
    assert _stderr_of(code).strip() == "ours, kept"
    assert _stderr_of(code, TF_CPP_MIN_LOG_LEVEL="3").strip() == "ours, kept"
    asked = _stderr_of(code, TF_CPP_MIN_LOG_LEVEL="0")
    assert "ours, kept" in asked and len(asked.strip().splitlines()) > 1
    # the shipped model as it ships (onnxruntime) loads no TensorFlow at all (issue 45)
    shipped = code.replace(", engine='keras'", "")
    assert _stderr_of(shipped, TF_CPP_MIN_LOG_LEVEL="0").strip() == "ours, kept"


def test_the_start_up_filter_passes_other_lines_on(capfd):
    with _backend._native_startup_noise_filtered():
        os.write(2, b"I0000 00:00:1796587089.326799    9752 port.cc:153] oneDNN custom...\n")
        os.write(2, b"E0000 00:00:1796587097.912903    9752 cuda_platform.cc:52] failed cuInit\n")
        os.write(2, b"Fatal Python error: something real\n")
        print("a Python warning", file=sys.stderr)
    lines = capfd.readouterr().err.splitlines()
    assert sorted(lines) == ["Fatal Python error: something real", "a Python warning"]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")
def test_no_retracing_warnings_from_the_new_networks_of_a_search():
    """Issue 45: every fit of a search builds a network whose predict function TensorFlow
    traces anew, and warned "triggered tf.function retracing" about it after a few."""
    code = (
        "import sys, numpy as np\n"
        "{load}\n"
        "for _ in range(8):\n"
        "    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
        "    net.predict(np.zeros((2, 4)), verbose=0)\n"
        "import logging; logging.getLogger('tensorflow').warning('other warnings pass')\n"
    )
    raw = _stderr_of(code.format(load="import keras"))
    assert "triggered tf.function retracing" in raw  # what TensorFlow does by itself
    ours = _stderr_of(
        code.format(
            load="from bilstm_emotion.core._backend import load_keras; keras = load_keras()"
        )
    )
    assert "retracing" not in ours and "other warnings pass" in ours
