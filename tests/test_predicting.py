"""Prediction of BiLSTMFaceEmotionClassifier (bilstm_emotion.model._predicting): test-time
views, the arithmetic it predicts in."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError


@pytest.mark.slow
def test_test_time_flip_averages_the_mirror_image(faces, make_clf):
    X, y = faces
    clf = make_clf(test_time_flip=True).fit(X, y)
    images = X.astype("float32") / 255
    plain = np.asarray(clf.model_.predict(images, verbose=0), dtype=np.float64)
    mirror = np.asarray(clf.model_.predict(images[:, :, ::-1], verbose=0), dtype=np.float64)
    expected = (plain + mirror) / (plain + mirror).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-6)
    # A face and its mirror image get the same probabilities.
    np.testing.assert_allclose(clf.predict_proba(X[:, :, ::-1]), clf.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("flip", [False, True])
def test_test_time_shift_averages_the_shifted_faces(faces, fitted, flip):
    from bilstm_emotion.model._test_time import test_time_views

    X, y = faces
    images = X.astype("float32") / 255
    views = test_time_views(images, flip=flip, shift=1)
    summed = sum(np.asarray(fitted.model_.predict(v, verbose=0), dtype=np.float64) for v in views)
    clf = pickle.loads(pickle.dumps(fitted)).set_params(test_time_flip=flip, test_time_shift=1)
    expected = summed / summed.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-6)
    assert not np.allclose(expected, fitted.predict_proba(X), atol=1e-4)  # the views matter
    # batches of odd sizes (padding) give the same numbers
    np.testing.assert_allclose(clf.set_params(batch_size=7).predict_proba(X), expected, atol=1e-6)
    with pytest.raises(ValueError, match="test_time_shift"):
        clone(fitted).set_params(test_time_shift=-1).fit(X, y)


@pytest.mark.slow
def test_bfloat16_prediction_follows_the_network(faces, make_clf):
    X, y = faces
    clf = make_clf(stem="conv", stem_filters=(4,)).fit(X, y)
    exact = clf.predict_proba(X)
    # float32: the network's inference copy (tests/test_folding.py), not the network
    policies = {layer.dtype_policy.name for layer in clf._prediction_network().layers[1:]}
    assert clf._prediction_network() is not clf.model_ and policies == {"float32"}
    clf.set_params(predict_dtype="bfloat16")
    low = clf.predict_proba(X)
    network = clf._prediction_network()
    policies = {layer.name: layer.dtype_policy.name for layer in network.layers[1:]}
    # bfloat16 inside; the input standardisation and the probabilities in float32
    assert policies.pop("standardize") == policies.pop(network.layers[-1].name) == "float32"
    assert set(policies.values()) == {"mixed_bfloat16"}
    assert low.dtype == np.float64
    np.testing.assert_allclose(low.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(low, exact, atol=0.03)
    assert not np.array_equal(low, exact)  # it did compute in bfloat16
    assert clf._prediction_network() is network  # made once, not per call
    # training changes the weights: the copy is made again from them
    clf.partial_fit(X, y)
    assert clf._prediction_network() is not network
    moved = clf.predict_proba(X)
    np.testing.assert_allclose(
        moved, clf.set_params(predict_dtype="float32").predict_proba(X), atol=0.03
    )
    # pickles leave the copy behind and make it again
    again = pickle.loads(pickle.dumps(clf.set_params(predict_dtype="bfloat16")))
    assert not [k for k, v in vars(again).items() if isinstance(v, keras.Model) and k != "model_"]
    np.testing.assert_allclose(again.predict_proba(X), moved, atol=1e-6)
    with pytest.raises(ValueError, match=r"Received: predict_dtype='float16'"):
        clf.set_params(predict_dtype="float16").predict(X)
    with pytest.raises(InvalidParameterError, match="predict_dtype"):
        clone(clf).fit(X, y)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("fpu sse2 avx512f amx_bf16 amx_tile", True),
        ("fpu sse2 avx512f avx512_bf16", True),
        ("fpu sse2 avx2 avx512f avx512_vnni", False),  # no bfloat16 instructions
    ],
)
def test_cpu_has_bfloat16_reads_the_flags(tmp_path, flags, expected):
    from bilstm_emotion.model._predicting import cpu_has_bfloat16

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: amx_bf16 in a name\nflags\t\t: {flags}\n")
    assert cpu_has_bfloat16(cpuinfo) is expected
    assert cpu_has_bfloat16(tmp_path / "missing") is False  # macOS, Windows: no cpuinfo


def test_every_predict_dtype_choice_is_an_arithmetic_or_auto():
    # one list, in core (the CLI's --predict-dtype reads it without importing Keras)
    from bilstm_emotion.core._backend import PREDICT_DTYPE_CHOICES
    from bilstm_emotion.model._predicting import PREDICT_DTYPES

    assert set(PREDICT_DTYPE_CHOICES) == {*PREDICT_DTYPES, "auto"}


@pytest.mark.slow
def test_auto_dtype_is_bfloat16_only_where_it_pays(monkeypatch, faces, make_clf):
    import keras

    from bilstm_emotion.model import _predicting

    def resolved(cpu, onednn="1", devices=("cpu:0",)):
        monkeypatch.setattr(_predicting, "cpu_has_bfloat16", lambda: cpu)
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", onednn)
        if keras.distribution is not None:  # None on the PyTorch backend
            monkeypatch.setattr(keras.distribution, "list_devices", lambda: list(devices))
        _predicting.resolve_dtype.cache_clear()
        return _predicting.resolve_dtype("auto")

    try:
        assert resolved(cpu=False) == "float32"
        assert resolved(cpu=True, onednn="0") == "float32"  # oneDNN off: emulated, slower
        assert resolved(cpu=True, devices=("cpu:0", "gpu:0")) == "float32"
        assert resolved(cpu=True) == (
            "bfloat16" if keras.backend.backend() == "tensorflow" else "float32"
        )
        assert _predicting.resolve_dtype("float32") == "float32"  # the others stay as named
        assert _predicting.resolve_dtype("bfloat16") == "bfloat16"
        X, y = faces
        clf = make_clf(stem="conv", stem_filters=(4,), predict_dtype="auto").fit(X, y)

        def policies():
            return {layer.dtype_policy.name for layer in clf._prediction_network().layers[1:]}

        low = "mixed_bfloat16" in policies()
        assert low is (_predicting.resolve_dtype("auto") == "bfloat16")
        resolved(cpu=False)
        assert policies() == {"float32"}
        np.testing.assert_allclose(
            clf.predict_proba(X), clf.set_params(predict_dtype="float32").predict_proba(X)
        )
    finally:
        _predicting.resolve_dtype.cache_clear()
