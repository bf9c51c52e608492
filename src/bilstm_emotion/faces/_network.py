"""The BlazeFace network in Keras 3: its one custom layer and the shipped model.

The port the detector's ONNX graphs are exported from (``tools/export_onnx_models.py``)
and checked against; the detector itself runs the graphs (:mod:`._blazeface_graphs`),
so detecting never loads Keras. The weights ship as a ``.keras`` archive (layer configs and
arrays, no code), loaded with ``safe_mode=True``; ``tools/convert_blazeface.py``
made them from MediaPipe's ``face_detection_full_range.tflite`` and
``face_detection_short_range.tflite``.
"""

from functools import lru_cache
from importlib.resources import files

from ..core._backend import load_keras

load_keras()  # picks a backend; keeps its start-up lines off the terminal

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

__all__ = ["ChannelPad", "blazeface_file", "load_blazeface"]


def blazeface_file(model):
    """The shipped archive of BlazeFace ``model`` ("full_range": 192x192 RGB in [-1, 1] ->
    2,304 anchors; "short_range": 128x128 -> 896 anchors)."""
    return files("bilstm_emotion.faces") / "weights" / f"blazeface_{model}.keras"


@keras.saving.register_keras_serializable(package="bilstm_emotion")
class ChannelPad(layers.Layer):
    """Append ``channels`` zero channels: BlazeFace's residual shortcut after a
    stride-2 block, where the block widens the feature map.

    The zeros are concatenated rather than padded on: with oneDNN on (TensorFlow's
    default), a ``Pad`` feeding the ``Add`` that follows a ``Conv2D`` crashes the
    process (segmentation fault, TensorFlow 2.21).
    """

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)

    def call(self, inputs):
        zeros = ops.repeat(ops.zeros_like(inputs[..., :1]), self.channels, axis=-1)
        return ops.concatenate([inputs, zeros], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


@lru_cache(maxsize=6)
def load_blazeface(size=192, *, model="full_range"):
    """The shipped BlazeFace ``model`` for ``size`` x ``size`` inputs (once per process).

    The archive is loaded in safe mode at MediaPipe's input size (192 for the
    full-range model, 128 for the short-range one); the networks are fully
    convolutional, so another size (a multiple of 16) gets the same layers and
    weights on that input, and anchor grids scaled with it.
    """
    if size % 16:
        raise ValueError(f"Expected a BlazeFace input size divisible by 16. Received: {size}")
    base = _load_archive(model)
    if base.input_shape[1] == size:
        return base
    config = base.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [None, size, size, 3]
    network = keras.Model.from_config(config)
    network.set_weights(base.get_weights())
    return _unjitted(network)


def _unjitted(network):
    """``network``, set to predict without XLA compilation on every backend.

    JAX compiles ``predict_on_batch`` with XLA by default, and XLA (jax 0.10.2, CPU)
    computed the short-range model's second block wrongly (a max-pool after a
    convolution, ReLU and add: scores off by up to 40 in logits), where the same network
    run op by op, and TensorFlow and PyTorch (which do not compile it), agree within
    2e-5. TensorFlow and PyTorch already predict this way: nothing changes for them.
    """
    network.compile(jit_compile=False)
    return network


@lru_cache(maxsize=2)
def _load_archive(model):
    path = blazeface_file(model)
    if not path.is_file():
        shipped = sorted(
            p.name[len("blazeface_") : -len(".keras")]
            for p in path.parent.iterdir()
            if p.name.endswith(".keras")
        )
        raise ValueError(f"Expected a BlazeFace model in {shipped}. Received: model={model!r}")
    return _unjitted(keras.saving.load_model(str(path), compile=False, safe_mode=True))
