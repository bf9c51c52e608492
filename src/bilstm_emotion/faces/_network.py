"""The BlazeFace network in Keras 3: its one custom layer and the shipped model.

Imported only when a network runs, so reading images and the LBP cascade
never load Keras. The weights ship as a ``.keras`` archive (layer configs and
arrays, no code), loaded with ``safe_mode=True``; ``tools/convert_blazeface.py``
made it from MediaPipe's ``face_detection_full_range.tflite``.
"""

from functools import lru_cache
from importlib.resources import files

from .._backend import choose_backend

choose_backend()  # before the first `import keras`

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

__all__ = ["BLAZEFACE_FILE", "ChannelPad", "load_blazeface"]

#: The shipped BlazeFace full-range model (192x192 RGB in [-1, 1] -> 2,304 anchors).
BLAZEFACE_FILE = "blazeface_full_range.keras"


@keras.saving.register_keras_serializable(package="bilstm_emotion")
class ChannelPad(layers.Layer):
    """Append ``channels`` zero channels: BlazeFace's residual shortcut after a
    stride-2 block, where the block widens the feature map."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)

    def call(self, inputs):
        return ops.pad(inputs, [[0, 0], [0, 0], [0, 0], [0, self.channels]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


@lru_cache(maxsize=1)
def load_blazeface():
    """The shipped BlazeFace network (loaded once per process, safe mode)."""
    path = files("bilstm_emotion.faces") / "weights" / BLAZEFACE_FILE
    return keras.saving.load_model(str(path), compile=False, safe_mode=True)
