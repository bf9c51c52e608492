"""ImageLoader and FaceNormalizer: the steps before and after face detection."""

import os

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ..core._checks import check_height_width
from ..core._errors import (
    ImageReadError,
    warn_skipped,
)
from ..core._pixels import to_gray, to_rgb
from ..datasets._io import (
    decode_image,
    read_image_file,
)
from ..datasets._remote import is_url, read_url
from ._base import StatelessTransformer, as_list, gray_images

__all__ = ["FaceNormalizer", "ImageLoader"]


class ImageLoader(StatelessTransformer):
    """Read images from paths, bytes, file objects or arrays into [0, 1] floats.

    Each input may be a path (``str`` or :class:`os.PathLike`), an fsspec URL
    (``s3://bucket/a.jpg``, ``gs://...``, ``file://...``: needs fsspec and the
    protocol's filesystem package), encoded image
    bytes, a binary file object, or an array: a 2-D gray image or a
    ``(height, width, 3|4)`` colour one. Files are decoded with Pillow (JPEG,
    PNG, BMP, GIF, TIFF, WebP, ...) and turned upright by their EXIF
    orientation (phone photos are stored rotated). Colour is converted to
    gray unless ``color=True``; 8-bit and 16-bit integers are scaled to
    [0, 1], floats must already lie there.

    Limits, for memory: a file larger than :data:`MAX_IMAGE_BYTES` or an
    image of more than :data:`MAX_IMAGE_PIXELS` pixels is refused (an
    :class:`ImageReadError` naming it); a photo longer than
    :data:`MAX_IMAGE_SIDE` on a side is decoded at a reduced size, that
    side scaled to it (JPEGs straight at 1/2, 1/4 or 1/8 of their size, so
    even 150-million-pixel ones fit). Of an animated GIF or a multi-page
    TIFF the first frame is read, with a :class:`MultiFrameWarning`.

    Parameters
    ----------
    on_error : {"raise", "skip"}, default="raise"
        A missing, empty, truncated or non-image input raises an error that
        names it; with ``"skip"`` it is left out and a
        :class:`SkippedInputsWarning` lists every skipped input (its
        ``skipped`` attribute holds ``(index, name, reason)``). Skipping
        changes the number of images, so use it for prediction, not inside a
        pipeline that is being fitted with labels.
    color : bool, default=False
        Keep colour images as ``(height, width, 3)`` RGB (transparency blended
        onto white; gray images stay 2-D). The face detector finds a few more
        faces in colour; the classifier takes gray faces.

    See Also
    --------
    FaceDetector : find and crop the face in each image.
    FaceNormalizer : resize and scale faces for the classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from bilstm_emotion.preprocessing import ImageLoader
    >>> rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    >>> [img.shape for img in ImageLoader().transform([rgb, rgb[..., 0]])]
    [(4, 6), (4, 6)]
    >>> ImageLoader(color=True).transform([rgb])[0].shape
    (4, 6, 3)
    """

    _parameter_constraints: dict = {
        "on_error": [StrOptions({"raise", "skip"})],
        "color": ["boolean"],
    }

    def __init__(self, *, on_error="raise", color=False):
        self.on_error = on_error
        self.color = color

    def transform(self, X):
        """Load every input.

        Parameters
        ----------
        X : list of (str, path-like, bytes, file object or array)
            The images.

        Returns
        -------
        images : list of ndarray of shape (height, width) or (height, width, 3)
            Float32 images in [0, 1] (gray, or RGB where ``color`` and the
            input has colour), in input order (without skipped inputs).
        """
        self._validate_params()
        images, skipped = [], []
        for i, item in enumerate(as_list(X, "images (paths, bytes, file objects or arrays)")):
            try:
                images.append(_load(item, i, self.color))
            except (ImageReadError, FileNotFoundError) as exc:
                if self.on_error == "raise":
                    raise
                skipped.append((i, _name(item, i), str(exc)))
        warn_skipped(skipped, "inputs")
        return images


def _name(item, i):
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    return getattr(item, "name", None) or f"input {i} ({type(item).__name__})"


def _load(item, i, color=False):
    if is_url(item):
        array = read_url(item)
    elif isinstance(item, (str, os.PathLike)):
        array = read_image_file(item)
    elif isinstance(item, (bytes, bytearray, memoryview)):
        array = decode_image(bytes(item), _name(item, i))
    elif hasattr(item, "read"):
        array = decode_image(item.read(), _name(item, i))
    else:
        try:
            array = np.asarray(item)
        except (TypeError, ValueError) as exc:
            raise ImageReadError(f"Cannot read {_name(item, i)}: {exc}") from None
        if array.dtype == object or array.dtype.kind in "USV":
            raise ImageReadError(
                f"Expected a path, bytes, a file object or a numeric array for input {i}. "
                f"Received: {type(item).__name__}"
            )
    return to_rgb(array, _name(item, i)) if color else to_gray(array, _name(item, i))


class FaceNormalizer(StatelessTransformer):
    """Resize faces to one shape, scale them to [0, 1], optionally equalise.

    Parameters
    ----------
    output_shape : tuple of (int, int), default=(48, 48)
        ``(height, width)`` of the output faces (FER2013's is 48x48).
    equalize : {"hist", "adaptive"} or None, default=None
        Histogram equalisation (:func:`skimage.exposure.equalize_hist`) or
        its adaptive form (CLAHE) against uneven lighting.
    standardize : bool, default=False
        Give every face zero mean and unit variance (the output then leaves
        [0, 1]).

    See Also
    --------
    FaceDetector : crop faces before normalising them.

    Examples
    --------
    >>> import numpy as np
    >>> from bilstm_emotion.preprocessing import FaceNormalizer
    >>> faces = [np.full((100, 80), 200, dtype=np.uint8), np.zeros((10, 10))]
    >>> out = FaceNormalizer().transform(faces)
    >>> out.shape, out.dtype, bool(np.isclose(out[0].max(), 200 / 255))
    ((2, 48, 48), dtype('float32'), True)
    """

    _parameter_constraints: dict = {
        "output_shape": [tuple],
        "equalize": [StrOptions({"hist", "adaptive"}), None],
        "standardize": ["boolean"],
    }

    def __init__(self, *, output_shape=(48, 48), equalize=None, standardize=False):
        self.output_shape = output_shape
        self.equalize = equalize
        self.standardize = standardize

    def transform(self, X):
        """Normalise every face.

        Parameters
        ----------
        X : list of array-like, or array of shape (n_images, height, width)
            Gray (or colour) faces of any sizes, integer or [0, 1] float pixels.

        Returns
        -------
        faces : ndarray of shape (n_images, height, width)
            Float32 faces, ``(height, width) = output_shape``.
        """
        self._validate_params()
        shape = check_height_width(self.output_shape, "output_shape")
        faces = [self._one(face, shape) for face in gray_images(X)]
        if not faces:
            return np.empty((0, *shape), dtype=np.float32)
        return np.stack(faces)

    def _one(self, face, shape):
        from skimage import exposure
        from skimage.transform import resize

        if face.shape != shape:
            face = resize(face, shape, anti_aliasing=face.shape[0] > shape[0])
        if self.equalize == "hist" and np.ptp(face) > 0:
            face = exposure.equalize_hist(face)
        elif self.equalize == "adaptive" and np.ptp(face) > 0:
            face = exposure.equalize_adapthist(face)
        face = np.clip(face, 0, 1)
        if self.standardize:
            std = face.std()
            face = (face - face.mean()) / (std if std > 0 else 1.0)
        return face.astype(np.float32)
