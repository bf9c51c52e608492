"""The estimator-free pieces of a training run (bilstm_emotion.model._training)."""

import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from bilstm_emotion.model._training import (
    OPTIMIZERS,
    fit_data,
    label_indices,
    make_optimizer,
    sample_weights,
    split_validation,
    teacher_proba,
)


def test_label_indices_map_labels_and_name_the_unknown_ones():
    classes = np.array(["happy", "sad", "surprise"])
    np.testing.assert_array_equal(
        label_indices(np.array(["sad", "happy", "sad"]), classes), [1, 0, 1]
    )
    with pytest.raises(ValueError, match=r"Received: unknown labels \['angry'\] in y"):
        label_indices(np.array(["sad", "angry"]), classes)
    with pytest.raises(ValueError, match=r"at least 2 classes.*1 class \('sad'\)"):
        label_indices(np.array(["sad"]), np.array(["sad"]))


def test_fit_data_trains_on_the_targets_and_validates_on_the_true_labels():
    y_idx = np.repeat([0, 1], 10)
    X = np.arange(20, dtype=np.float32).reshape(20, 1, 1)
    Y = np.eye(2, dtype=np.float32)[y_idx]
    Y_fit = 0.5 * Y + 0.25  # labels mixed with a teacher's probabilities
    weights = np.ones(20, dtype=np.float32)
    kwargs = {"image_shape": (1, 1), "batch_size": 4, "rng": np.random.RandomState(0)}
    inputs, validation, n_train = fit_data(
        X, Y_fit, Y, y_idx, weights, validation_fraction=0, **kwargs
    )
    assert validation is None and n_train == 20 and inputs["batch_size"] == 4
    assert inputs["x"] is X and inputs["y"] is Y_fit and inputs["shuffle"]

    inputs, (X_val, Y_val), n_train = fit_data(
        X, Y_fit, Y, y_idx, weights, validation_fraction=0.2, **kwargs
    )
    assert n_train == 16 and X_val.shape[0] == 4
    np.testing.assert_array_equal(Y_val, np.eye(2)[(X_val.ravel() >= 10).astype(int)])
    np.testing.assert_array_equal(
        inputs["y"], 0.5 * np.eye(2)[(inputs["x"].ravel() >= 10).astype(int)] + 0.25
    )
    assert sorted(np.concatenate([inputs["x"], X_val]).ravel().tolist()) == X.ravel().tolist()


def test_sample_weights_multiply_class_weights():
    classes = np.array(["happy", "sad"])
    y_idx = np.array([0, 0, 0, 1])
    weights = sample_weights(np.zeros((4, 2)), y_idx, [1.0, 2.0, 1.0, 1.0], classes, "balanced")
    # balanced: happy 4 / (2 * 3), sad 4 / (2 * 1)
    np.testing.assert_allclose(weights, [2 / 3, 4 / 3, 2 / 3, 2.0], rtol=1e-6)
    assert weights.dtype == np.float32


def test_sample_weights_need_two_weighted_classes():
    with pytest.raises(ValueError, match=r"at least 2 classes with positive sample weight"):
        sample_weights(
            np.zeros((3, 2)), np.array([0, 0, 1]), [1.0, 1.0, 0.0], np.array([0, 1]), None
        )


def test_split_validation_is_stratified_and_keeps_every_row():
    y_idx = np.repeat([0, 1], [80, 20])
    X = np.arange(100)
    Y = np.eye(2)[y_idx]
    rng = np.random.RandomState(0)
    X_tr, X_val, Y_tr, Y_val, w_tr, w_val = split_validation(
        X, Y, y_idx, X * 0.5, validation_fraction=0.1, rng=rng
    )
    assert len(X_val) == 10 and Y_val[:, 1].sum() == 2  # the 80/20 proportion kept
    assert sorted(np.concatenate([X_tr, X_val]).tolist()) == list(range(100))
    np.testing.assert_array_equal(Y_tr, np.eye(2)[y_idx[X_tr]])  # rows stay aligned
    np.testing.assert_array_equal(w_tr, X_tr * 0.5)
    np.testing.assert_array_equal(w_val, X_val * 0.5)


def test_split_validation_without_stratification_for_singleton_classes():
    y_idx = np.array([0, 0, 0, 1])
    X_tr, X_val, *_ = split_validation(
        np.arange(4), np.eye(2)[y_idx], y_idx, np.ones(4), validation_fraction=0.25, rng=0
    )
    assert len(X_tr) == 3 and len(X_val) == 1


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_make_optimizer_with_cosine_decay(name):
    plain = make_optimizer(name, 0.01)
    assert isinstance(plain, OPTIMIZERS[name])
    assert float(keras.ops.convert_to_numpy(plain.learning_rate)) == pytest.approx(0.01)
    schedule = make_optimizer(name, 0.01, schedule="cosine", decay_steps=10)._learning_rate
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(5)) == pytest.approx(0.005)
    assert float(schedule(10)) == pytest.approx(0.0)


class FixedTeacher(ClassifierMixin, BaseEstimator):
    """A stand-in teacher: the same probabilities ``row`` for every image."""

    def __init__(self, classes=(0, 1), row=(0.5, 0.5)):
        self.classes = classes
        self.row = row

    def fit(self, X=None, y=None):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        return np.tile(np.asarray(self.row, dtype=float), (len(X), 1))


def test_teacher_proba_follows_the_student_class_order_and_sums_to_one():
    teacher = FixedTeacher(["sad", "happy", "surprise"], [2.0, 1.0, 1.0]).fit()
    proba = teacher_proba(teacher, np.zeros((3, 4, 4)), np.array(["happy", "sad", "surprise"]))
    np.testing.assert_allclose(proba, [[0.25, 0.5, 0.25]] * 3)
    assert proba.dtype == np.float32


def test_teacher_proba_names_an_unfitted_teacher_and_frozen_estimator():
    with pytest.raises(ValueError, match=r"fitted `teacher`.*unfitted LogisticRegression.*Frozen"):
        teacher_proba(LogisticRegression(), np.zeros((2, 4)), np.array([0, 1]))


@pytest.mark.parametrize(
    ("teacher", "match"),
    [
        (FixedTeacher(["happy", "sad"], [0.5, 0.5]).fit(), r"classes_=\['happy', 'sad'\]"),
        (
            FixedTeacher(["happy", "sad", "surprise"], [0.5, 0.5]).fit(),
            r"Received: shape \(3, 2\)",
        ),
        (FixedTeacher(["happy", "sad", "surprise"], [1, -1, 1]).fit(), r"non-negative.*min -1"),
        (FixedTeacher(["happy", "sad", "surprise"], [np.nan, 0, 1]).fit(), r"finite"),
        (FixedTeacher(["happy", "sad", "surprise"], [0, 0, 0]).fit(), r"3 rows of zeros"),
    ],
)
def test_teacher_proba_rejects_what_it_cannot_use(teacher, match):
    with pytest.raises(ValueError, match=match):
        teacher_proba(teacher, np.zeros((3, 4, 4)), np.array(["happy", "sad", "surprise"]))
