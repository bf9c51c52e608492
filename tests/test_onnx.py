"""ONNX export: the whole prediction in one graph, checked with onnxruntime."""

import json

import numpy as np
import pytest

onnxruntime = pytest.importorskip("onnxruntime", reason="the `export` extra (in `tests`)")
onnx = pytest.importorskip("onnx")

from skimage import data  # noqa: E402

from bilstm_emotion import OnnxFaceEmotionClassifier, export_onnx, load_pretrained  # noqa: E402
from bilstm_emotion.cli import main  # noqa: E402
from bilstm_emotion.monitoring import FacePredictor  # noqa: E402

pytestmark = pytest.mark.xdist_group("onnx")


def real_faces(estimator):
    """The astronaut's face as the pipeline crops it, moved and mirrored: uint8 (n, 48, 48)."""
    predictor = FacePredictor(estimator)
    photo = data.astronaut()
    (box,) = predictor.boxes(photo)
    faces = []
    for dr, dc, size in ((0, 0, 0), (-8, 4, 10), (6, -6, -12), (10, 10, 20)):
        moved = {
            "row": box["row"] + dr,
            "col": box["col"] + dc,
            "height": box["height"] + size,
            "width": box["width"] + size,
        }
        crop = predictor.detector.crop(photo.mean(axis=2) / 255, moved)
        face = predictor.normalizer.transform([crop])[0]
        faces += [face, face[:, ::-1]]
    return np.rint(np.asarray(faces) * 255).astype(np.uint8)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["conv-lite", "conv-xl-kd"])  # mirror; mirror and shifts
def test_the_graph_predicts_as_the_estimator(name, tmp_path):
    clf = load_pretrained(name, engine="keras")
    path = export_onnx(clf, tmp_path / f"{name}.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["faces"]
    assert session.get_inputs()[0].type == "tensor(uint8)"
    assert [o.name for o in session.get_outputs()] == ["probabilities"]
    # the batch dimension is named for what it is (the exporter said `unk__396`)
    assert session.get_inputs()[0].shape == ["n_faces", 48, 48]
    assert session.get_outputs()[0].shape == ["n_faces", 7]
    faces = real_faces(clf)
    got = session.run(None, {"faces": faces})[0]
    expected = clf.predict_proba(faces)
    assert got.shape == (len(faces), 7)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert clf.classes_[got[0].argmax()] == "happy"
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(meta["classes"]) == list(clf.classes_)
    assert meta["test_time_views"] == str(10 if name == "conv-xl-kd" else 2)
    one = session.run(None, {"faces": faces[:1]})[0]  # any batch size
    # the user's own exported file, the scikit-learn way and without Keras (issue 45)
    mine = OnnxFaceEmotionClassifier.from_onnx(path)
    assert mine.classes_.tolist() == clf.classes_.tolist() and mine.image_shape_ == (48, 48)
    np.testing.assert_allclose(mine.predict_proba(faces), expected, atol=1e-4)
    # an ONNX estimator is a graph already: exporting one is refused, saying what to do
    with pytest.raises(ValueError, match=r"already an ONNX graph.*engine=\"keras\""):
        export_onnx(load_pretrained(name), tmp_path / "again.onnx")
    np.testing.assert_allclose(one, expected[:1], atol=1e-4)
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert not any("Random" in op for op in ops)  # training-only layers left out


@pytest.mark.slow
def test_a_small_recurrent_model(make_clf, faces, tmp_path):
    X, y = faces
    clf = make_clf(
        patch_size=4,
        sweep_layers=1,
        sweep_hidden=4,
        flip=True,
        test_time_flip=True,
        test_time_shift=1,
    ).fit(X, y)
    path = export_onnx(clf, tmp_path / "small.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X8 = np.asarray(X[:20], dtype=np.uint8).reshape(-1, *clf.image_shape_)
    np.testing.assert_allclose(
        session.run(None, {"faces": X8})[0], clf.predict_proba(X8), atol=1e-4
    )


def test_refuses_what_it_cannot_export(make_clf, tmp_path):
    with pytest.raises(ValueError, match="Expected a fitted BiLSTMFaceEmotionClassifier"):
        export_onnx(make_clf(), tmp_path / "x.onnx")
    from sklearn.dummy import DummyClassifier

    dummy = DummyClassifier().fit([[0], [1]], [0, 1])
    with pytest.raises(ValueError, match="Received: DummyClassifier"):
        export_onnx(dummy, tmp_path / "x.onnx")


@pytest.mark.slow
def test_the_export_command(tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["export", str(out)]) == 0
    assert "probabilities (n, 7)" in capsys.readouterr().out
    assert out.stat().st_size > 1_000_000
    assert not list(tmp_path.glob("*.partial"))
    assert main(["export", str(out)]) == 1  # exists
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "model.keras")]) == 1
    assert "ending in .onnx" in capsys.readouterr().err


@pytest.mark.slow
def test_the_graph_is_float32_whatever_predict_dtype_says(tmp_path):
    clf = load_pretrained(engine="keras").set_params(predict_dtype="bfloat16")
    path = export_onnx(clf, tmp_path / "x.onnx")  # checked against float32: no error
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    faces = real_faces(clf)
    got = session.run(None, {"faces": faces})[0]
    exact = load_pretrained(engine="keras").set_params(predict_dtype="float32")
    exact = exact.predict_proba(faces)
    np.testing.assert_allclose(got, exact, atol=1e-4)
    assert clf.predict_dtype == "bfloat16"  # the estimator given is left as it was


@pytest.mark.slow
def test_a_graph_off_the_model_is_refused(tmp_path, capsys, monkeypatch):
    """One tolerance serves export_onnx and the command: over it, an error and no file."""
    from bilstm_emotion.model import _onnx

    monkeypatch.setattr(_onnx, "check_onnx", lambda estimator, path: 2 * _onnx.TOLERANCE)
    with pytest.raises(ValueError, match=r"within 0.0001\. Received: a largest difference"):
        export_onnx(load_pretrained(engine="keras"), tmp_path / "x.onnx")
    out = tmp_path / "model.onnx"
    assert main(["export", str(out)]) == 1
    assert f"nothing written to {out}" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


@pytest.mark.slow
def test_other_backends_are_told_to_use_tensorflow(tmp_path):
    """Keras' JAX and PyTorch exporters cannot keep a free batch size here: a clear error."""
    import os
    import subprocess
    import sys

    pytest.importorskip("jax")
    code = (
        "from bilstm_emotion import export_onnx, load_pretrained\n"
        "export_onnx(load_pretrained(engine='keras'), 'x.onnx')"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert "Expected the TensorFlow backend for ONNX export" in done.stderr
    assert "Received: backend 'jax'" in done.stderr
    assert not (tmp_path / "x.onnx").exists()
