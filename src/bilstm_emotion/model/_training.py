"""Pieces of a training run that need no estimator: labels, weights, validation split,
the data handed to ``Model.fit``, optimizer, and the soft targets of a teacher."""

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import _check_sample_weight, _num_samples, check_is_fitted

from ..datasets._streaming import is_lazy
from ._batches import FaceBatches
from ._keras import keras

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "nadam": keras.optimizers.Nadam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


def label_indices(y, classes):
    """``y`` as indices into the sorted ``classes``: two or more, holding every label."""
    if classes.shape[0] < 2:
        raise ValueError(
            "Expected at least 2 classes in y to train a classifier. Received: "
            f"1 class ({classes.tolist()[0]!r})"
        )
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise ValueError(
            f"Expected labels among classes_={classes.tolist()}. Received: "
            f"unknown labels {unknown.tolist()} in y"
        )
    return np.searchsorted(classes, y)


def sample_weights(X, y_idx, sample_weight, classes, class_weight):
    """Per-image loss weights: ``sample_weight`` times ``class_weight``, as float32.

    ``y_idx`` are the labels as indices into ``classes``. At least two classes
    must keep a positive weight.
    """
    weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if sample_weight is not None and (weights < 0).any():
        negative = weights[weights < 0]
        raise ValueError(
            f"Expected non-negative sample_weight. Received: {negative.size} negative "
            f"weight(s), the smallest {negative.min():g}"
        )
    if class_weight is not None:
        cw = compute_class_weight(class_weight, classes=classes, y=classes[y_idx])
        weights = weights * cw[y_idx]
    present = np.unique(y_idx[weights > 0])
    if present.size < 2:
        raise ValueError(
            "Expected at least 2 classes with positive sample weight. Received: "
            f"{present.size} class with positive weight"
        )
    return weights.astype(np.float32)


def split_validation(X, Y, y_idx, weights, *, validation_fraction, rng):
    """Hold out ``validation_fraction`` of the images, stratified when every class allows.

    Returns ``X_train, X_val, Y_train, Y_val, weights_train, weights_val``.
    """
    n = X.shape[0]
    n_val = max(1, round(validation_fraction * n))
    if n - n_val < 1:
        raise ValueError(
            f"Expected enough samples to hold out validation_fraction="
            f"{validation_fraction} for early stopping. Received: {n} samples"
        )
    counts = np.bincount(y_idx)
    counts = counts[counts > 0]
    stratify = (
        y_idx if counts.min() >= 2 and n_val >= counts.size and n - n_val >= counts.size else None
    )
    return train_test_split(X, Y, weights, test_size=n_val, stratify=stratify, random_state=rng)


def fit_data(X, Y_fit, Y, y_idx, weights, *, image_shape, batch_size, validation_fraction, rng):
    """The data arguments of ``Model.fit``: ``(inputs, validation_data, n_train)``.

    ``X`` is an array, or images on disk (then read batch by batch by a
    :class:`FaceBatches` shuffled by a seed drawn from ``rng``). With
    ``validation_fraction > 0`` that fraction is held out, stratified; the model
    is trained towards ``Y_fit`` (labels, possibly mixed with a teacher's
    probabilities) and validated against the true one-hot labels ``Y``.
    """
    lazy, validation_data = is_lazy(X), None
    train_idx = np.arange(X.shape[0])
    split = {"validation_fraction": validation_fraction, "rng": rng}
    if validation_fraction > 0 and lazy:
        train_idx, val_idx, *_ = split_validation(train_idx, Y, y_idx, weights, **split)
        validation_data = FaceBatches(
            X, image_shape, val_idx, Y, np.ones_like(weights), batch_size=batch_size
        )
    elif validation_fraction > 0:  # training targets and true labels split together
        X, X_val, Y_both, Y_val, weights, _ = split_validation(
            X, np.hstack([Y_fit, Y]), y_idx, weights, **split
        )
        n_classes = Y.shape[1]
        Y_fit, validation_data = Y_both[:, :n_classes], (X_val, Y_val[:, n_classes:])
    if lazy:  # batches read from disk by a keras.utils.PyDataset, shuffled by our seed
        batches = FaceBatches(
            X,
            image_shape,
            train_idx,
            Y_fit,
            weights,
            batch_size=batch_size,
            seed=int(rng.randint(np.iinfo(np.int32).max)),
        )
        return {"x": batches}, validation_data, len(train_idx)
    inputs = {"x": X, "y": Y_fit, "sample_weight": weights, "shuffle": True}
    return {**inputs, "batch_size": batch_size}, validation_data, len(X)


def make_optimizer(name, learning_rate, *, schedule=None, decay_steps=1):
    """A fresh Keras optimizer; ``schedule="cosine"`` decays to 0 over ``decay_steps``."""
    if schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=max(1, decay_steps)
        )
    return OPTIMIZERS[name](learning_rate=learning_rate)


def teacher_columns(teacher, classes):
    """The teacher's column of each of the student's ``classes``, in their order.

    Raises ``ValueError`` unless the teacher knows exactly the student's classes.
    """
    names, own = np.asarray(classes).tolist(), np.asarray(teacher.classes_).tolist()
    if sorted(own) != sorted(names):
        raise ValueError(
            f"Expected the teacher's classes_ to be the student's classes {names}. "
            f"Received: teacher.classes_={own}"
        )
    return [own.index(c) for c in names]


def teacher_proba(teacher, X, classes):
    """``teacher.predict_proba(X)`` with its columns in the order of ``classes``.

    The teacher must be fitted and know exactly the classes of the student; its
    rows must be finite, non-negative, and are rescaled to sum to 1.
    """
    try:
        check_is_fitted(teacher)
    except NotFittedError as exc:
        raise ValueError(
            "Expected a fitted `teacher`. Received: an unfitted "
            f"{type(teacher).__name__}. Wrap a fitted teacher in "
            "sklearn.frozen.FrozenEstimator so that clone (GridSearchCV, "
            "cross_val_score) keeps it fitted."
        ) from exc
    order = teacher_columns(teacher, classes)
    proba = np.asarray(teacher.predict_proba(X), dtype=np.float64)
    n = _num_samples(X)
    if proba.shape != (n, len(classes)) or not np.all(np.isfinite(proba)) or proba.min() < 0:
        raise ValueError(
            f"Expected teacher.predict_proba(X) to return finite non-negative "
            f"probabilities of shape {(n, len(classes))}. Received: shape "
            f"{proba.shape}, min {np.nanmin(proba) if proba.size else None}"
        )
    proba = proba[:, order]
    total = proba.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError(
            "Expected teacher.predict_proba(X) rows with a positive sum. Received: "
            f"{int(np.sum(total <= 0))} rows of zeros (first at row "
            f"{int(np.flatnonzero(total.ravel() <= 0)[0])})"
        )
    return (proba / total).astype(np.float32)
