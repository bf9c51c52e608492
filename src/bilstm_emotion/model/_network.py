"""Keras-only builders for the row/column bidirectional LSTM.

Nothing in this module imports scikit-learn: it turns shapes and
hyperparameters into an uncompiled :class:`keras.Model`, and it runs on every
Keras 3 backend (JAX, TensorFlow, PyTorch) because it only uses ``keras`` and
``keras.ops``.
"""

import random
from dataclasses import asdict

from ..core._checks import check_height_width
from ._config import NetworkConfig
from ._keras import keras, layers
from ._layers import FoldRows, Patchify, UnfoldRows

__all__ = ["build_row_col_bilstm"]


class _Seeds:
    """The seed of every initializer and random layer of one network, in build order.

    Left without a seed, Keras draws one for each from Python's global
    :mod:`random` when the layer is created, so a seeded fit is reproducible
    only while no other thread of the process draws from it too (a Dask
    worker's event loop does). These seeds come from a private generator
    instead, drawn as Keras would draw them after ``random.seed(seed)`` (which
    :func:`keras.utils.set_random_seed` calls): ``randint(1, 10**9)``, in the
    order Keras creates them. So a seed gives the initial weights it gave
    before seeds were passed, and the shipped models' training commands still
    reproduce them. ``seed=None`` passes none (Keras' own draws).
    """

    def __init__(self, seed):
        self._random = None if seed is None else random.Random(seed)

    @property
    def explicit(self):
        return self._random is not None

    def __call__(self):
        return None if self._random is None else self._random.randint(1, 10**9)

    def glorot(self):
        return keras.initializers.GlorotUniform(seed=self())


def _lstm(units, seeds, **kwargs):
    return layers.LSTM(
        units,
        kernel_initializer=seeds.glorot(),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seeds()),
        seed=seeds(),  # recurrent dropout's; unused at rate 0
        **kwargs,
    )


def _bilstm_stack(x, units, n_layers, *, l2, name, seeds, return_sequences=False):
    """``n_layers`` stacked Bi-LSTMs; all but the last return full sequences."""
    regularizer = keras.regularizers.L2(l2) if l2 else None
    for i in range(n_layers):
        last = i == n_layers - 1
        lstm = dict(
            return_sequences=return_sequences or not last,
            kernel_regularizer=regularizer,
            recurrent_regularizer=regularizer,
        )
        layer, backward = _lstm(units, seeds, **lstm), None
        if seeds.explicit:
            # Bidirectional rebuilds both directions from the config of the layer it is
            # given, drawing their seeds anew when it holds none: the layer's are
            # discarded, then come the forward's and the backward's.
            layer = _lstm(units, seeds, **lstm)
            backward = _lstm(units, seeds, go_backwards=True, **lstm)
        x = layers.Bidirectional(layer, backward_layer=backward, name=f"{name}_bilstm_{i}")(x)
    return x


def _augmentation(x, *, flip, shift, rotation, zoom, erasing, seeds):
    """Random flips, shifts, rotations, zooms and erasing, active only when training."""
    steps = []
    if flip:
        steps.append(layers.RandomFlip("horizontal", seed=seeds(), name="random_flip"))
    if shift:
        steps.append(
            layers.RandomTranslation(
                shift, shift, fill_mode="nearest", seed=seeds(), name="random_shift"
            )
        )
    if rotation:
        steps.append(
            layers.RandomRotation(
                rotation / 360.0, fill_mode="nearest", seed=seeds(), name="random_rotation"
            )
        )
    if zoom:
        steps.append(
            layers.RandomZoom(zoom, fill_mode="nearest", seed=seeds(), name="random_zoom")
        )
    if erasing:
        # After standardisation, so 0 is the mean gray; the probability is fixed
        # (factor as a pair), the erased share of the image in [0.02, 0.33].
        steps.append(
            layers.RandomErasing(
                factor=(erasing, erasing), fill_value=0.0, seed=seeds(), name="random_erasing"
            )
        )
    for step in steps:
        x = step(x)
    return x


def _conv_stem(x, filters, *, l2, seeds, separable=False, stride=1):
    """VGG-style blocks: two 3x3 conv + batch norm + ReLU, then 2x2 max pooling.

    ``separable`` makes every convolution but the first depthwise-separable;
    ``stride`` is the stride of the first convolution (2 halves the face
    before the first block, a quarter of the stem's work).
    """
    regularizer = keras.regularizers.L2(l2) if l2 else None
    for i, n_filters in enumerate(filters):
        for j in range(2):
            first = i == 0 and j == 0
            if separable and not first:
                conv = layers.SeparableConv2D(
                    n_filters,
                    3,
                    padding="same",
                    use_bias=False,
                    depthwise_initializer=seeds.glorot(),
                    pointwise_initializer=seeds.glorot(),
                    depthwise_regularizer=regularizer,
                    pointwise_regularizer=regularizer,
                    name=f"stem_conv_{i}_{j}",
                )
            else:
                conv = layers.Conv2D(
                    n_filters,
                    3,
                    strides=stride if first else 1,
                    padding="same",
                    use_bias=False,
                    kernel_initializer=seeds.glorot(),
                    kernel_regularizer=regularizer,
                    name=f"stem_conv_{i}_{j}",
                )
            x = conv(x)
            x = layers.BatchNormalization(name=f"stem_bn_{i}_{j}")(x)
            x = layers.Activation("relu", name=f"stem_relu_{i}_{j}")(x)
        x = layers.MaxPooling2D(2, padding="same", name=f"stem_pool_{i}")(x)
    return x


def _sweep(x, units, *, l2, name, seeds):
    """One ReNet layer: a Bi-LSTM along every row, then one along every column.

    Maps ``(batch, rows, cols, channels)`` to ``(batch, rows, cols, 2 * units)``;
    every output position has seen the whole image.
    """
    rows, cols = x.shape[1], x.shape[2]
    x = FoldRows(name=f"{name}_fold_h")(x)
    x = _bilstm_stack(x, units, 1, l2=l2, name=f"{name}_h", seeds=seeds, return_sequences=True)
    x = UnfoldRows(rows, name=f"{name}_unfold_h")(x)
    x = layers.Permute((2, 1, 3), name=f"{name}_to_columns")(x)
    x = FoldRows(name=f"{name}_fold_v")(x)
    x = _bilstm_stack(x, units, 1, l2=l2, name=f"{name}_v", seeds=seeds, return_sequences=True)
    x = UnfoldRows(cols, name=f"{name}_unfold_v")(x)
    return layers.Permute((2, 1, 3), name=f"{name}_to_rows")(x)


def build_row_col_bilstm(
    image_shape,
    n_classes,
    config=None,
    *,
    input_mean=0.0,
    input_variance=1.0,
    seed=None,
    name="row_col_bilstm",
    **params,
):
    """Build the hierarchical row/column bidirectional LSTM.

    A stack of ``row_layers`` Bi-LSTMs with ``row_hidden`` units per direction
    reads every image row pixel by pixel (weights shared across rows) and
    encodes it as one vector. A stack of ``col_layers`` Bi-LSTMs with
    ``col_hidden`` units per direction then reads the sequence of row
    encodings from top to bottom. Dropout and a softmax over ``n_classes``
    close the network.

    Three optional front ends change what the row level reads:

    * ``stem="conv"`` or ``"separable"``: convolution blocks
      (``stem_filters``, ``stem_stride``) turn the face into a smaller feature
      map first;
    * ``patch_size``: each time step reads a ``patch_size`` x ``patch_size``
      patch instead of one pixel;
    * ``sweep_layers``: ReNet layers, each a Bi-LSTM along every row and then
      along every column of the map, keep a 2-D feature map in which every
      position has seen the whole face (a purely recurrent feature extractor).

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)`` of one image.
    n_classes : int
        Number of output classes (at least 2).
    config : NetworkConfig or None, default=None
        The architecture; ``None`` builds it from ``params``.
    **params
        Architecture parameters by name (``row_hidden``, ``stem``, ...; see
        :class:`NetworkConfig`), overriding ``config``'s; the ones given in
        neither take :class:`~bilstm_emotion.BiLSTMFaceEmotionClassifier`'s
        defaults, and are documented and checked as its parameters.
    input_mean, input_variance : float, default=0.0 and 1.0
        Pixel statistics used by the leading :class:`keras.layers.Normalization`
        layer, so the saved model standardises its own input.
    seed : int or None, default=None
        Seeds every initializer and random layer, from a private generator:
        the same seed gives the same network whatever other threads of the
        process draw from Python's :mod:`random`. ``None`` leaves the seeds to
        Keras (drawn from :mod:`random`, see :func:`keras.utils.set_random_seed`).
    name : str, default="row_col_bilstm"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        Uncompiled model mapping ``(batch, *image_shape)`` floats to
        ``(batch, n_classes)`` probabilities.

    Examples
    --------
    >>> from bilstm_emotion.model import build_row_col_bilstm
    >>> model = build_row_col_bilstm((48, 48), 7, row_hidden=8, col_hidden=4)
    >>> model.output_shape
    (None, 7)
    >>> model = build_row_col_bilstm((48, 48), 7, row_hidden=8, col_hidden=4,
    ...                              patch_size=4, sweep_layers=1, sweep_hidden=4)
    >>> model.get_layer("unfold_rows").output.shape  # 12 rows of 4x4 patches
    (None, 12, 16)
    """
    image_shape = check_height_width(image_shape, "image_shape", channels=True)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(
            f"Expected `n_classes` to be an integer >= 2. Received: n_classes={n_classes!r}"
        )
    if config is None or params:
        config = NetworkConfig.from_params(None if config is None else asdict(config), **params)
    c = config

    inputs = keras.Input(shape=image_shape, name="image")
    x = layers.Normalization(
        mean=float(input_mean), variance=float(input_variance), name="standardize"
    )(inputs)
    if len(image_shape) == 2:
        x = layers.Reshape((*image_shape, 1), name="add_channel")(x)
    seeds = _Seeds(seed)
    x = _augmentation(
        x,
        flip=c.flip,
        shift=c.shift,
        rotation=c.rotation,
        zoom=c.zoom,
        erasing=c.erasing,
        seeds=seeds,
    )
    if c.stem is not None:
        x = _conv_stem(
            x,
            tuple(c.stem_filters),
            l2=c.l2,
            seeds=seeds,
            separable=c.stem == "separable",
            stride=c.stem_stride,
        )
    if c.patch_size > 1:
        x = Patchify(c.patch_size, name="patchify")(x)
    for i in range(c.sweep_layers):
        x = _sweep(x, c.sweep_hidden, l2=c.l2, name=f"sweep_{i}", seeds=seeds)
    rows = x.shape[1]
    x = FoldRows(name="fold_rows")(x)
    x = _bilstm_stack(x, c.row_hidden, c.row_layers, l2=c.l2, name="row", seeds=seeds)
    x = UnfoldRows(rows, name="unfold_rows")(x)
    x = _bilstm_stack(x, c.col_hidden, c.col_layers, l2=c.l2, name="col", seeds=seeds)
    x = layers.Dropout(c.dropout, seed=seeds() if c.dropout > 0 else None, name="dropout")(x)
    outputs = layers.Dense(
        n_classes,
        activation="softmax",
        kernel_initializer=seeds.glorot(),
        kernel_regularizer=keras.regularizers.L2(c.l2) if c.l2 else None,
        name="emotion",
    )(x)
    return keras.Model(inputs, outputs, name=name)
