"""Consistent distillation: the teacher scores the very augmented views the network trains on.

With ``teacher_views=n`` an estimator makes, before training, ``n`` augmented
copies of every training face with its network's own augmentation layers
(mirroring, shifts, rotations, zooms, erasing: whatever the network was built
with), has the teacher score each copy, and trains epoch ``e`` on copy
``e % n`` through the network *minus* those layers, so that no view the
student sees differs from the one its target was computed on ("function
matching", Beyer et al., CVPR 2022). The saved network is the usual one:
the augmentation layers stay in it and, as always, do nothing at prediction.
"""

import numpy as np

from ..core._pixels import to_unit_float
from ._keras import keras

__all__ = [
    "ViewBatches",
    "ViewOfEpoch",
    "augmentation_layers",
    "augmented_views",
    "before_augmentation",
    "in_units_of",
    "standardization",
    "without_augmentation",
]


def augmentation_layers(model):
    """The random augmentation layers of a network built by ``build_row_col_bilstm``."""
    return [layer for layer in model.layers if layer.name.startswith("random_")]


def before_augmentation(model):
    """The layers before augmentation (standardisation, channel axis) as one model."""
    return keras.Model(model.input, augmentation_layers(model)[0].input)


def standardization(model):
    """``(mean, std)`` the network's ``standardize`` layer divides by.

    ``std`` has Keras' floor: ``Normalization`` divides by
    ``max(sqrt(variance), keras.config.epsilon())``, so a layer adapted to
    constant pixels (variance 0) is undone exactly, not mapped to its mean.
    """
    standardize = model.get_layer("standardize")
    mean = float(np.ravel(keras.ops.convert_to_numpy(standardize.mean))[0])
    variance = float(np.ravel(keras.ops.convert_to_numpy(standardize.variance))[0])
    return mean, max(float(np.sqrt(variance)), keras.config.epsilon())


def without_augmentation(model):
    """``model`` with its augmentation layers left out, sharing every weight with it."""
    augment = augmentation_layers(model)
    tail = keras.Model(augment[-1].output, model.output)
    inputs = keras.Input(model.input_shape[1:], name="view")
    outputs = tail(before_augmentation(model)(inputs))
    return keras.Model(inputs, outputs, name=f"{model.name}_on_views")


def augmented_views(model, X, n_views, *, batch_size=512):
    """``n_views`` randomly augmented copies of the images ``X``, in ``X``'s pixel units.

    Each copy passes the network's standardisation and augmentation layers
    (in training mode, drawing from their seeded generators) and is brought
    back to the input's units, so that the network minus its augmentation
    (:func:`without_augmentation`) reads it as the full network would have
    read the augmented face. Returns float32 of shape ``(n_views, *X.shape)``.
    """
    head, augment = before_augmentation(model), augmentation_layers(model)
    mean, std = standardization(model)
    views = np.empty((n_views, *X.shape), dtype=np.float32)
    for v in range(n_views):
        for start in range(0, X.shape[0], batch_size):
            x = head(X[start : start + batch_size])
            for layer in augment:
                x = layer(x, training=True)
            x = keras.ops.convert_to_numpy(x) * std + mean
            views[v, start : start + batch_size] = x.reshape(-1, *X.shape[1:])
    return views


def in_units_of(view, X_raw):
    """One view (float, in the estimator's [0, 1] units) as the user's ``X_raw`` gave pixels.

    A teacher is asked about the views in the shape, dtype and scale of the
    images it would otherwise have been given: 8-bit integers back to
    ``[0, 255]`` (rounded), 16-bit to ``[0, 65535]``, floats as they are.
    """
    shape = getattr(X_raw, "shape", None)
    dtype = getattr(X_raw, "dtype", None)
    if dtype is None or not np.issubdtype(dtype, np.number):
        dtype = np.asarray(X_raw[:1]).dtype
    if shape is None or int(np.prod(shape[1:])) != int(np.prod(view.shape[1:])):
        shape = view.shape
    if np.issubdtype(dtype, np.integer):
        top = round(1 / float(to_unit_float(np.ones(1, dtype=dtype))[0]))
        view = np.clip(np.rint(view * top), 0, top).astype(dtype)
    return view.reshape(-1, *shape[1:])


class ViewBatches(keras.utils.PyDataset):
    """Batches ``(view, target, weight)``: epoch ``e`` serves view ``e % n_views`` of each face.

    ``views`` has shape ``(n_views, n_samples, ...)`` and ``Y`` ``(n_views,
    n_samples, n_classes)`` (each view's own targets); the faces are reshuffled
    every epoch by ``seed``.
    """

    def __init__(self, views, Y, weights, *, batch_size, seed):
        super().__init__()
        self.views, self.Y, self.weights = views, Y, weights
        self.batch_size, self.epoch = batch_size, 0
        self._rng = np.random.default_rng(seed)
        self.order = self._rng.permutation(views.shape[1])

    def __len__(self):
        return -(-self.views.shape[1] // self.batch_size)

    def __getitem__(self, i):
        rows = np.sort(self.order[i * self.batch_size : (i + 1) * self.batch_size])
        v = self.epoch % self.views.shape[0]
        return self.views[v, rows], self.Y[v, rows], self.weights[rows]

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self._rng.permutation(self.views.shape[1])


class ViewOfEpoch(keras.callbacks.Callback):
    """Tells :class:`ViewBatches` which epoch ``fit`` is in.

    Keras calls a dataset's ``on_epoch_end`` once before the first epoch, and
    a run resumed by ``keras.callbacks.BackupAndRestore`` starts at a later
    epoch with fresh batches: counting epochs in the batches alone served
    view ``(e + 1) % n`` in epoch ``e``, and after a resume a view shifted
    from the one the interrupted run would have served.
    """

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.epoch = epoch
