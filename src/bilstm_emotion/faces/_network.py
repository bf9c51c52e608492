"""The BlazeFace network in Keras 3: its one custom layer and the shipped model.

Imported only when a network runs, so reading images and the LBP cascade
never load Keras. The weights ship as a ``.keras`` archive (layer configs and
arrays, no code), loaded with ``safe_mode=True``; ``tools/convert_blazeface.py``
made it from MediaPipe's ``face_detection_full_range.tflite``.
"""

from functools import lru_cache
from importlib.resources import files

from ..core._backend import choose_backend

choose_backend()  # before the first `import keras`

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

__all__ = ["BLAZEFACE_FILE", "ChannelPad", "load_blazeface"]

#: The shipped BlazeFace full-range model: 192x192 RGB in [-1, 1] -> 2,304 anchors.
BLAZEFACE_FILE = "blazeface_full_range.keras"


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


@lru_cache(maxsize=4)
def load_blazeface(size=192):
    """The shipped BlazeFace network for ``size`` x ``size`` inputs (once per process).

    The archive is loaded in safe mode at MediaPipe's 192x192; the network is
    fully convolutional, so another size (a multiple of 16) gets the same layers
    and weights on that input, and an anchor grid of ``size / 4`` cells a side.
    """
    if size == 192:
        path = files("bilstm_emotion.faces") / "weights" / BLAZEFACE_FILE
        return keras.saving.load_model(str(path), compile=False, safe_mode=True)
    if size % 16:
        raise ValueError(f"Expected a BlazeFace input size divisible by 16. Received: {size}")
    base = load_blazeface(192)
    config = base.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [None, size, size, 3]
    model = keras.Model.from_config(config)
    model.set_weights(base.get_weights())
    return model
