"""From files to normalised faces: load, detect and crop, normalise.

Each step is a stateless scikit-learn transformer, so

>>> from sklearn.pipeline import make_pipeline
>>> from bilstm_emotion import BiLSTMFaceEmotionClassifier
>>> from bilstm_emotion.preprocessing import FaceDetector, FaceNormalizer, ImageLoader
>>> pipe = make_pipeline(ImageLoader(), FaceDetector(), FaceNormalizer(),
...                      BiLSTMFaceEmotionClassifier())

fits and predicts straight from a list of image paths.
"""

from ..core._errors import (
    ImageReadError,
    MultiFrameWarning,
    PixelRangeWarning,
    SkippedInputsWarning,
)
from ..datasets._io import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE
from ._detector import FaceDetector
from ._images import FaceNormalizer, ImageLoader

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "FaceDetector",
    "FaceNormalizer",
    "ImageLoader",
    "ImageReadError",
    "MultiFrameWarning",
    "PixelRangeWarning",
    "SkippedInputsWarning",
]
