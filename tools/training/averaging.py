"""Stochastic weight averaging (Izmailov et al., "Averaging weights leads to wider optima
and better generalization", UAI 2018) for ``tools/train_fer2013.py``.

A preset with ``average_from=E`` and ``average_lr=LR`` trains with a per-epoch learning
rate that follows a cosine from the preset's ``learning_rate`` down to ``LR`` over the first
``E`` epochs and stays at ``LR`` after (:func:`averaging_schedule`, the preset's
``lr_schedule`` must be ``"constant"`` so Keras lets a callback set the rate), and
:class:`WeightAveraging` averages the weights at the end of every epoch from epoch ``E + 1``
on, puts the average into the network when training ends, then recomputes the batch
normalisation statistics for the averaged weights over the training faces.
"""

import math
import os

import keras
import numpy as np


def averaging_schedule(learning_rate, floor, start):
    """The learning rate of each (0-based) epoch: cosine to ``floor`` over ``start`` epochs."""

    def rate(epoch, lr=None):
        if epoch >= start:
            return float(floor)
        cosine = 0.5 * (1 + math.cos(math.pi * epoch / start))
        return float(floor + (learning_rate - floor) * cosine)

    return rate


def _batch_normalizations(layer):
    if isinstance(layer, keras.layers.BatchNormalization):
        yield layer
    for child in getattr(layer, "layers", ()):
        yield from _batch_normalizations(child)


class WeightAveraging(keras.callbacks.Callback):
    """Average the trainable weights at the end of each epoch from ``start_epoch`` (0-based).

    Parameters
    ----------
    start_epoch : int
        First epoch whose end-of-epoch weights enter the average.
    images : ndarray of uint8
        The training faces as the estimator was given them (8-bit, as
        :func:`bilstm_emotion.datasets.load_fer2013` reads them; scaled to ``[0, 1]``
        batch by batch and shaped to the network's input, as the estimator does), read
        in training mode (augmentation and dropout on, as in training) to
        recompute the batch normalisation statistics of the averaged weights, each batch
        weighted equally.
    batch_size : int, default=64
        Batch size of that pass (the training batch size: batch statistics depend on it).
    state_path : str or None, default=None
        Where the running sum is kept after every averaged epoch (``.npz``), so that a run
        resumed with ``keras.callbacks.BackupAndRestore`` goes on with its average; an
        epoch that is trained again after a resume replaces its earlier snapshot.
    seed : int, default=0
        Order of the images in the statistics pass.
    """

    def __init__(self, start_epoch, images, *, batch_size=64, state_path=None, seed=0):
        super().__init__()
        if np.asarray(images).dtype != np.uint8:
            raise ValueError(
                f"Expected the training faces as uint8. Received: images of dtype "
                f"{np.asarray(images).dtype}"
            )
        self.start_epoch = int(start_epoch)
        self.images = images
        self.batch_size = int(batch_size)
        self.state_path = state_path
        self.seed = seed
        self.n_averaged = 0

    def _variables(self):
        return self.model.trainable_variables

    def on_train_begin(self, logs=None):
        self._sum, self._last, self._last_epoch, self.n_averaged = None, None, -1, 0
        if self.state_path and os.path.exists(self.state_path):
            with np.load(self.state_path) as state:
                n = len(self._variables())
                self._sum = [state[f"sum{i}"] for i in range(n)]
                self._last = [state[f"last{i}"] for i in range(n)]
                self.n_averaged, self._last_epoch = int(state["n"]), int(state["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        if self._sum is not None and self._last_epoch >= epoch:  # trained again on resume
            self._sum = [s - w for s, w in zip(self._sum, self._last, strict=True)]
            self.n_averaged -= 1
            self._last_epoch = epoch - 1

    def on_epoch_end(self, epoch, logs=None):
        if epoch < self.start_epoch:
            return
        weights = [keras.ops.convert_to_numpy(v).astype(np.float64) for v in self._variables()]
        total = self._sum or [np.zeros_like(w) for w in weights]
        self._sum = [s + w for s, w in zip(total, weights, strict=True)]
        self._last, self._last_epoch = weights, epoch
        self.n_averaged += 1
        if self.state_path:
            arrays = {f"sum{i}": s for i, s in enumerate(self._sum)}
            arrays.update({f"last{i}": w for i, w in enumerate(self._last)})
            tmp = self.state_path + ".tmp.npz"
            np.savez(tmp, n=self.n_averaged, epoch=epoch, **arrays)
            os.replace(tmp, self.state_path)

    def on_train_end(self, logs=None):
        if not self.n_averaged:
            return
        for variable, total in zip(self._variables(), self._sum, strict=True):
            variable.assign((total / self.n_averaged).astype(variable.dtype))
        self.recompute_batch_statistics()
        if self.state_path and os.path.exists(self.state_path):
            os.remove(self.state_path)
        print(f"weight averaging: {self.n_averaged} epochs averaged, batch statistics recomputed")

    def recompute_batch_statistics(self):
        """Batch normalisation's moving statistics as the equal-weight mean over one pass."""
        layers = list(_batch_normalizations(self.model))
        if not layers:
            return
        momenta = [layer.momentum for layer in layers]
        order = np.random.default_rng(self.seed).permutation(len(self.images))
        try:
            last = len(order) - self.batch_size  # full batches only
            for k, start in enumerate(range(0, last + 1, self.batch_size)):
                for layer in layers:  # moving = k/(k+1) moving + 1/(k+1) batch: a plain mean
                    layer.momentum = k / (k + 1)
                faces = self.images[np.sort(order[start : start + self.batch_size])]
                batch = faces.astype(np.float32) / np.float32(255)
                self.model(batch.reshape((-1, *self.model.input_shape[1:])), training=True)
        finally:
            for layer, momentum in zip(layers, momenta, strict=True):
                layer.momentum = momentum
