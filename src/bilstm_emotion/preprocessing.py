"""From files to normalised faces: load, detect and crop, normalise.

Each step is a stateless scikit-learn transformer, so

>>> from sklearn.pipeline import make_pipeline
>>> from bilstm_emotion import BiLSTMFaceEmotionClassifier
>>> from bilstm_emotion.preprocessing import FaceDetector, FaceNormalizer, ImageLoader
>>> pipe = make_pipeline(ImageLoader(), FaceDetector(), FaceNormalizer(),
...                      BiLSTMFaceEmotionClassifier())

fits and predicts straight from a list of image paths.
"""

import os
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._io import (
    ImageReadError,
    SkippedInputsWarning,
    decode_image,
    read_image_file,
    to_gray,
    warn_skipped,
)

__all__ = [
    "FaceDetector",
    "FaceNormalizer",
    "ImageLoader",
    "ImageReadError",
    "SkippedInputsWarning",
]


class _StatelessTransformer(TransformerMixin, BaseEstimator):
    """Shared by the transformers here: ``fit`` only validates the parameters."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters; nothing is learned from ``X``.

        Parameters
        ----------
        X : list of images
            Ignored.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer.
        """
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def _as_list(X, what):
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(
            f"Expected a list of {what}. Received: a single {type(X).__name__} {X!r:.80}; "
            "wrap it in a list"
        )
    if isinstance(X, np.ndarray) and X.ndim in (2,) and X.dtype.kind not in "OUS":
        raise ValueError(
            f"Expected a list of {what} or an (n_images, height, width) array. Received: a "
            f"2-D array of shape {X.shape}; wrap one image as X[np.newaxis]"
        )
    return list(X)


def _gray_images(X):
    """Every image of ``X`` as a float32 gray array in [0, 1]."""
    return [to_gray(img, f"image {i}") for i, img in enumerate(_as_list(X, "images"))]


class ImageLoader(_StatelessTransformer):
    """Read images from paths, bytes, file objects or arrays into gray [0, 1] floats.

    Each input may be a path (``str`` or :class:`os.PathLike`), encoded image
    bytes, a binary file object, or an array: a 2-D gray image or a
    ``(height, width, 3|4)`` colour one. Files are decoded with Pillow (JPEG,
    PNG, BMP, GIF, TIFF, WebP, ...). Colour is converted to gray; 8-bit and
    16-bit integers are scaled to [0, 1], floats must already lie there.

    Parameters
    ----------
    on_error : {"raise", "skip"}, default="raise"
        A missing, empty, truncated or non-image input raises an error that
        names it; with ``"skip"`` it is left out and a
        :class:`SkippedInputsWarning` lists every skipped input (its
        ``skipped`` attribute holds ``(index, name, reason)``). Skipping
        changes the number of images, so use it for prediction, not inside a
        pipeline that is being fitted with labels.

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
    """

    _parameter_constraints: dict = {"on_error": [StrOptions({"raise", "skip"})]}

    def __init__(self, *, on_error="raise"):
        self.on_error = on_error

    def transform(self, X):
        """Load every input.

        Parameters
        ----------
        X : list of (str, path-like, bytes, file object or array)
            The images.

        Returns
        -------
        images : list of ndarray of shape (height, width)
            Float32 gray images in [0, 1], in input order (without skipped
            inputs).
        """
        self._validate_params()
        images, skipped = [], []
        for i, item in enumerate(_as_list(X, "images (paths, bytes, file objects or arrays)")):
            try:
                images.append(_load(item, i))
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


def _load(item, i):
    if isinstance(item, (str, os.PathLike)):
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
    return to_gray(array, _name(item, i))


@lru_cache(maxsize=1)
def _cascade():
    from skimage import data
    from skimage.feature import Cascade

    return Cascade(data.lbp_frontal_face_cascade_filename())


class FaceDetector(_StatelessTransformer):
    """Find faces with scikit-image's LBP frontal-face cascade and crop them.

    The cascade ships inside scikit-image, so detection works offline. Large
    images are searched at a reduced size (``detection_size``) and the boxes
    mapped back, so a 4000x3000 photo costs about what a 640x480 one does.

    Parameters
    ----------
    margin : float, default=0.2
        Share of the box's height and width added on every side of the crop
        (clipped at the image border).
    select : {"largest", "all"}, default="largest"
        Crop the largest face of each image, or every face (then the number
        of crops differs from the number of images; :meth:`detect` maps them).
    on_no_face : {"full", "skip", "raise"}, default="full"
        When no face is found: use the whole image (keeps inputs and outputs
        aligned, as a pipeline being fitted needs), leave the image out with a
        :class:`SkippedInputsWarning` listing it, or raise an error.
    min_size : int, default=24
        Smallest face searched for, in pixels of the searched image.
    scale_factor : float, default=1.2
        Growth of the search window from one scale to the next.
    min_neighbors : int, default=4
        Overlapping detections a face needs to count (more: fewer false faces).
    detection_size : int, default=480
        Images whose longer side exceeds this are downscaled to it for the search.

    See Also
    --------
    ImageLoader : read images to feed this detector.
    FaceNormalizer : resize the crops for the classifier.

    Examples
    --------
    >>> from skimage import data
    >>> from bilstm_emotion.preprocessing import FaceDetector, ImageLoader
    >>> photo = ImageLoader().transform([data.astronaut()])
    >>> boxes = FaceDetector().detect(photo)[0]
    >>> len(boxes) >= 1, boxes[0]["height"] > 50
    (True, True)
    """

    _parameter_constraints: dict = {
        "margin": [Interval(Real, 0, None, closed="left")],
        "select": [StrOptions({"largest", "all"})],
        "on_no_face": [StrOptions({"full", "skip", "raise"})],
        "min_size": [Interval(Integral, 4, None, closed="left")],
        "scale_factor": [Interval(Real, 1, None, closed="neither")],
        "min_neighbors": [Interval(Integral, 1, None, closed="left")],
        "detection_size": [Interval(Integral, 24, None, closed="left")],
    }

    def __init__(
        self,
        *,
        margin=0.2,
        select="largest",
        on_no_face="full",
        min_size=24,
        scale_factor=1.2,
        min_neighbors=4,
        detection_size=480,
    ):
        self.margin = margin
        self.select = select
        self.on_no_face = on_no_face
        self.min_size = min_size
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.detection_size = detection_size

    def detect(self, X):
        """Boxes of the faces in each image, largest first.

        Parameters
        ----------
        X : list of array-like of shape (height, width)
            Gray images (as made by :class:`ImageLoader`), or colour ones.

        Returns
        -------
        boxes : list of list of dict
            Per image, one ``{"row", "col", "height", "width"}`` dict per face,
            in pixels of that image, sorted by area (largest first); an empty
            list where no face was found.
        """
        self._validate_params()
        return [self._detect_one(image) for image in _gray_images(X)]

    def _detect_one(self, image):
        from skimage.transform import rescale

        scale = min(1.0, self.detection_size / max(image.shape))
        searched = rescale(image, scale, anti_aliasing=True) if scale < 1 else image
        if min(searched.shape) < self.min_size:
            return []
        boxes = self._search(searched, scale, self.min_size, searched.shape)
        return sorted(boxes, key=lambda b: b["height"] * b["width"], reverse=True)

    def _search(self, searched, scale, min_size, max_size, offset=(0, 0)):
        """Run the cascade on ``searched`` (the image scaled by ``scale``, cut at
        ``offset``) and return boxes in the original image's pixels."""
        found = _cascade().detect_multi_scale(
            img=searched,
            scale_factor=self.scale_factor,
            step_ratio=1,
            min_size=(min_size, min_size),
            max_size=tuple(max_size),
            min_neighbor_number=self.min_neighbors,
        )
        return [
            {
                "row": offset[0] + round(d["r"] / scale),
                "col": offset[1] + round(d["c"] / scale),
                "height": round(d["height"] / scale),
                "width": round(d["width"] / scale),
            }
            for d in found
        ]

    def transform(self, X):
        """Crop the face(s) of every image.

        Parameters
        ----------
        X : list of array-like of shape (height, width)
            Gray images (as made by :class:`ImageLoader`), or colour ones.

        Returns
        -------
        faces : list of ndarray
            Float32 gray crops in [0, 1] (whole images where no face was found
            and ``on_no_face="full"``).
        """
        self._validate_params()
        images = _gray_images(X)
        faces, skipped = [], []
        for i, (image, boxes) in enumerate(
            zip(images, map(self._detect_one, images), strict=True)
        ):
            if not boxes:
                if self.on_no_face == "raise":
                    raise ValueError(
                        f"Expected a face in image {i}. Received: none found "
                        f"in {image.shape[1]}x{image.shape[0]} pixels"
                    )
                if self.on_no_face == "skip":
                    skipped.append((i, f"image {i}", "no face found"))
                else:
                    faces.append(image)
                continue
            for box in boxes if self.select == "all" else boxes[:1]:
                faces.append(self._crop(image, box))
        warn_skipped(skipped, "images without a face")
        return faces

    def _crop(self, image, box):
        dr, dc = round(box["height"] * self.margin), round(box["width"] * self.margin)
        top, left = max(0, box["row"] - dr), max(0, box["col"] - dc)
        bottom = min(image.shape[0], box["row"] + box["height"] + dr)
        right = min(image.shape[1], box["col"] + box["width"] + dc)
        return image[top:bottom, left:right]


class FaceNormalizer(_StatelessTransformer):
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
        shape = tuple(self.output_shape)
        if len(shape) != 2 or not all(isinstance(d, Integral) and d >= 1 for d in shape):
            raise ValueError(
                "Expected `output_shape` to be (height, width) of positive "
                f"integers. Received: output_shape={self.output_shape!r}"
            )
        faces = [self._one(face, shape) for face in _gray_images(X)]
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
