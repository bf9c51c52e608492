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
    to_rgb,
    warn_skipped,
)
from .faces import DETECTORS, BlazeFaceDetector, LBPCascadeDetector, crop_face

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
    """Read images from paths, bytes, file objects or arrays into [0, 1] floats.

    Each input may be a path (``str`` or :class:`os.PathLike`), encoded image
    bytes, a binary file object, or an array: a 2-D gray image or a
    ``(height, width, 3|4)`` colour one. Files are decoded with Pillow (JPEG,
    PNG, BMP, GIF, TIFF, WebP, ...) and turned upright by their EXIF
    orientation (phone photos are stored rotated). Colour is converted to
    gray unless ``color=True``; 8-bit and 16-bit integers are scaled to
    [0, 1], floats must already lie there.

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
        for i, item in enumerate(_as_list(X, "images (paths, bytes, file objects or arrays)")):
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
    return to_rgb(array, _name(item, i)) if color else to_gray(array, _name(item, i))


class FaceDetector(_StatelessTransformer):
    """Find the faces of each image, align them and crop them.

    The default backend, BlazeFace full-range (MediaPipe's model, run by
    Keras 3 and shipped inside the package), finds small, turned and cut-off
    faces in real photographs; scikit-image's LBP cascade (``detector="lbp"``)
    needs nothing beyond scikit-image. Either way overlapping detections are
    merged, so each face is found once (:func:`~bilstm_emotion.faces.non_max_suppression`),
    and each crop is turned so that the eyes are level (where the detector
    gives eye landmarks) and framed as the classifier's training faces were.

    Parameters
    ----------
    detector : {"blazeface", "lbp"}, default="blazeface"
        The backend (:data:`bilstm_emotion.faces.DETECTORS`).
    margin : float, default=0.1
        Share of the box's size added on every side of the (square) crop; the
        default frames BlazeFace's boxes as FER2013's faces are framed
        (measured: see the Faces page of the docs). Parts outside the image
        repeat its edge pixels.
    align : bool, default=True
        Rotate each crop so the eyes are level (BlazeFace only: the cascade
        gives no landmarks).
    select : {"largest", "all"}, default="largest"
        Crop the largest face of each image, or every face (then the number
        of crops differs from the number of images; :meth:`detect` maps them).
    on_no_face : {"full", "skip", "raise"}, default="full"
        When no face is found: use the whole image (keeps inputs and outputs
        aligned, as a pipeline being fitted needs), leave the image out with a
        :class:`SkippedInputsWarning` listing it, or raise an error.
    min_score : float, default=0.6
        Confidence a BlazeFace detection needs.
    tiles : {"auto", "fine", "off"}, default="auto"
        BlazeFace: also search images over 384 pixels in four overlapping
        tiles, which finds faces down to about 5 % of the image's longer side;
        ``"fine"`` adds nine smaller tiles (down to about 3 %, three times
        the time); ``"off"``: one network call per image, faces from about 8 %.
    min_size : int or None, default=None
        Smallest face kept, in pixels. ``None``: every face BlazeFace finds,
        24 pixels of the searched image for the cascade (its smallest window).
    scale_factor : float, default=1.2
        Cascade only: growth of the search window from one scale to the next.
    min_neighbors : int, default=4
        Cascade only: overlapping detections a face needs to count.
    detection_size : int, default=480
        Cascade only: images whose longer side exceeds this are downscaled to
        it for the search.

    See Also
    --------
    ImageLoader : read images to feed this detector.
    FaceNormalizer : resize the crops for the classifier.
    bilstm_emotion.faces : the detectors, NMS and alignment behind this.

    Examples
    --------
    >>> from skimage import data
    >>> from bilstm_emotion.preprocessing import FaceDetector, ImageLoader
    >>> photo = ImageLoader().transform([data.astronaut()])
    >>> faces = FaceDetector().detect(photo)[0]
    >>> len(faces), faces[0].height > 50, faces[0].score > 0.9
    (1, True, True)
    """

    _parameter_constraints: dict = {
        "detector": [StrOptions(set(DETECTORS))],
        "margin": [Interval(Real, 0, None, closed="left")],
        "align": ["boolean"],
        "select": [StrOptions({"largest", "all"})],
        "on_no_face": [StrOptions({"full", "skip", "raise"})],
        "min_score": [Interval(Real, 0, 1, closed="both")],
        "tiles": [StrOptions({"auto", "fine", "off"})],
        "min_size": [Interval(Integral, 0, None, closed="left"), None],
        "scale_factor": [Interval(Real, 1, None, closed="neither")],
        "min_neighbors": [Interval(Integral, 1, None, closed="left")],
        "detection_size": [Interval(Integral, 24, None, closed="left")],
    }

    def __init__(
        self,
        *,
        detector="blazeface",
        margin=0.1,
        align=True,
        select="largest",
        on_no_face="full",
        min_score=0.6,
        tiles="auto",
        min_size=None,
        scale_factor=1.2,
        min_neighbors=4,
        detection_size=480,
    ):
        self.detector = detector
        self.margin = margin
        self.align = align
        self.select = select
        self.on_no_face = on_no_face
        self.min_score = min_score
        self.tiles = tiles
        self.min_size = min_size
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.detection_size = detection_size

    def backend(self):
        """The :class:`~bilstm_emotion.faces.FaceFinder` these parameters describe."""
        self._validate_params()
        if self.detector == "lbp":
            return LBPCascadeDetector(
                min_size=24 if self.min_size is None else self.min_size,
                scale_factor=self.scale_factor,
                min_neighbors=self.min_neighbors,
                detection_size=self.detection_size,
            )
        return BlazeFaceDetector(
            min_score=self.min_score, min_size=self.min_size or 0, tiles=self.tiles
        )

    def detect(self, X):
        """The faces of each image, largest first.

        Parameters
        ----------
        X : list of array-like of shape (height, width) or (height, width, 3)
            Gray images (as made by :class:`ImageLoader`) or colour ones
            (BlazeFace finds a few more faces in colour).

        Returns
        -------
        faces : list of list of Face
            Per image, one :class:`~bilstm_emotion.faces.Face` per face (box
            in pixels of that image, score, landmarks; ``face["row"]`` and
            so on read like the box dicts of earlier versions), sorted by area
            (largest first); an empty list where no face was found.
        """
        finder = self.backend()
        return [self._sorted(finder.detect(image)) for image in _arrays(X)]

    def detect_near(self, image, face):
        """Find ``face``, seen in an earlier video frame, again near where it was.

        Parameters
        ----------
        image : ndarray of shape (height, width) or (height, width, 3)
            The new frame.
        face : Face or dict
            The face's box in the earlier frame.

        Returns
        -------
        face : Face or None
        """
        return self.backend().detect_near(image, face)

    @staticmethod
    def _sorted(faces):
        return sorted(faces, key=lambda f: f["height"] * f["width"], reverse=True)

    def crop(self, image, face):
        """Cut ``face`` out of ``image``: aligned, squared and grown by ``margin``.

        Parameters
        ----------
        image : ndarray of shape (height, width) or (height, width, 3)
            The image the face was found in.
        face : Face or dict
            Its box (and landmarks, for alignment).

        Returns
        -------
        crop : ndarray
            Same dtype and channels as ``image``.
        """
        self._validate_params()
        return crop_face(image, face, margin=self.margin, align=self.align)

    def transform(self, X):
        """Crop the face(s) of every image.

        Parameters
        ----------
        X : list of array-like of shape (height, width) or (height, width, 3)
            Gray images (as made by :class:`ImageLoader`), or colour ones.

        Returns
        -------
        faces : list of ndarray
            Float32 gray crops in [0, 1] (whole images where no face was found
            and ``on_no_face="full"``).
        """
        finder = self.backend()
        faces, skipped = [], []
        for i, image in enumerate(_arrays(X)):
            gray = to_gray(image, f"image {i}")
            boxes = self._sorted(finder.detect(image))
            if not boxes:
                if self.on_no_face == "raise":
                    raise ValueError(
                        f"Expected a face in image {i}. Received: none found "
                        f"in {gray.shape[1]}x{gray.shape[0]} pixels"
                    )
                if self.on_no_face == "skip":
                    skipped.append((i, f"image {i}", "no face found"))
                else:
                    faces.append(gray)
                continue
            for box in boxes if self.select == "all" else boxes[:1]:
                faces.append(crop_face(gray, box, margin=self.margin, align=self.align))
        warn_skipped(skipped, "images without a face")
        return faces


def _arrays(X):
    """Every image of ``X`` as float32 in [0, 1]: gray 2-D, colour ``(h, w, 3)`` RGB."""
    return [to_rgb(img, f"image {i}") for i, img in enumerate(_as_list(X, "images"))]


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
