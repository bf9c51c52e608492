"""Keras layers that reshape faces for the recurrent levels of the network.

Registered for safe-mode loading of saved models (``bilstm_emotion>FoldRows``
and so on), so importing :mod:`bilstm_emotion` is enough to load one.
"""

from ._keras import keras, layers, ops

__all__ = ["FoldRows", "Patchify", "UnfoldRows"]

_PACKAGE = "bilstm_emotion"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class FoldRows(layers.Layer):
    """Fold ``(batch, rows, width[, channels])`` into ``(batch * rows, width, channels)``.

    Every image row becomes its own sequence, so one recurrent layer reads all
    rows of all images in a single call (the weights are shared across rows).
    """

    def call(self, inputs):
        shape = ops.shape(inputs)
        channels = 1 if len(inputs.shape) == 3 else inputs.shape[-1]
        return ops.reshape(inputs, (-1, shape[2], channels))

    def compute_output_shape(self, input_shape):
        channels = 1 if len(input_shape) == 3 else input_shape[-1]
        batch = None
        if input_shape[0] is not None and input_shape[1] is not None:
            batch = input_shape[0] * input_shape[1]
        return (batch, input_shape[2], channels)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class UnfoldRows(layers.Layer):
    """Undo :class:`FoldRows`: ``(batch * rows, ...)`` to ``(batch, rows, ...)``.

    Row encodings ``(batch * rows, units)`` become ``(batch, rows, units)``;
    whole encoded rows ``(batch * rows, width, units)`` become feature maps
    ``(batch, rows, width, units)``.
    """

    def __init__(self, rows, **kwargs):
        super().__init__(**kwargs)
        self.rows = int(rows)

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.rows, *inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.rows
        return (batch, self.rows, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "rows": self.rows}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Patchify(layers.Layer):
    """Cut ``(batch, height, width, channels)`` maps into ``size`` x ``size`` patches.

    Each patch becomes one position with ``size * size * channels`` features,
    so a recurrent layer reads several pixels per time step and its sequences
    are ``size`` times shorter. Maps whose sides are not multiples of ``size``
    are padded with zeros at the bottom and right (zero is the mean pixel
    after standardisation), so no pixel is dropped.
    """

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def _grid(self, height, width):
        return -(-height // self.size), -(-width // self.size)

    def call(self, inputs):
        p = self.size
        height, width, channels = inputs.shape[1:]
        rows, cols = self._grid(height, width)
        pad_h, pad_w = rows * p - height, cols * p - width
        if pad_h or pad_w:
            inputs = ops.pad(inputs, [(0, 0), (0, pad_h), (0, pad_w), (0, 0)])
        x = ops.reshape(inputs, (-1, rows, p, cols, p, channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, rows, cols, p * p * channels))

    def compute_output_shape(self, input_shape):
        rows, cols = self._grid(input_shape[1], input_shape[2])
        return (input_shape[0], rows, cols, self.size * self.size * input_shape[3])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
