"""Keras-only builders for the row/column bidirectional LSTM.

Nothing in this module imports scikit-learn: it turns shapes and
hyperparameters into an uncompiled :class:`keras.Model`, and it runs on every
Keras 3 backend (JAX, TensorFlow, PyTorch) because it only uses ``keras`` and
``keras.ops``.
"""

import keras
from keras import layers, ops

__all__ = ["build_row_col_bilstm"]

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
    """Undo :class:`FoldRows`: ``(batch * rows, units)`` to ``(batch, rows, units)``."""

    def __init__(self, rows, **kwargs):
        super().__init__(**kwargs)
        self.rows = int(rows)

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.rows, inputs.shape[-1]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.rows
        return (batch, self.rows, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "rows": self.rows}


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Expected `{name}` to be a positive integer. Received: {name}={value!r}")


def _bilstm_stack(x, units, n_layers, *, l2, name):
    """``n_layers`` stacked Bi-LSTMs; all but the last return full sequences."""
    regularizer = keras.regularizers.L2(l2) if l2 else None
    for i in range(n_layers):
        last = i == n_layers - 1
        x = layers.Bidirectional(
            layers.LSTM(
                units,
                return_sequences=not last,
                kernel_regularizer=regularizer,
                recurrent_regularizer=regularizer,
            ),
            name=f"{name}_bilstm_{i}",
        )(x)
    return x


def _augmentation(x, image_shape, *, flip, shift, rotation, zoom):
    """Random flips, shifts, rotations and zooms, active only when training."""
    steps = []
    if flip:
        steps.append(layers.RandomFlip("horizontal", name="random_flip"))
    if shift:
        steps.append(
            layers.RandomTranslation(shift, shift, fill_mode="nearest", name="random_shift")
        )
    if rotation:
        steps.append(
            layers.RandomRotation(rotation / 360.0, fill_mode="nearest", name="random_rotation")
        )
    if zoom:
        steps.append(layers.RandomZoom(zoom, fill_mode="nearest", name="random_zoom"))
    if not steps:
        return x
    if len(image_shape) == 2:
        x = layers.Reshape((*image_shape, 1), name="add_channel")(x)
    for step in steps:
        x = step(x)
    return x


def build_row_col_bilstm(
    image_shape,
    n_classes,
    *,
    row_hidden=128,
    col_hidden=128,
    row_layers=1,
    col_layers=1,
    dropout=0.25,
    l2=0.0,
    input_mean=0.0,
    input_variance=1.0,
    flip=False,
    shift=0.0,
    rotation=0.0,
    zoom=0.0,
    name="row_col_bilstm",
):
    """Build the hierarchical row/column bidirectional LSTM.

    A stack of ``row_layers`` Bi-LSTMs with ``row_hidden`` units per direction
    reads every image row pixel by pixel (weights shared across rows) and
    encodes it as one vector. A stack of ``col_layers`` Bi-LSTMs with
    ``col_hidden`` units per direction then reads the sequence of row
    encodings from top to bottom. Dropout and a softmax over ``n_classes``
    close the network.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)`` of one image.
    n_classes : int
        Number of output classes (at least 2).
    row_hidden, col_hidden : int, default=128
        Units per direction of the row-level and column-level Bi-LSTMs.
    row_layers, col_layers : int, default=1
        Depth of each Bi-LSTM stack.
    dropout : float, default=0.25
        Dropout rate before the classifier, in ``[0, 1)``.
    l2 : float, default=0.0
        L2 penalty on the kernels of every LSTM and of the classifier.
    input_mean, input_variance : float, default=0.0 and 1.0
        Pixel statistics used by the leading :class:`keras.layers.Normalization`
        layer, so the saved model standardises its own input.
    flip : bool, default=False
        Training-time augmentation: mirror faces left-right at random.
    shift : float, default=0.0
        Training-time augmentation: random shifts of up to this share of the
        height and width.
    rotation : float, default=0.0
        Training-time augmentation: random rotations of up to this many degrees.
    zoom : float, default=0.0
        Training-time augmentation: random zoom in or out by up to this share.
        The augmentation layers act only in training; at inference they pass
        images through unchanged.
    name : str, default="row_col_bilstm"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        Uncompiled model mapping ``(batch, *image_shape)`` floats to
        ``(batch, n_classes)`` probabilities.

    Examples
    --------
    >>> from bilstm_emotion._network import build_row_col_bilstm
    >>> model = build_row_col_bilstm((48, 48), 7, row_hidden=8, col_hidden=4)
    >>> model.output_shape
    (None, 7)
    """
    image_shape = tuple(image_shape)
    if len(image_shape) not in (2, 3) or not all(
        isinstance(d, int) and d >= 1 for d in image_shape
    ):
        raise ValueError(
            "Expected `image_shape` to be (height, width) or (height, width, "
            f"channels) of positive integers. Received: image_shape={image_shape!r}"
        )
    for arg, value in [
        ("row_hidden", row_hidden),
        ("col_hidden", col_hidden),
        ("row_layers", row_layers),
        ("col_layers", col_layers),
    ]:
        _check_positive_int(arg, value)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(
            f"Expected `n_classes` to be an integer >= 2. Received: n_classes={n_classes!r}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"Expected `dropout` in [0, 1). Received: dropout={dropout!r}")

    inputs = keras.Input(shape=image_shape, name="image")
    x = layers.Normalization(
        mean=float(input_mean), variance=float(input_variance), name="standardize"
    )(inputs)
    x = _augmentation(x, image_shape, flip=flip, shift=shift, rotation=rotation, zoom=zoom)
    x = FoldRows(name="fold_rows")(x)
    x = _bilstm_stack(x, row_hidden, row_layers, l2=l2, name="row")
    x = UnfoldRows(image_shape[0], name="unfold_rows")(x)
    x = _bilstm_stack(x, col_hidden, col_layers, l2=l2, name="col")
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(
        n_classes,
        activation="softmax",
        kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
        name="emotion",
    )(x)
    return keras.Model(inputs, outputs, name=name)
