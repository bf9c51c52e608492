"""Training options of BiLSTMFaceEmotionClassifier and its answers to bad input."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from bilstm_emotion import UnusedParameterWarning


# ------------------------------------------------------------ partial_fit
def test_partial_fit_needs_classes_first(faces, make_clf):
    X, y = faces
    clf = make_clf()
    with pytest.raises(ValueError, match=r"Expected `classes` on the first call.*classes=None"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "model_")


@pytest.mark.slow
def test_partial_fit_trains_one_epoch_per_call(faces, make_clf):
    X, y = faces
    clf = make_clf()
    clf.partial_fit(X[:30], y[:30], classes=["happy", "sad", "surprise"])
    model = clf.model_
    weights = [w.copy() for w in model.get_weights()]
    clf.partial_fit(X[30:], y[30:])
    assert clf.model_ is model  # the same network keeps learning
    assert any(not np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True))
    assert clf.n_iter_ == 1
    assert len(clf.history_["loss"]) == 2
    assert clf.classes_.tolist() == ["happy", "sad", "surprise"]


@pytest.mark.slow
def test_partial_fit_rejects_other_classes_and_unknown_labels(faces, make_clf):
    X, y = faces
    clf = make_clf().partial_fit(X, y, classes=["happy", "sad", "surprise"])
    with pytest.raises(ValueError, match=r"Expected `classes` equal to classes_=.*'fear'"):
        clf.partial_fit(X, y, classes=["fear", "happy", "sad", "surprise"])
    with pytest.raises(ValueError, match=r"unknown labels \['angry'\]"):
        clf.partial_fit(X[:3], ["angry", "sad", "happy"])


@pytest.mark.slow
def test_partial_fit_refuses_a_new_architecture(faces, make_clf):
    X, y = faces
    clf = make_clf().partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValueError, match=r"Expected col_hidden=4 .*Received: col_hidden=6"):
        clf.set_params(col_hidden=6).partial_fit(X, y)


@pytest.mark.slow
def test_partial_fit_class_absent_from_first_batch(faces, make_clf):
    X, y = faces
    keep = y != "surprise"
    clf = make_clf().partial_fit(X[keep], y[keep], classes=np.unique(y))
    assert clf.predict_proba(X).shape == (len(X), 3)


# ------------------------------------------------------------ warm start
@pytest.mark.slow
def test_warm_start_continues_training(faces, make_clf):
    X, y = faces
    clf = make_clf(warm_start=True).fit(X, y)
    model = clf.model_
    clf.set_params(epochs=3).fit(X, y)
    assert clf.model_ is model
    assert len(clf.history_["loss"]) == 5 and clf.n_iter_ == 3


@pytest.mark.slow
def test_cold_start_replaces_the_network(faces, make_clf):
    X, y = faces
    clf = make_clf().fit(X, y)
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is not model and len(clf.history_["loss"]) == 2


@pytest.mark.slow
def test_warm_start_refuses_a_new_architecture(faces, make_clf):
    X, y = faces
    clf = make_clf(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"Expected row_hidden=4 .*Received: row_hidden=8"):
        clf.set_params(row_hidden=8).fit(X, y)


# -------------------------------------------------------- early stopping
@pytest.mark.slow
def test_early_stopping_holds_out_data_and_stops(faces, make_clf):
    X, y = faces
    clf = make_clf(
        early_stopping=True, patience=1, epochs=200, learning_rate=0.05, validation_fraction=0.2
    ).fit(X, y)
    assert clf.n_iter_ < 200
    assert len(clf.history_["val_loss"]) == clf.n_iter_
    best = int(np.argmin(clf.history_["val_loss"]))
    assert clf.n_iter_ == best + 2  # patience=1: one epoch past the best, then stop


@pytest.mark.slow
def test_early_stopping_without_validation_watches_training_loss(faces, make_clf):
    X, y = faces
    clf = make_clf(early_stopping=True, validation_fraction=0.0, epochs=3).fit(X, y)
    assert "val_loss" not in clf.history_ and clf.n_iter_ <= 3


def test_validation_fraction_too_large_for_the_data(make_clf, rng):
    X, y = rng.random((2, 4, 4)), np.array([0, 1])
    with pytest.raises(ValueError, match=r"validation_fraction=0.9.*Received: 2 samples"):
        make_clf(early_stopping=True, validation_fraction=0.9).fit(X, y)


# ---------------------------------------------------------------- weights
@pytest.mark.slow
@pytest.mark.parametrize("class_weight", ["balanced", {"happy": 1.0, "sad": 3.0, "surprise": 0.5}])
def test_class_weight_changes_the_model(faces, make_clf, class_weight):
    X, y = faces
    plain = make_clf().fit(X, y).predict_proba(X)
    weighted = make_clf(class_weight=class_weight).fit(X[:50], y[:50]).predict_proba(X)
    assert not np.allclose(plain, weighted)


@pytest.mark.slow
def test_sample_weight_of_ones_is_no_weight(faces, make_clf):
    X, y = faces
    np.testing.assert_array_equal(
        make_clf().fit(X, y, sample_weight=np.ones(len(y))).predict_proba(X),
        make_clf().fit(X, y).predict_proba(X),
    )


def test_a_single_class_with_weight_is_refused(faces, make_clf):
    X, y = faces
    w = (y == "happy").astype(float)
    with pytest.raises(ValueError, match=r"at least 2 classes with positive sample weight"):
        make_clf().fit(X, y, sample_weight=w)


# ------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_pixels(faces, make_clf, bad):
    X, y = faces
    X = X.astype(float)
    X[3, 2, 1] = bad
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        make_clf().fit(X, y)


@pytest.mark.parametrize(
    "shape, match",
    [
        ((60,), r"Expected 2D array, got 1D array"),
        ((60, 4, 4, 1, 1), r"Expected images as a 2-D .*Received: X.shape=\(60, 4, 4, 1, 1\)"),
        ((60, 4, 4, 3), r"Expected grayscale images.*Received: X.shape=\(60, 4, 4, 3\)"),
        ((0, 4, 4), r"Found array with 0 sample\(s\)"),
    ],
)
def test_wrong_shapes(make_clf, shape, match):
    X = np.zeros(shape)
    y = np.arange(shape[0]) % 2
    with pytest.raises(ValueError, match=match):
        make_clf().fit(X, y)


def test_single_class(faces, make_clf):
    X, _ = faces
    with pytest.raises(
        ValueError, match=r"Expected at least 2 classes.*Received: 1 class \('sad'\)"
    ):
        make_clf().fit(X, ["sad"] * len(X))


def test_y_of_wrong_length(faces, make_clf):
    X, y = faces
    with pytest.raises(
        ValueError, match=r"one label per image \(60 labels\). Received: y with 59"
    ):
        make_clf().fit(X, y[:-1])


def test_integer_pixels_out_of_range(faces, make_clf):
    X, y = faces
    X = X.astype(np.int32)
    X[0, 0, 0] = 300
    with pytest.raises(ValueError, match=r"in \[0, 255\]. Received: values in \[0, 300\]"):
        make_clf().fit(X, y)


def test_predict_needs_the_fitted_image_shape(fitted, faces):
    with pytest.raises(
        ValueError,
        match=r"Expected images of shape \(16, 16\), as in fit. "
        r"Received: images of shape \(12, 12\)",
    ):
        fitted.predict(np.zeros((2, 12, 12)))
    with pytest.raises(ValueError, match=r"X has 144 features, but .* is expecting 256"):
        fitted.predict(np.zeros((2, 144)))


def test_predict_before_fit(faces, make_clf):
    with pytest.raises(NotFittedError):
        make_clf().predict(faces[0])


# ----------------------------------------------------------- augmentation
@pytest.mark.slow
def test_augmentation_acts_in_training_only(faces, make_clf):
    X, y = faces
    plain = make_clf().fit(X, y)
    augmented = make_clf(flip=True, shift=0.1, rotation=10, zoom=0.1, erasing=0.5).fit(X, y)
    names = {layer.name for layer in augmented.model_.layers}
    assert {"random_flip", "random_shift", "random_rotation", "random_zoom"} <= names
    assert "random_erasing" in names
    assert not any(
        name.startswith("random_") for name in (layer.name for layer in plain.model_.layers)
    )
    # Prediction sees the image unchanged: repeated calls agree exactly.
    np.testing.assert_array_equal(augmented.predict_proba(X), augmented.predict_proba(X))
    # Training saw altered images: same seed, different weights.
    assert not np.allclose(augmented.predict_proba(X), plain.predict_proba(X))


@pytest.mark.slow
def test_warm_start_refuses_to_change_augmentation(faces, make_clf):
    X, y = faces
    clf = make_clf(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"Expected flip=False .*Received: flip=True"):
        clf.set_params(flip=True).fit(X, y)


@pytest.mark.slow
def test_cosine_schedule_decays_to_zero_over_the_epochs(faces, make_clf):
    X, y = faces
    clf = make_clf(lr_schedule="cosine", learning_rate=0.01, epochs=3).fit(X, y)
    opt = clf.model_.optimizer
    steps = int(keras.ops.convert_to_numpy(opt.iterations))
    assert steps == 3 * -(-len(X) // 16)
    assert float(keras.ops.convert_to_numpy(opt.learning_rate)) == pytest.approx(0.0, abs=1e-6)
    constant = make_clf(learning_rate=0.01, epochs=3).fit(X, y).model_.optimizer
    assert float(keras.ops.convert_to_numpy(constant.learning_rate)) == pytest.approx(0.01)


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
    # float32: the network's inference copy (tests/test_inference.py), not the network
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


@pytest.mark.slow
@pytest.mark.parametrize(
    "front_end",
    [
        {"patch_size": 4},
        {"patch_size": 2, "sweep_layers": 1, "sweep_hidden": 3},
        {"stem": "conv", "stem_filters": (4,)},
        {"stem": "separable", "stem_filters": (4, 4), "stem_stride": 2},
    ],
)
def test_front_ends_fit_and_predict(faces, make_clf, front_end):
    X, y = faces
    clf = make_clf(**front_end).fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), 3)
    assert set(clf.predict(X)) <= set(y)


@pytest.mark.slow
def test_warm_start_refuses_to_change_the_front_end(faces, make_clf):
    X, y = faces
    clf = make_clf(patch_size=2, warm_start=True).fit(X, y)
    clf.set_params(stem="conv")
    with pytest.raises(ValueError, match="Expected stem=None as in the fitted model"):
        clf.fit(X, y)


@pytest.mark.slow
def test_stem_is_grid_searchable(faces, make_clf):
    from sklearn.model_selection import GridSearchCV

    X, y = faces
    search = GridSearchCV(
        make_clf(epochs=1),
        {"stem": [None, "conv", "separable"], "stem_filters": [(4,)], "stem_stride": [1, 2]},
        cv=2,
    ).fit(X, y)
    params = search.cv_results_["params"]
    assert [(p["stem"], p["stem_stride"]) for p in params] == [
        (None, 1), (None, 2), ("conv", 1), ("conv", 2), ("separable", 1), ("separable", 2)
    ]  # fmt: skip
    assert search.best_estimator_.stem in (None, "conv", "separable")
    # the stride reaches the network: 16x16 faces, stride 2 and one block leave 4 rows
    strided = search.best_estimator_.set_params(stem="conv", stem_stride=2).fit(X, y)
    assert strided.model_.get_layer("fold_rows").output.shape[1] == 4


# ------------------------------------------------------------ knowledge distillation
def _always(label, X, y):
    """A fitted, frozen teacher that gives ``label`` probability 1 for every image."""
    return FrozenEstimator(DummyClassifier(strategy="constant", constant=label).fit(X, y))


@pytest.mark.slow
def test_teacher_weight_zero_trains_as_without_teacher(faces, make_clf):
    X, y = faces
    plain = make_clf().fit(X, y)
    distilled = make_clf(teacher=_always("sad", X, y), teacher_weight=0.0).fit(X, y)
    for a, b in zip(plain.model_.get_weights(), distilled.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_teacher_pulls_the_network_to_its_answers(faces, make_clf, method):
    X, y = faces
    assert np.mean(y == "sad") < 0.5
    clf = make_clf(teacher=_always("sad", X, y), teacher_weight=1.0, learning_rate=0.05, epochs=5)
    if method == "fit":
        clf.fit(X, y)
    else:
        for _ in range(5):
            clf.partial_fit(X, y, classes=np.unique(y))
    assert (clf.predict(X) == "sad").all()
    # The same network trained on the labels alone does not answer "sad" to every face.
    plain = make_clf(learning_rate=0.05, epochs=5).fit(X, y)
    assert not (plain.predict(X) == "sad").all()


@pytest.mark.slow
def test_early_stopping_with_a_teacher_scores_the_true_labels(faces, make_clf):
    X, y = faces
    clf = make_clf(
        teacher=_always("sad", X, y), teacher_weight=1.0, learning_rate=0.05, epochs=4,
        early_stopping=True, validation_fraction=0.25, patience=10,
    ).fit(X, y)  # fmt: skip
    assert clf.history_["accuracy"][-1] == 1.0  # it learned the teacher's targets...
    # ...and answering "sad" to every face is right for a third of the held-out true labels.
    np.testing.assert_allclose(clf.history_["val_accuracy"][-1], np.mean(y == "sad"), atol=0.07)


@pytest.mark.slow
def test_teacher_must_stay_fitted_through_clone(faces, make_clf):
    X, y = faces
    bare = make_clf(teacher=DummyClassifier(strategy="prior").fit(X, y))
    with pytest.raises(ValueError, match=r"fitted `teacher`.*FrozenEstimator"):
        clone(bare).fit(X, y)
    search = GridSearchCV(
        make_clf(teacher=_always("sad", X, y), epochs=1), {"teacher_weight": [0.0, 1.0]}, cv=2
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()  # no fit failed


def test_teacher_with_other_classes_is_named(faces, make_clf):
    X, y = faces
    keep = y != "surprise"
    teacher = FrozenEstimator(DummyClassifier().fit(X[keep], y[keep]))
    with pytest.raises(ValueError, match=r"teacher's classes_.*Received: teacher.classes_="):
        make_clf(teacher=teacher).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"teacher"):
        make_clf(teacher="shipped").fit(X, y)


class _Orientation(ClassifierMixin, BaseEstimator):
    """A teacher that reads a face's orientation: "happy" when its left half is the brighter,
    else "sad"; it records every batch of images it is asked about."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.seen_ = []
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.seen_.append(X)
        left = X[:, :, : X.shape[2] // 2].mean(axis=(1, 2)) > X[:, :, X.shape[2] // 2 :].mean(
            axis=(1, 2)
        )
        labels = np.where(left, "happy", "sad")
        return (labels[:, None] == self.classes_[None, :]).astype(float)


def _lit_from_the_left(n, rng):
    X = rng.integers(0, 60, size=(n, 8, 8)).astype(np.uint8)
    X[:, :, :4] += 150
    return X, np.array(["happy", "sad", "surprise"] * (n // 3))


@pytest.mark.slow
@pytest.mark.parametrize("teacher_views", [0, 4])
def test_teacher_views_score_the_augmented_images_the_network_trains_on(
    rng, make_clf, teacher_views
):
    X, y = _lit_from_the_left(90, rng)  # every training face lit from the left
    teacher = _Orientation().fit(X, y)
    clf = make_clf(
        teacher=teacher, teacher_weight=1.0, teacher_views=teacher_views, flip=True,
        learning_rate=0.05, epochs=6, dropout=0.0,
    ).fit(X, y)  # fmt: skip
    assert len(teacher.seen_) == max(teacher_views, 1)
    mirrored = np.mean([np.array_equal(x, X[i, :, ::-1]) for s in teacher.seen_
                        for i, x in enumerate(s)])  # fmt: skip
    answers = clf.predict(X[:, :, ::-1])  # faces lit from the right, never seen as such
    if teacher_views:
        # The teacher scored the mirrored copies the network trained on ("sad"), so the
        # network learned the teacher's rule, also for faces lit from the right.
        assert 0.3 < mirrored < 0.7
        assert (answers == "sad").mean() > 0.9
    else:
        # The teacher saw the faces as given ("happy"), the network their mirror images too:
        # its targets say "happy" whatever it was shown.
        assert mirrored == 0
        assert (answers == "happy").mean() > 0.9


@pytest.mark.slow
def test_teacher_views_make_no_more_views_than_epochs_and_none_without_augmentation(rng, make_clf):
    X, y = _lit_from_the_left(30, rng)
    teacher = _Orientation().fit(X, y)
    make_clf(teacher=teacher, teacher_views=5, flip=True, epochs=2).fit(X, y)
    assert len(teacher.seen_) == 2
    teacher.seen_.clear()
    with pytest.warns(UnusedParameterWarning, match="`teacher_views=5` does nothing"):
        clf = make_clf(teacher=teacher, teacher_views=5, epochs=2).fit(X, y)  # no augmentation
    assert len(teacher.seen_) == 1
    np.testing.assert_array_equal(teacher.seen_[0], X)  # the images as given, once
    plain = make_clf(teacher=teacher, epochs=2).fit(X, y)
    for a, b in zip(clf.model_.get_weights(), plain.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    teacher.seen_.clear()
    clf = make_clf(teacher=teacher, teacher_views=3, flip=True)
    clf.partial_fit(X, y, classes=np.unique(y))
    clf.partial_fit(X, y)
    assert len(teacher.seen_) == 2  # fresh views, one per epoch
    assert len(clf.history_["loss"]) == 2


class _StopAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("interrupted")


@pytest.mark.slow
def test_a_resumed_run_goes_on_with_the_view_of_its_epoch(rng, make_clf, tmp_path, monkeypatch):
    # epoch e trains on view e % n, also after keras.callbacks.BackupAndRestore resumes a run
    from bilstm_emotion.model._views import ViewBatches

    served, epoch = [], [None]  # (fit's epoch, view served) for each batch trained on

    class Epoch(keras.callbacks.Callback):
        def on_epoch_begin(self, e, logs=None):
            epoch[0] = e

    getitem = ViewBatches.__getitem__

    def spy(self, i):
        if epoch[0] is not None:  # not the batches Keras reads to learn their shapes
            served.append((epoch[0], self.epoch % self.views.shape[0]))
        return getitem(self, i)

    monkeypatch.setattr(ViewBatches, "__getitem__", spy)
    X, y = _lit_from_the_left(30, rng)
    params = dict(teacher=_Orientation().fit(X, y), teacher_views=3, flip=True, epochs=3)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "ckpt"))
    clf = make_clf(**params, callbacks=[backup, Epoch(), _StopAfterFirstEpoch()])
    with pytest.raises(RuntimeError, match="interrupted"):
        clf.fit(X, y)
    # Keras calls the data's on_epoch_end once before the first epoch: without telling it
    # fit's epoch it would serve view 1 first, and after a resume the cycle would shift
    assert {e for e, _ in served} == {0} and {v for _, v in served} == {0}
    served.clear()
    epoch[0] = None
    clf = make_clf(**params, callbacks=[backup, Epoch()]).fit(X, y)  # resumes at epoch 1
    assert len(clf.history_["loss"]) == 2
    assert {e for e, _ in served} == {1, 2}
    assert all(view == e % 3 for e, view in served), served


@pytest.mark.slow
def test_teacher_views_keep_a_validation_slice_as_given(rng, make_clf):
    X, y = _lit_from_the_left(60, rng)
    teacher = _Orientation().fit(X, y)
    clf = make_clf(
        teacher=teacher, teacher_views=2, flip=True, epochs=3, early_stopping=True,
        validation_fraction=0.25, patience=10,
    ).fit(X, y)  # fmt: skip
    assert [len(s) for s in teacher.seen_] == [45, 45]  # the training faces only
    assert len(clf.history_["val_loss"]) == 3


def test_teacher_views_need_images_in_memory(tmp_path, rng, make_clf):
    X, y = _lit_from_the_left(30, rng)
    np.save(tmp_path / "faces.npy", X)
    on_disk = np.load(tmp_path / "faces.npy", mmap_mode="r")
    clf = make_clf(teacher=_Orientation().fit(X, y), teacher_views=2, flip=True)
    with pytest.raises(ValueError, match=r"X in memory with teacher_views > 0.*teacher_views=2"):
        clf.fit(on_disk, y)
    assert not hasattr(clf, "model_")


def test_negative_sample_weights_are_refused(faces, make_clf):
    X, y = faces
    weights = np.ones(len(y))
    weights[[3, 7]] = -0.5
    with pytest.raises(ValueError, match=r"non-negative sample_weight.*2 negative.*-0\.5"):
        make_clf().fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match=r"non-negative sample_weight.*60 negative"):
        make_clf().fit(X, y, sample_weight=-np.ones(len(y)))


def test_float_pixels_on_an_8_bit_scale_are_warned_about(faces, fitted):
    import warnings

    from bilstm_emotion.preprocessing import PixelRangeWarning

    X, _ = faces
    with pytest.warns(PixelRangeWarning, match=r"Float pixels in \[\d+, 2\d\d\].*divide") as got:
        fitted.predict_proba(X.astype(float))
    assert len(got) == 1  # once per call, not per batch
    with warnings.catch_warnings():
        warnings.simplefilter("error", PixelRangeWarning)
        fitted.predict_proba(X / 255.0)  # [0, 1]
        fitted.predict_proba((X - X.mean()) / X.std())  # standardised: used as it is


# -------------------------------------------------------------- callbacks
class _Epochs(keras.callbacks.Callback):
    """Counts the epochs it saw."""

    def __init__(self):
        super().__init__()
        self.seen = 0

    def on_epoch_end(self, epoch, logs=None):
        self.seen += 1


@pytest.mark.slow
def test_callbacks_run_as_copies_and_survive_clone_and_pickle(faces, make_clf):
    X, y = faces
    given = _Epochs()
    clf = make_clf(epochs=3, callbacks=[given])
    clf.fit(X, y)
    assert given.seen == 0  # the user's callback is not trained with (or bound to a model)
    assert [type(c) for c in clf.callbacks_] == [_Epochs]
    assert clf.callbacks_[0].seen == 3
    clf.partial_fit(X, y)
    assert clf.callbacks_[0].seen == 1  # a fresh copy per call
    assert clone(clf).get_params()["callbacks"][0].seen == 0
    restored = pickle.loads(pickle.dumps(clf))
    assert not hasattr(restored, "callbacks_")  # copies of Keras callbacks are not stored
    np.testing.assert_allclose(restored.predict_proba(X[:4]), clf.predict_proba(X[:4]), atol=1e-6)


def test_callbacks_must_be_a_list(faces, make_clf):
    X, y = faces
    with pytest.raises(InvalidParameterError, match="callbacks"):
        make_clf(callbacks=_Epochs()).fit(X, y)


@pytest.mark.slow
def test_callbacks_can_stop_training(faces, make_clf):
    X, y = faces

    class StopNow(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    clf = make_clf(epochs=5, callbacks=[StopNow()]).fit(X, y)
    assert clf.n_iter_ == 1
