"""Online distillation: the teacher scores every training batch inside the training step.

With ``teacher_views="online"`` the estimator trains a graph that draws each
batch's augmented view with the network's own augmentation layers, reads it
with the network minus those layers (the student) *and* with a frozen copy of
every teacher network, and fits the student's probabilities to ``(1 - w) *
labels + w * teacher`` on that very view: a fresh view at every step, never the
same image twice ("function matching" as Beyer et al., CVPR 2022, describe it;
:mod:`._teacher_views` precomputes a fixed pool instead). The teacher must therefore be
a network the graph can run: a fitted estimator of this package, or a soft
:class:`~sklearn.ensemble.VotingClassifier` of them, either possibly wrapped in
:class:`~sklearn.frozen.FrozenEstimator`. Each teacher network averages its own
test-time views (mirror image, shifts) in its own ``predict_dtype``.
"""

import numpy as np
from sklearn.frozen import FrozenEstimator

from ._keras import keras, ops
from ._predicting import network_in_dtype, resolve_dtype
from ._teacher_views import (
    augmentation_layers,
    before_augmentation,
    standardization,
    without_augmentation,
)
from ._test_time import mean_over_views, test_time_views
from ._training import teacher_columns

__all__ = ["distillation_loss", "online_trainer", "teacher_networks"]


def teacher_networks(teacher, classes, image_shape):
    """``[(member, weight)]``: the fitted networks a graph-run ``teacher`` averages.

    Raises ``ValueError`` naming the culprit for a teacher that is not such a
    network or soft vote, a member of another input shape, or classes other
    than the student's.
    """
    while isinstance(teacher, FrozenEstimator):
        teacher = teacher.estimator
    if hasattr(teacher, "estimators_") and getattr(teacher, "voting", None) == "soft":
        weights = np.ones(len(teacher.estimators_)) if teacher.weights is None else teacher.weights
        weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
        return [
            (member, float(weight * share))
            for estimator, share in zip(teacher.estimators_, weights, strict=True)
            for member, weight in teacher_networks(estimator, classes, image_shape)
        ]
    if not (hasattr(teacher, "model_") and hasattr(teacher, "test_time_flip")):
        raise ValueError(
            "Expected with teacher_views='online' a teacher whose network can run in the "
            "training step: a fitted BiLSTMFaceEmotionClassifier, or a soft VotingClassifier "
            "of them (either may be wrapped in FrozenEstimator; a shipped model: "
            'load_pretrained(name, engine="keras")). Received: '
            f"{type(teacher).__name__}. Use teacher_views=0 or an int for any other teacher"
        )
    teacher_columns(teacher, classes)  # the same classes, or a ValueError naming them
    if tuple(teacher.image_shape_) != tuple(image_shape):
        raise ValueError(
            f"Expected a teacher network reading images of the student's shape "
            f"{tuple(image_shape)}. Received: image_shape_={tuple(teacher.image_shape_)}"
        )
    return [(teacher, 1.0)]


class _FrozenTeacher(keras.layers.Layer):
    """A frozen copy of one teacher network: its probabilities of a view, in inference mode
    whatever mode the graph trains in, averaged over its test-time views, in the student's
    class order."""

    def __init__(self, member, classes, **kwargs):
        super().__init__(**kwargs)
        # a copy (uncompiled) in the member's dtype: freezing must not touch theirs
        dtype = resolve_dtype(member.predict_dtype)
        network = network_in_dtype(member.model_, dtype, inference=True)
        network.trainable = False
        self.network, self.flip = network, member.test_time_flip
        self.shift = member.test_time_shift
        self.order = teacher_columns(member, classes)

    def call(self, view):  # no `training` argument: the graph's mode never reaches it
        views = test_time_views(view, flip=self.flip, shift=self.shift)
        proba = self.network(ops.concatenate(views, axis=0), training=False)  # one batch
        proba = mean_over_views(ops.cast(proba, "float32"), len(views))
        return ops.take(proba, self.order, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(self.order))


def online_trainer(model, members, classes):
    """A graph from faces to ``[student | teacher]`` probabilities, side by side.

    The student is ``model`` minus its augmentation layers (its weights
    shared); the teacher is the ``members``' weighted average, frozen and
    outside the gradient. Train it with :func:`distillation_loss`.
    """
    augment = augmentation_layers(model)
    mean, std = standardization(model)
    inputs = keras.Input(model.input_shape[1:], name="faces")
    x = before_augmentation(model)(inputs)
    for layer in augment:
        x = layer(x)
    view = ops.reshape(x * std + mean, (-1, *model.input_shape[1:]))  # in the input's units
    student = without_augmentation(model)(view)
    teacher = sum(
        weight * _FrozenTeacher(member, classes, name=f"teacher_{i}")(view)
        for i, (member, weight) in enumerate(members)
    )
    outputs = ops.concatenate([student, ops.stop_gradient(teacher)], axis=1)
    return keras.Model(inputs, outputs, name=f"{model.name}_online_distillation")


def distillation_loss(n_classes, label_smoothing):
    """Loss and accuracy of :func:`online_trainer`'s outputs.

    The targets ``y_true`` carry one column more than the classes: the
    teacher's share of each target (``teacher_weight`` for training faces,
    0 for the validation slice, which is thus scored against its labels).
    """

    def loss(y_true, y_pred):
        share = y_true[:, n_classes:]
        target = (1 - share) * y_true[:, :n_classes] + share * y_pred[:, n_classes:]
        return keras.losses.categorical_crossentropy(
            target, y_pred[:, :n_classes], label_smoothing=label_smoothing
        )

    def accuracy(y_true, y_pred):
        return keras.metrics.categorical_accuracy(y_true[:, :n_classes], y_pred[:, :n_classes])

    return loss, keras.metrics.MeanMetricWrapper(accuracy, name="accuracy")
