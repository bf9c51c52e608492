"""Where a training run's targets come from: the labels, or the labels mixed with a teacher's.

One strategy per way of asking the teacher (``teacher`` and ``teacher_views``), picked
by :func:`distillation_for`:

* :class:`Labels`: no teacher; the network learns the one-hot labels.
* :class:`TeacherOnce`: the teacher scores the faces as the user gave them, once,
  before training; the targets are ``(1 - w) * labels + w * teacher``.
* :class:`TeacherOnViews`: ``n`` augmented copies of every face, each scored by the
  teacher before training (:mod:`._teacher_views`); epoch ``e`` trains on copy ``e % n``.
* :class:`TeacherOnline`: the teacher scores every batch's augmented view inside the
  training step (:mod:`._online`).

Each turns the examples into a :class:`Run`: the network ``Model.fit`` trains (the
estimator's, or a graph around it sharing its weights), the data, the loss and metric,
and the callbacks the strategy needs. The estimator's ``fit`` does the rest alike for
all four. Early stopping watches the true labels in every strategy.
"""

from dataclasses import dataclass, field

import numpy as np

from ..datasets._streaming import is_lazy
from ._keras import keras
from ._online import distillation_loss, online_trainer, teacher_networks
from ._parameters import idle
from ._teacher_views import (
    ViewBatches,
    ViewOfEpoch,
    augmented_views,
    in_units_of,
    without_augmentation,
)
from ._training import fit_data, split_validation, teacher_proba

__all__ = [
    "Examples",
    "Labels",
    "Run",
    "Settings",
    "TeacherOnViews",
    "TeacherOnce",
    "TeacherOnline",
    "distillation_for",
]


@dataclass(frozen=True)
class Examples:
    """The validated training examples of one call to ``fit`` or ``partial_fit``.

    ``X`` holds the images in the network's units (an array, or images on disk),
    ``X_raw`` the same images as the user gave them (what a teacher is asked about),
    ``Y`` the one-hot labels, ``y_idx`` the labels as indices into ``classes``, and
    ``weights`` the per-image loss weights.
    """

    X: object
    X_raw: object
    Y: np.ndarray
    y_idx: np.ndarray
    weights: np.ndarray
    classes: np.ndarray


@dataclass(frozen=True)
class Settings:
    """How a run batches and holds out: the estimator's ``image_shape_``, ``batch_size``,
    ``label_smoothing``, the ``validation_fraction`` early stopping holds out (0: none)
    and ``rng``, the ``RandomState`` of the split and the shuffles."""

    image_shape: tuple
    batch_size: int
    validation_fraction: float
    label_smoothing: float
    rng: np.random.RandomState


@dataclass
class Run:
    """What ``Model.fit`` is given: ``network.fit(**inputs, validation_data=...)``.

    ``n_train`` counts the images trained on (a learning-rate schedule's steps);
    ``loss`` and ``metric`` are what ``network`` is compiled with.
    """

    network: keras.Model
    inputs: dict
    validation_data: object
    n_train: int
    loss: object
    metric: object = "accuracy"
    callbacks: list = field(default_factory=list)


class Labels:
    """No teacher: the network learns the one-hot labels.

    The other strategies change what this one's steps return: the training
    targets, the validation targets, the graph that trains, its loss.
    """

    def check(self, X):
        """Refuse images ``X`` the strategy cannot train on (any will do here)."""

    def run(self, network, examples, settings):
        """The :class:`Run` that trains ``network`` on ``examples`` (:class:`Settings`)."""
        inputs, validation_data, n_train = fit_data(
            examples.X,
            self.targets(examples),
            self.validation_targets(examples),
            examples.y_idx,
            examples.weights,
            image_shape=settings.image_shape,
            batch_size=settings.batch_size,
            validation_fraction=settings.validation_fraction,
            rng=settings.rng,
        )
        loss, metric = self.loss(len(examples.classes), settings.label_smoothing)
        trainer = self.trainer(network, examples.classes)
        return Run(trainer, inputs, validation_data, n_train, loss, metric)

    def targets(self, examples):
        """The training targets, one row per image."""
        return examples.Y

    def validation_targets(self, examples):
        """The targets of the faces held out for early stopping: the labels."""
        return examples.Y

    def loss(self, n_classes, label_smoothing):
        """``(loss, metric)`` the trained graph is compiled with."""
        return keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing), "accuracy"

    def trainer(self, network, classes):
        """The graph ``Model.fit`` trains: the network itself."""
        return network


class TeacherOnce(Labels):
    """The teacher scores the faces as the user gave them, once, before training."""

    def __init__(self, teacher, weight):
        self.teacher, self.weight = teacher, weight

    def targets(self, examples):
        return self.mix(examples.Y, teacher_proba(self.teacher, examples.X_raw, examples.classes))

    def mix(self, Y, soft):
        """The targets: ``(1 - weight) * Y + weight * soft``."""
        return (1 - self.weight) * Y + self.weight * soft


class TeacherOnline(Labels):
    """The teacher networks score every batch's augmented view in the training step.

    ``members`` are ``(fitted estimator, weight)`` pairs (:func:`teacher_networks`).
    The targets carry the teacher's share as one more column: ``weight`` for the
    training faces, 0 for the validation slice, which is thus scored on its labels.
    """

    def __init__(self, members, weight):
        self.members, self.weight = members, weight

    def targets(self, examples):
        return np.hstack(
            [examples.Y, np.full((len(examples.Y), 1), self.weight, examples.Y.dtype)]
        )

    def validation_targets(self, examples):
        return np.hstack([examples.Y, np.zeros((len(examples.Y), 1), examples.Y.dtype)])

    def loss(self, n_classes, label_smoothing):
        return distillation_loss(n_classes, label_smoothing)

    def trainer(self, network, classes):
        return online_trainer(network, self.members, classes)


class TeacherOnViews(TeacherOnce):
    """``n_views`` augmented copies of every face, each scored by the teacher before training.

    The network trains without its augmentation layers on the copies; epoch ``e``
    reads copy ``e % n_views`` (:class:`ViewOfEpoch` tells the batches which epoch
    it is, also in a resumed run). The faces must be in memory.
    """

    def __init__(self, teacher, weight, n_views):
        super().__init__(teacher, weight)
        self.n_views = n_views

    def check(self, X):
        """Refuse images on disk: the copies are made in memory before training."""
        if is_lazy(X):
            raise ValueError(
                "Expected X in memory with teacher_views > 0 (the augmented views are made "
                "before training). Received: images on disk and "
                f"teacher_views={self.n_views}"
            )

    def run(self, network, examples, settings):
        X, Y, rng = examples.X, examples.Y, settings.rng
        rows, validation_data = np.arange(X.shape[0]), None
        if settings.validation_fraction > 0:
            rows, val, *_ = split_validation(
                rows,
                Y,
                examples.y_idx,
                examples.weights,
                validation_fraction=settings.validation_fraction,
                rng=rng,
            )
            validation_data = (X[val], Y[val])
        views = augmented_views(network, X[rows], self.n_views)
        asked = (in_units_of(view, examples.X_raw) for view in views)  # as the user's X
        targets = np.stack(
            [self.mix(Y[rows], teacher_proba(self.teacher, x, examples.classes)) for x in asked]
        )
        seed = int(rng.randint(np.iinfo(np.int32).max))
        batches = ViewBatches(
            views, targets, examples.weights[rows], batch_size=settings.batch_size, seed=seed
        )
        loss, metric = self.loss(len(examples.classes), settings.label_smoothing)
        return Run(
            self.trainer(network, examples.classes),
            {"x": batches},
            validation_data,
            len(rows),
            loss,
            metric,
            callbacks=[ViewOfEpoch(batches)],
        )

    def trainer(self, network, classes):
        return without_augmentation(network)


def distillation_for(params, *, epochs, classes, image_shape):
    """The strategy of the estimator's ``params`` (``get_params()``) for ``epochs`` epochs.

    A teacher that cannot run in the training step (``teacher_views="online"``) is
    refused here, before anything is built or trained.
    """
    teacher, weight = params["teacher"], params["teacher_weight"]
    if teacher is None:
        return Labels()
    # without augmentation the copies would be the faces themselves: the table's rule
    # for teacher_views (the one its UnusedParameterWarning states) asks the teacher once
    views = 0 if idle("teacher_views", params) else params["teacher_views"]
    if views == "online":
        return TeacherOnline(teacher_networks(teacher, classes, image_shape), weight)
    if views:
        return TeacherOnViews(teacher, weight, min(views, epochs))
    return TeacherOnce(teacher, weight)
