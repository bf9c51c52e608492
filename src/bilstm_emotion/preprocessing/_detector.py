"""The face detector transformer (re-exported by :mod:`bilstm_emotion.preprocessing`)."""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ..core._errors import warn_skipped
from ..core._pixels import to_gray, to_rgb
from ..faces._align import crop_face
from ..faces._blazeface import BlazeFaceDetector
from ..faces._cascade import LBPCascadeDetector
from ..faces._detectors import DETECTORS
from ._base import StatelessTransformer, as_list

__all__ = ["FaceDetector"]


class FaceDetector(StatelessTransformer):
    """Find the faces of each image, align them and crop them.

    The default backend, BlazeFace (MediaPipe's full-range and short-range
    models, run by Keras 3 and shipped inside the package), finds small,
    turned and cut-off faces in real photographs, and faces that fill the
    whole frame; scikit-image's LBP cascade (``detector="lbp"``)
    needs nothing beyond scikit-image. Either way overlapping detections are
    merged, so each face is found once (:func:`~bilstm_emotion.faces.non_max_suppression`),
    and each crop is turned so that the eyes are level (where the detector
    gives eye landmarks) and framed as the classifier's training faces were.

    Parameters
    ----------
    detector : {"blazeface", "lbp"}, default="blazeface"
        The backend (:data:`bilstm_emotion.faces.DETECTORS`).
    margin : float, default=0.05
        Share of the box's size added on every side of the (square) crop; the
        default frames BlazeFace's boxes as FER2013's faces are framed
        (measured: see the Faces page of the docs). Parts outside the image
        repeat its edge pixels.
    align : bool, default=True
        Rotate tilted faces upright, so the eyes are level (BlazeFace only:
        the cascade gives no landmarks).
    max_tilt : float, default=15.0
        Faces tilted by up to this many degrees are cropped as they are:
        FER2013's faces are not aligned, and the shipped models score about
        2 points lower on upright faces that were rotated, while a face
        tilted by 30 degrees scores about 15 points higher rotated upright
        (measured: Faces page of the docs).
    select : {"largest", "all"}, default="largest"
        Crop the largest face of each image, or every face (then the number
        of crops differs from the number of images; :meth:`detect` maps them).
    on_no_face : {"full", "skip", "raise"}, default="full"
        When no face is found: use the whole image (keeps inputs and outputs
        aligned, as a pipeline being fitted needs), leave the image out with a
        :class:`~bilstm_emotion.preprocessing.SkippedInputsWarning` listing it, or raise an error.
    min_score : float, default=0.6
        Confidence a BlazeFace detection needs (its full-range model).
    tiles : {"auto", "fine", "off"}, default="auto"
        BlazeFace: also search images over 384 pixels in four overlapping
        tiles, which finds faces down to about 5 % of the image's longer side;
        ``"fine"`` adds nine smaller tiles (down to about 3 %, three times
        the time); ``"off"``: one network call per image, faces from about 8 %.
    short_range : bool, default=True
        BlazeFace: also search the whole image with the short-range model,
        which finds faces that fill most of the frame or are cut by its edges
        (close-ups, profile pictures, selfies); ``False`` leaves them unfound.
    short_range_min_score : float, default=0.5
        Confidence a detection of BlazeFace's short-range model needs.
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
    bilstm_emotion.preprocessing.ImageLoader : read images to feed this detector.
    bilstm_emotion.preprocessing.FaceNormalizer : resize the crops for the classifier.
    bilstm_emotion.faces : the detectors, NMS and alignment behind this.

    Examples
    --------
    >>> from skimage import data
    >>> from bilstm_emotion.preprocessing import FaceDetector, ImageLoader
    >>> photo = ImageLoader().transform([data.astronaut()])
    >>> faces = FaceDetector().detect(photo)[0]
    >>> len(faces), faces[0].height > 50, 0.5 < faces[0].score <= 1
    (1, True, True)
    """

    _parameter_constraints: dict = {
        "detector": [StrOptions(set(DETECTORS))],
        "margin": [Interval(Real, 0, None, closed="left")],
        "align": ["boolean"],
        "max_tilt": [Interval(Real, 0, 180, closed="both")],
        "select": [StrOptions({"largest", "all"})],
        "on_no_face": [StrOptions({"full", "skip", "raise"})],
        "min_score": [Interval(Real, 0, 1, closed="both")],
        "tiles": [StrOptions({"auto", "fine", "off"})],
        "short_range": ["boolean"],
        "short_range_min_score": [Interval(Real, 0, 1, closed="both")],
        "min_size": [Interval(Integral, 0, None, closed="left"), None],
        "scale_factor": [Interval(Real, 1, None, closed="neither")],
        "min_neighbors": [Interval(Integral, 1, None, closed="left")],
        "detection_size": [Interval(Integral, 24, None, closed="left")],
    }

    def __init__(
        self,
        *,
        detector="blazeface",
        margin=0.05,
        align=True,
        max_tilt=15.0,
        select="largest",
        on_no_face="full",
        min_score=0.6,
        tiles="auto",
        short_range=True,
        short_range_min_score=0.5,
        min_size=None,
        scale_factor=1.2,
        min_neighbors=4,
        detection_size=480,
    ):
        self.detector = detector
        self.margin = margin
        self.align = align
        self.max_tilt = max_tilt
        self.select = select
        self.on_no_face = on_no_face
        self.min_score = min_score
        self.tiles = tiles
        self.short_range = short_range
        self.short_range_min_score = short_range_min_score
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
            min_score=self.min_score,
            min_size=self.min_size or 0,
            tiles=self.tiles,
            short_range=self.short_range,
            short_range_min_score=self.short_range_min_score,
        )

    def detect(self, X):
        """The faces of each image, largest first.

        Parameters
        ----------
        X : list of array-like of shape (height, width) or (height, width, 3)
            Gray images (as made by :class:`~bilstm_emotion.preprocessing.ImageLoader`) or
            colour ones (BlazeFace finds a few more faces in colour).

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
        return crop_face(image, face, margin=self.margin, align=self.align, max_tilt=self.max_tilt)

    def transform(self, X):
        """Crop the face(s) of every image.

        Parameters
        ----------
        X : list of array-like of shape (height, width) or (height, width, 3)
            Gray images (as made by :class:`~bilstm_emotion.preprocessing.ImageLoader`), or
            colour ones.

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
                faces.append(self.crop(gray, box))
        warn_skipped(skipped, "images without a face")
        return faces


def _arrays(X):
    """Every image of ``X`` as float32 in [0, 1]: gray 2-D, colour ``(h, w, 3)`` RGB."""
    return [to_rgb(img, f"image {i}") for i, img in enumerate(as_list(X, "images"))]
