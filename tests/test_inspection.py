"""What the model looks at: a model that only sees one region is found out."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bilstm_emotion.inspection import (
    column_importance,
    gradient_saliency,
    mean_maps_by_class,
    occlusion_sensitivity,
    row_importance,
)


class LooksAt:
    """Probability of class 1 = mean brightness of one region of the face."""

    classes_ = np.array(["calm", "happy"])

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols

    def predict_proba(self, X):
        p = np.asarray(X, dtype=float)[:, self.rows, self.cols].mean(axis=(1, 2))
        return np.stack([1 - p, p], axis=1)


def test_occlusion_finds_the_region_the_model_uses(rng):
    model = LooksAt(slice(10, 16), slice(2, 8))  # a "mouth" at the bottom left
    X = rng.uniform(0.6, 1.0, size=(5, 16, 16))
    maps = occlusion_sensitivity(model, X, ["happy"] * 5, patch_size=4, stride=2, fill=0.0)
    assert maps.shape == X.shape
    mean = maps.mean(axis=0)
    inside = mean[10:16, 2:8]
    outside = mean.copy()
    outside[8:16, 0:10] = np.nan  # patches reaching into the region, partly
    assert inside.min() > 0
    assert np.nanmax(np.abs(outside)) == 0
    peak = np.unravel_index(mean.argmax(), mean.shape)
    assert 10 <= peak[0] < 16 and 2 <= peak[1] < 8


def test_rows_and_columns_the_model_uses(rng):
    model = LooksAt(slice(12, 14), slice(0, 16))
    X = rng.uniform(0.6, 1.0, size=(8, 16, 16))
    rows = row_importance(model, X, ["happy"] * 8, fill=0.0)
    assert rows.probability_drop.shape == (16,)
    assert np.flatnonzero(rows.probability_drop > 1e-12).tolist() == [12, 13]
    cols = column_importance(model, X, ["happy"] * 8, fill=0.0)
    assert cols.probability_drop.shape == (16,)
    assert (cols.probability_drop > 0).all()  # every column holds part of rows 12-13
    assert rows.baseline_accuracy == 1.0


@given(
    n=st.integers(1, 4),
    h=st.integers(3, 12),
    w=st.integers(3, 12),
    patch=st.integers(1, 6),
    stride=st.integers(1, 6),
)
def test_occlusion_shapes_and_ranges(n, h, w, patch, stride):
    X = np.random.default_rng(n * h * w).uniform(size=(n, h, w))
    maps = occlusion_sensitivity(
        LooksAt(slice(0, h), slice(0, w)), X, patch_size=patch, stride=stride
    )
    assert maps.shape == (n, h, w)
    assert np.isfinite(maps).all()
    assert np.abs(maps).max() <= 1.0


def test_mean_maps_by_class():
    maps = np.arange(4 * 2 * 2, dtype=float).reshape(4, 2, 2)
    means = mean_maps_by_class(maps, ["a", "b", "a", "b"])
    np.testing.assert_array_equal(means["a"], (maps[0] + maps[2]) / 2)
    with pytest.raises(ValueError, match="Received: y with 3 labels"):
        mean_maps_by_class(maps, ["a", "b", "a"])


def test_bad_inputs_are_named():
    model = LooksAt(slice(0, 2), slice(0, 2))
    with pytest.raises(ValueError, match=r"X.shape=\(4, 16\)"):
        occlusion_sensitivity(model, np.zeros((4, 16)))
    with pytest.raises(ValueError, match=r"unknown labels \['sad'\]"):
        occlusion_sensitivity(model, np.zeros((1, 4, 4)), ["sad"])


def _region_network(fitted, rows, cols):
    """Replace a fitted classifier's network by one that only reads one region."""
    h, w = fitted.image_shape_
    mask = np.zeros((h, w), dtype="float32")
    mask[rows, cols] = 1.0
    inputs = keras.Input((h, w))
    flat = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(len(fitted.classes_), activation="softmax")
    outputs = dense(flat)
    model = keras.Model(inputs, outputs)
    kernel = np.zeros((h * w, len(fitted.classes_)), dtype="float32")
    kernel[:, 0] = 0.2 * mask.ravel()  # far from saturating the softmax
    dense.set_weights([kernel, np.zeros(len(fitted.classes_), dtype="float32")])
    fitted.model_ = model
    return fitted


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradient", "integrated"])
def test_gradients_live_in_the_region_the_network_reads(faces, make_clf, method):
    X, y = faces
    clf = _region_network(make_clf(epochs=1).fit(X, y), slice(4, 8), slice(8, 12))
    maps = gradient_saliency(clf, X[:6], [clf.classes_[0]] * 6, method=method, steps=8)
    assert maps.shape == (6, 16, 16)
    outside = np.abs(maps).copy()
    outside[:, 4:8, 8:12] = 0
    assert outside.max() < 1e-7
    assert np.abs(maps[:, 4:8, 8:12]).max() > 1e-4
    if method == "integrated":  # completeness: attributions sum to the probability change
        proba = clf.predict_proba(X[:6])[:, 0]
        x = X[:6].astype("float32") / 255
        base = np.broadcast_to(x.mean(axis=(1, 2), keepdims=True), x.shape)
        base_p = np.asarray(clf.model_.predict(base.astype("float32"), verbose=0))[:, 0]
        np.testing.assert_allclose(maps.sum(axis=(1, 2)), proba - base_p, atol=0.02)


def test_gradient_method_is_checked(fitted, faces):
    with pytest.raises(ValueError, match="method='smooth'"):
        gradient_saliency(fitted, faces[0][:2], method="smooth")


class LooksAtEmotions(LooksAt):
    """The same model with the shipped models' classes: emotion names, sorted."""

    classes_ = np.array(
        sorted(["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"])
    )

    def predict_proba(self, X):
        p = super().predict_proba(X)[:, 1]
        proba = np.tile(((1 - p) / 6)[:, None], (1, 7))
        proba[:, 3] = p  # "happy"
        return proba


def test_fer2013_codes_explain_the_same_class_as_names(rng):
    """Issue 47: the README's recipe gave `load_fer2013`'s codes and got 'unknown labels'."""
    model = LooksAtEmotions(slice(10, 16), slice(2, 8))
    X = rng.uniform(0.6, 1.0, size=(3, 16, 16))
    by_name = occlusion_sensitivity(model, X, ["happy"] * 3, patch_size=4, stride=2, fill=0.0)
    by_code = occlusion_sensitivity(model, X, [3] * 3, patch_size=4, stride=2, fill=0.0)
    np.testing.assert_array_equal(by_code, by_name)  # 3 is FER2013's "happy"
    assert by_name[:, 10:16, 2:8].min() > 0
    rows = row_importance(model, X, np.array([3, 3, 3]), fill=0.0)
    assert rows.baseline_accuracy == 1.0
    with pytest.raises(ValueError, match="FER2013's codes 0-6"):
        occlusion_sensitivity(model, X, [9] * 3)
