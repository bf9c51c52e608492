"""Lazy images fed to Keras batch by batch, two reader threads ahead of training."""

import numpy as np

from ..datasets._streaming import read_images
from ._keras import keras

__all__ = ["FaceBatches"]


class FaceBatches(keras.utils.PyDataset):
    """Batches ``(faces, one_hot, weights)`` of lazy ``X``, reshuffled every epoch.

    Two reader threads decode the next batches while the network trains on
    the current one; at most ``max_queue_size`` batches wait in memory.
    """

    def __init__(self, X, image_shape, indices, Y, weights, *, batch_size, seed=None):
        super().__init__(workers=2, use_multiprocessing=False, max_queue_size=4)
        self.X, self.image_shape = X, image_shape
        self.indices, self.Y, self.weights = np.asarray(indices), Y, weights
        self.batch_size = batch_size
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.order = self.indices if self._rng is None else self._rng.permutation(self.indices)

    def __len__(self):
        return -(-len(self.indices) // self.batch_size)

    def __getitem__(self, i):
        rows = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        faces = read_images(self.X, rows, self.image_shape)
        return faces, self.Y[rows], self.weights[rows]

    def on_epoch_end(self):
        if self._rng is not None:
            self.order = self._rng.permutation(self.indices)
