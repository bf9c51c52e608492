"""Training options of BiLSTMFaceEmotionClassifier and its answers to bad input."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError


# ------------------------------------------------------------ partial_fit
def test_partial_fit_needs_classes_first(faces, make_clf):
    X, y = faces
    clf = make_clf()
    with pytest.raises(ValueError, match=r"Expected `classes` on the first call.*classes=None"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "model_")


def test_partial_fit_keeps_the_classes_of_its_first_call(rng, make_clf):
    X, y = rng.integers(0, 256, size=(24, 6, 6), dtype=np.uint8), np.arange(24) % 3
    clf = make_clf(epochs=1).partial_fit(X, y, classes=np.arange(3, dtype=np.int8))
    clf.partial_fit(X, y, classes=[0, 1, 2])  # equal classes, given in another dtype
    assert clf.classes_.dtype == np.int8 and clf.predict(X).dtype == np.int8


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
@pytest.mark.parametrize(
    "front_end",
    [
        # (a conv stem, and patches with a sweep: tests/test_common.py's configurations)
        {"patch_size": 4},
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
    X, y = faces
    grid = {"stem": [None, "separable"], "stem_filters": [(4,)], "stem_stride": [2]}
    search = GridSearchCV(make_clf(epochs=1), grid, cv=2).fit(X, y)
    assert [p["stem"] for p in search.cv_results_["params"]] == [None, "separable"]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()  # no fit failed
    # the stride reaches the network: 16x16 faces, stride 2 and one block leave 4 rows
    strided = clone(search.best_estimator_).set_params(stem="conv").fit(X, y)
    assert strided.model_.get_layer("fold_rows").output.shape[1] == 4


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


@pytest.mark.slow
def test_the_pixel_warning_points_at_the_callers_line_whichever_call_led_to_it(faces, make_clf):
    """fit, partial_fit, predict and a search: each warning names this file and the line
    of the call, not a line inside the package, scikit-learn or joblib."""
    import inspect

    from sklearn.model_selection import cross_val_score

    from bilstm_emotion.preprocessing import PixelRangeWarning

    X, y = faces
    X = X.astype(np.float32)  # 8-bit values as floats: warned about
    clf = make_clf(epochs=1)
    calls = {
        "fit": lambda: clf.fit(X, y),
        "predict": lambda: clf.predict(X),
        "partial_fit": lambda: clf.partial_fit(X, y),
        "cross_val_score": lambda: cross_val_score(make_clf(epochs=1), X, y, cv=2),
    }
    for name, call in calls.items():
        with pytest.warns(PixelRangeWarning) as got:
            call()
        line = inspect.getsourcelines(call)[1]
        assert {(w.filename, w.lineno) for w in got} == {(__file__, line)}, name


def test_a_warning_in_a_thread_of_its_own_names_the_package_line_that_warns(faces, fitted):
    """A thread started on the estimator's own method has no line of the user's: the
    warning names the function that checked the pixels, not threading's bootstrap."""
    import threading
    import warnings

    X, _ = faces
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        worker = threading.Thread(target=fitted.predict, args=(X.astype(np.float32),))
        worker.start()
        worker.join()
    assert [w.filename.rsplit("/", 2)[-2:] for w in got] == [["model", "_inputs.py"]]


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


class _Uncopyable(keras.callbacks.Callback):
    """A callback holding what cannot be copied (an open file, a lock)."""

    def __deepcopy__(self, memo):
        raise TypeError("cannot copy an open file")


@pytest.mark.slow
def test_a_fit_refused_at_its_callbacks_changes_nothing(faces, make_clf):
    """The estimator copies its callbacks before it holds a new network: a first fit
    refused there leaves it unfitted, a refit leaves every fitted attribute."""
    X, y = faces
    clf = make_clf(callbacks=[_Uncopyable()])
    with pytest.raises(TypeError, match="open file"):
        clf.fit(X, y)
    assert [k for k in vars(clf) if k.endswith("_") or k == "_architecture"] == []

    fitted = make_clf().fit(X, y)
    before = {k: v for k, v in vars(fitted).items() if k.endswith("_") or k == "_architecture"}
    with pytest.raises(TypeError, match="open file"):
        fitted.set_params(callbacks=[_Uncopyable()], warm_start=True).fit(X, y)
    assert all(vars(fitted)[k] is v for k, v in before.items())
    fitted.set_params(callbacks=None).fit(X, y)  # the warm start goes on from it
    assert len(fitted.history_["loss"]) == 2 * fitted.epochs


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
