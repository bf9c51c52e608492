"""Knowledge distillation (bilstm_emotion.model._distillation): the teacher asked once, on
augmented views, or (tests/test_online.py) in the training step."""

import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from bilstm_emotion import UnusedParameterWarning
from bilstm_emotion.model._distillation import (
    Labels,
    TeacherOnce,
    TeacherOnline,
    TeacherOnViews,
    distillation_for,
)

from .conftest import fast_clf


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
        teacher=_always("sad", X, y),
        teacher_weight=1.0,
        learning_rate=0.05,
        epochs=4,
        early_stopping=True,
        validation_fraction=0.25,
        patience=10,
    ).fit(X, y)
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
        teacher=teacher,
        teacher_weight=1.0,
        teacher_views=teacher_views,
        flip=True,
        learning_rate=0.05,
        epochs=6,
        dropout=0.0,
    ).fit(X, y)
    assert len(teacher.seen_) == max(teacher_views, 1)
    mirrored = np.mean(
        [np.array_equal(x, X[i, :, ::-1]) for s in teacher.seen_ for i, x in enumerate(s)]
    )
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
    from bilstm_emotion.model._teacher_views import ViewBatches

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
        teacher=teacher,
        teacher_views=2,
        flip=True,
        epochs=3,
        early_stopping=True,
        validation_fraction=0.25,
        patience=10,
    ).fit(X, y)
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


def _params(**changes):
    return {**fast_clf().get_params(deep=False), **changes}


def test_each_way_of_asking_the_teacher_is_one_strategy(faces, fitted):
    X, y = faces
    classes, shape = np.unique(y), X.shape[1:]
    teacher = _always("sad", X, y)

    def strategy(**changes):
        return distillation_for(_params(**changes), epochs=3, classes=classes, image_shape=shape)

    assert type(strategy()) is Labels
    assert type(strategy(teacher=teacher)) is TeacherOnce
    # without augmentation the copies would be the faces: the teacher is asked once
    assert type(strategy(teacher=teacher, teacher_views=4)) is TeacherOnce
    views = strategy(teacher=teacher, teacher_views=4, flip=True)
    assert type(views) is TeacherOnViews and views.n_views == 3  # no more than the epochs
    network = FrozenEstimator(fitted)
    online = strategy(teacher=network, teacher_views="online", flip=True)
    assert type(online) is TeacherOnline and online.members == [(fitted, 1.0)]
    # a teacher the training step cannot run is refused before anything is built
    with pytest.raises(ValueError, match=r"Received: DummyClassifier"):
        strategy(teacher=teacher, teacher_views="online", flip=True)


@pytest.mark.slow
def test_a_teacher_refused_while_making_the_targets_leaves_the_fitted_network(rng, make_clf):
    X, y = _lit_from_the_left(30, rng)
    clf = make_clf(flip=True).fit(X, y)
    network, weights = clf.model_, [w.copy() for w in clf.model_.get_weights()]
    unfitted = DummyClassifier()
    with pytest.raises(ValueError, match=r"fitted `teacher`"):
        clf.set_params(teacher=unfitted, teacher_views=2).fit(X, y)
    assert clf.model_ is network and clf.n_iter_ == 2
    for before, after in zip(weights, clf.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_a_refit_refused_before_training_leaves_the_whole_fitted_estimator(rng, make_clf):
    """Not only the network: the image shape and everything fit had recorded stay, so the
    estimator still predicts the images it was fitted on."""
    X, y = _lit_from_the_left(30, rng)
    clf = make_clf().fit(X, y)
    before = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    bigger = np.repeat(np.repeat(X, 2, axis=1), 2, axis=2)  # other images, another shape
    with pytest.raises(ValueError, match=r"fitted `teacher`"):
        clf.set_params(teacher=DummyClassifier()).fit(bigger, y)
    after = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    assert after.keys() == before.keys()
    assert clf.image_shape_ == before["image_shape_"] == X.shape[1:]
    assert all(after[k] is before[k] for k in ("model_", "classes_", "history_"))
    assert clf.predict(X).shape == (30,)
