"""Online distillation (bilstm_emotion.model._online, teacher_views="online")."""

import keras
import numpy as np
import pytest
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from bilstm_emotion.model._online import (
    distillation_loss,
    online_trainer,
    teacher_networks,
)


@pytest.fixture(scope="module")
def teachers(faces, make_clf):
    """Two fitted teachers with dropout (which must stay off) that average mirror images."""
    X, y = faces
    one = make_clf(dropout=0.5, test_time_flip=True, epochs=3).fit(X, y)
    two = make_clf(dropout=0.5, test_time_flip=True, test_time_shift=1, random_state=1)
    return one, two.fit(X, y)


def _columns(trainer, X, training):
    return keras.ops.convert_to_numpy(trainer(X, training=training))


@pytest.mark.slow
def test_teacher_columns_are_the_frozen_teachers_vote_on_the_view(faces, make_clf, teachers):
    X, y = faces
    vote = VotingClassifier(
        [("one", FrozenEstimator(teachers[0])), ("two", FrozenEstimator(teachers[1]))],
        voting="soft",
        weights=[3, 1],
    ).fit(X, y)
    student = make_clf(flip=True, epochs=1).fit(X, y)
    members = teacher_networks(FrozenEstimator(vote), student.classes_, student.image_shape_)
    assert [weight for _, weight in members] == [0.75, 0.25]
    trainer = online_trainer(student.model_, members, student.classes_)
    Xf = (X / 255).astype(np.float32)
    # In training mode the view is the face or its mirror image, which these teachers
    # score alike: so their columns are the vote's probabilities, dropout off.
    for training in (True, False):
        out = _columns(trainer, Xf, training)
        np.testing.assert_allclose(out[:, 3:], vote.predict_proba(X), atol=2e-5)
    np.testing.assert_allclose(
        _columns(trainer, Xf, False)[:, :3], student.predict_proba(X), atol=2e-5
    )
    assert len(trainer.trainable_weights) == len(student.model_.trainable_weights)
    assert teachers[0].model_.trainable  # the trainer froze a copy, not the user's network


def test_distillation_loss_mixes_by_the_share_column(rng):
    loss, accuracy = distillation_loss(3, label_smoothing=0.1)
    student = rng.dirichlet(np.ones(3), size=5).astype(np.float32)
    teacher = rng.dirichlet(np.ones(3), size=5).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]]
    ce = keras.losses.CategoricalCrossentropy(label_smoothing=0.1, reduction=None)
    pred = np.hstack([student, teacher])
    for share, target in ((0.0, labels), (1.0, teacher), (0.7, 0.3 * labels + 0.7 * teacher)):
        y_true = np.hstack([labels, np.full((5, 1), share, np.float32)])
        got = keras.ops.convert_to_numpy(loss(y_true, pred))
        np.testing.assert_allclose(got, keras.ops.convert_to_numpy(ce(target, student)), rtol=1e-5)
    accuracy.update_state(np.hstack([labels, np.zeros((5, 1))]), pred)
    expected = np.mean(student.argmax(1) == labels.argmax(1))
    assert float(accuracy.result()) == pytest.approx(expected)


@pytest.mark.slow
def test_the_student_learns_the_teachers_answers_not_the_labels(faces, make_clf, teachers, rng):
    X, y = faces
    noise = rng.permutation(y)  # labels that say nothing about the faces
    before = teachers[0].model_.get_weights()
    answers = teachers[0].predict(X)
    agreement = {}
    for weight in (0.0, 1.0):
        clf = make_clf(
            teacher=FrozenEstimator(teachers[0]),
            teacher_views="online",
            teacher_weight=weight,
            flip=True,
            epochs=8,
            learning_rate=0.02,
            dropout=0.0,
        ).fit(X, noise)
        agreement[weight] = np.mean(clf.predict(X) == answers)
    assert agreement[1.0] > 0.9 and agreement[1.0] > agreement[0.0] + 0.2
    for a, b in zip(before, teachers[0].model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the teacher learnt nothing on the way


@pytest.mark.slow
def test_online_targets_differ_from_asking_once_under_shifts(faces, make_clf, teachers):
    X, y = faces
    params = dict(teacher=FrozenEstimator(teachers[0]), teacher_weight=1.0, shift=0.2)
    online = make_clf(teacher_views="online", **params).fit(X, y)
    once = make_clf(**params).fit(X, y)
    assert not np.allclose(online.history_["loss"], once.history_["loss"], rtol=1e-3)


@pytest.mark.slow
def test_online_validates_against_labels_and_keeps_training(faces, make_clf, teachers, tmp_path):
    X, y = faces
    clf = make_clf(
        teacher=FrozenEstimator(teachers[1]),
        teacher_views="online",
        flip=True,
        epochs=3,
        early_stopping=True,
        validation_fraction=0.25,
        patience=10,
    ).fit(X, y)
    assert set(clf.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert clf.model_.output_shape == (None, 3)  # the usual network, no teacher inside
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.history_["loss"]) == 4
    np.save(tmp_path / "faces.npy", X)  # images on disk: the teacher runs on each batch
    on_disk = np.load(tmp_path / "faces.npy", mmap_mode="r")
    clf = make_clf(teacher=FrozenEstimator(teachers[0]), teacher_views="online", flip=True)
    assert clf.fit(on_disk, y).predict(X).shape == (len(X),)


def test_teachers_a_graph_cannot_run_are_named(faces, make_clf, teachers):
    X, y = faces
    flat = X.reshape(len(X), -1)
    with pytest.raises(ValueError, match=r"Received: LogisticRegression\. Use teacher_views=0"):
        make_clf(teacher=LogisticRegression().fit(flat, y), teacher_views="online", flip=True).fit(
            X, y
        )
    with pytest.raises(ValueError, match=r"student's shape \(8, 8\).*image_shape_=\(16, 16\)"):
        make_clf(teacher=teachers[0], teacher_views="online", flip=True).fit(X[:, ::2, ::2], y)
    other = np.where(y == "sad", "angry", y)
    with pytest.raises(ValueError, match=r"teacher's classes_.*teacher.classes_="):
        make_clf(teacher=teachers[0], teacher_views="online", flip=True).fit(X, other)
    with pytest.raises(InvalidParameterError, match=r"teacher_views"):
        make_clf(teacher=teachers[0], teacher_views="offline").fit(X, y)
