"""The detect-and-classify pipeline (photos and video frames alike) and its records."""

import glob
import os
from pathlib import Path

import numpy as np

from ..core._errors import ImageReadError
from ..core._pixels import to_gray, to_rgb_uint8
from ..datasets import _io
from ..datasets._io import image_size, is_image_name, is_loop
from ..datasets._remote import expand_url, is_url, open_url
from ..faces import BOX_FIELDS
from ..preprocessing._detector import FaceDetector
from ..preprocessing._images import FaceNormalizer, ImageLoader


def expand_paths(paths):
    """Image files named by ``paths``: files, folders (recursive) and globs.

    Parameters
    ----------
    paths : list of str or path-like
        Files are kept as given (whatever their extension, so that a wrong
        file gets a clear read error later); folders contribute every image
        file below them, sorted; glob patterns (``*``, ``?``, ``[``) their
        sorted matches. fsspec URLs (``s3://bucket/posts/``, ``gs://...``,
        ``file://...``) are listed the same way through fsspec, and stay URLs.

    Returns
    -------
    files : list of str
        In the order given, without duplicates. What a folder holds but
        cannot be read is listed too, so that it gets its own error record
        instead of vanishing: a sub-folder that cannot be listed, a symbolic
        link to nothing, a symbolic link loop (those with an image name).

    Raises
    ------
    FileNotFoundError
        Naming the first path that does not exist or the first pattern that
        matches nothing.
    """
    files = []
    for path in paths:
        path = os.fspath(path)
        if is_url(path):
            found = expand_url(path)
        elif Path(path).is_dir():
            found = _folder_images(path)
        elif Path(path).exists() or Path(path).is_symlink():
            found = [path]
        elif glob.has_magic(path):
            found = sorted(glob.glob(path, recursive=True))
            if not found:
                raise FileNotFoundError(f"No file matches the pattern {path!r}")
        else:
            raise FileNotFoundError(f"No such file or folder: {path}")
        files.extend(found)
    return list(dict.fromkeys(files))


def _folder_images(folder):
    """Image files below ``folder``, sorted, plus the entries that cannot be read.

    Links to folders are followed, once each; one that leads back to a folder
    above it (a loop) is listed, as is a sub-folder that cannot be listed.
    """
    found = []
    seen = {os.path.realpath(folder)}

    def unreadable(error):  # a sub-folder os.walk could not list
        found.append(Path(error.filename).as_posix())

    for root, dirs, names in os.walk(folder, onerror=unreadable, followlinks=True):
        for name in names:
            entry = Path(root) / name
            if is_image_name(entry.as_posix()):
                found.append(entry.as_posix())  # links to nothing and link loops too
        follow = []
        for name in dirs:
            entry = Path(root) / name
            real = os.path.realpath(entry)
            if real not in seen:
                seen.add(real)
                follow.append(name)
            elif entry.is_symlink() and is_loop(entry):
                found.append(entry.as_posix())
        dirs[:] = sorted(follow)
    return sorted(found)


class FacePredictor:
    """Detect, crop, normalise and classify the faces of images.

    Parameters
    ----------
    estimator : fitted classifier or None
        Anything with ``predict_proba`` and ``classes_`` taking
        ``(n, 48, 48)`` faces; ``None`` loads the default pretrained model.
    detector : FaceDetector or None
        ``None``: ``FaceDetector(select="all")``.
    normalizer : FaceNormalizer or None
        ``None``: a ``FaceNormalizer`` to the estimator's ``image_shape_``
        (48x48 when it has none).
    detect : bool, default=True
        ``False`` treats every image as one already cropped face.
    """

    def __init__(self, estimator=None, *, detector=None, normalizer=None, detect=True):
        if estimator is None:
            from ..model._pretrained import load_pretrained

            estimator = load_pretrained()
        self.estimator = estimator
        self.detector = detector if detector is not None else FaceDetector(select="all")
        if normalizer is None:
            shape = getattr(estimator, "image_shape_", (48, 48))
            normalizer = FaceNormalizer(output_shape=tuple(int(d) for d in shape[:2]))
        self.normalizer = normalizer
        self.detect = detect
        self.classes = [str(c) for c in estimator.classes_]

    def boxes(self, image):
        """The faces of one image, gray or RGB (the whole image if ``detect`` is off)."""
        if not self.detect:
            return [{"row": 0, "col": 0, "height": image.shape[0], "width": image.shape[1]}]
        return self.detector.detect([image])[0]

    def faces(self, image, boxes):
        """The faces in ``boxes`` as the estimator takes them: gray, cropped, normalised.

        Without ``detect``, the whole image is the one face.
        """
        gray = to_gray(image)
        crops = [self.detector.crop(gray, box) for box in boxes] if self.detect else [gray]
        return self.normalizer.transform(crops)

    def classify(self, image, boxes):
        """Probabilities, shape ``(len(boxes), n_classes)``, of the faces in ``boxes``."""
        if not boxes:
            return np.empty((0, len(self.classes)))
        return self.estimator.predict_proba(self.faces(image, boxes))

    def records(self, image, source, boxes=None, *, scale=1.0):
        """One record per face of ``image`` (one ``"no face"`` record if none).

        ``scale`` multiplies the boxes of the records: the original's size over
        ``image``'s, for a photo decoded at a reduced size (:func:`decoded_scale`).
        """
        boxes = self.boxes(image) if boxes is None else boxes
        if not boxes:
            return [empty_record(source, self.classes, "no face")]
        proba = self.classify(image, boxes)
        return [
            face_record(source, i, {k: box[k] * scale for k in BOX_FIELDS}, p, self.classes)
            for i, (box, p) in enumerate(zip(boxes, proba, strict=True), start=1)
        ]


def decoded_scale(image, pixels):
    """How many of the original's pixels one of ``pixels`` spans (1.0 unless reduced).

    Photos longer than :data:`~bilstm_emotion.preprocessing.MAX_IMAGE_SIDE`
    are decoded at a reduced size; the records of :func:`iter_images` give
    boxes in the original's pixels all the same, and this is the factor
    between the two (``draw_faces(pixels, records, scale=1 / factor)``
    draws them on the reduced pixels).
    """
    if not isinstance(image, (str, os.PathLike, bytes, bytearray, memoryview)):
        return 1.0
    if max(pixels.shape[:2]) != _io.MAX_IMAGE_SIDE:  # a reduced photo is exactly that long
        return 1.0
    try:  # the header only
        if is_url(image):
            with open_url(image) as f:
                height, _ = image_size(f)
        else:
            height, _ = image_size(image)
    except (OSError, ValueError):
        return 1.0
    return height / pixels.shape[0]


def face_record(source, face, box, proba, classes):
    """The flat record of one classified face (its box rounded to whole pixels)."""
    best = int(np.argmax(proba))
    record = {"source": source, "face": face, **{k: round(box[k]) for k in BOX_FIELDS}}
    record.update(label=classes[best], score=round(float(proba[best]), 4))
    record.update({c: round(float(p), 4) for c, p in zip(classes, proba, strict=True)})
    record["status"] = "ok"
    return record


def empty_record(source, classes, status):
    """The record of an image (or frame) without a classified face; ``status`` says why.

    Its numbers (box, score, probabilities) are missing: ``None``, ``null`` in
    JSON, an empty cell in CSV; its label is ``""``.
    """
    record = {"source": source, "face": 0, **dict.fromkeys(BOX_FIELDS)}
    record.update(label="", score=None, **dict.fromkeys(classes), status=status)
    return record


def source_name(image, index):
    """The ``source`` of an input's records.

    Parameters
    ----------
    image : str, path-like or array
        The input.
    index : int
        Its position among the inputs.

    Returns
    -------
    source : str
        Its path or URL as given, or ``"image {index}"``.
    """
    return os.fspath(image) if isinstance(image, (str, os.PathLike)) else f"image {index}"


def iter_images(images, predictor, *, sources=None, on_error="record"):
    """Read and classify images one at a time.

    Parameters
    ----------
    images : iterable of str, path-like or array
        Image files or arrays.
    predictor : FacePredictor
        Does the detecting and classifying.
    sources : iterable of str or None
        Names for the records; ``None``: the path, or ``"image {i}"``.
    on_error : {"record", "raise"}, default="record"
        See :func:`~bilstm_emotion.monitoring.predict_images`.

    Yields
    ------
    source, image, pixels, records
        The name, the input as given, its pixels (RGB or gray floats in
        [0, 1], EXIF-upright; ``None`` if it could not be read) and its
        records.
    """
    if on_error not in ("record", "raise"):
        raise ValueError(
            f"Expected `on_error` to be 'record' or 'raise'. Received: on_error={on_error!r}"
        )
    images = list(images)
    if sources is None:
        sources = [source_name(image, i) for i, image in enumerate(images)]
    for source, image in zip(sources, images, strict=True):
        try:
            pixels = ImageLoader(color=True).transform([image])[0]
        except (ImageReadError, FileNotFoundError, IsADirectoryError) as exc:
            if on_error == "raise":
                raise
            yield source, image, None, [empty_record(source, predictor.classes, f"error: {exc}")]
            continue
        scale = decoded_scale(image, pixels)
        yield source, image, pixels, predictor.records(pixels, source, scale=scale)


def draw_faces(image, records, *, color=(255, 200, 0), scale=1.0):
    """A colour copy of ``image`` with each record's box and label drawn.

    Parameters
    ----------
    image : ndarray of shape (height, width) or (height, width, 3)
        Gray or RGB image, integer or [0, 1] float.
    records : list of dict
        Records of this image (records without a box are ignored).
    color : tuple of int, default=(255, 200, 0)
        RGB colour of boxes and labels.
    scale : float, default=1.0
        Multiplies the records' boxes: ``1 / decoded_scale(...)`` draws the
        records of a large photo on its reduced pixels.

    Returns
    -------
    annotated : ndarray of shape (height, width, 3), dtype uint8
    """
    from PIL import Image, ImageDraw

    array = to_rgb_uint8(image)
    canvas = Image.fromarray(array)
    draw = ImageDraw.Draw(canvas)
    width = max(1, round(max(array.shape[:2]) / 300))
    for record in records:
        if record.get("label", "") == "":
            continue
        top, left = record["row"] * scale, record["col"] * scale
        bottom, right = top + record["height"] * scale, left + record["width"] * scale
        draw.rectangle([left, top, right, bottom], outline=color, width=width)
        tag = f"{record.get('face', '')} {record['label']} {record['score']:.2f}"
        text_top = max(0, top - 12)
        draw.rectangle([left, text_top, left + 7 * len(tag), text_top + 11], fill=color)
        draw.text((left + 1, text_top), tag, fill=(0, 0, 0))
    return np.asarray(canvas)


def image_date(path):
    """The day a photo was taken (EXIF), else its file's modification day, as ``YYYY-MM-DD``.

    A URL's photo is read through fsspec for its EXIF date; without one, an
    ``OSError`` says that its modification day is not known.
    """
    from datetime import datetime, timezone

    from PIL import Image

    try:
        with open_url(path) if is_url(path) else open(path, "rb") as f, Image.open(f) as img:
            exif = img.getexif()
            stamp = exif.get_ifd(0x8769).get(36867) or exif.get(306)
        if stamp:
            return str(stamp)[:10].replace(":", "-")
    except (OSError, ValueError):
        pass
    if is_url(path):
        raise OSError(f"No EXIF date in {path}, and no file date for a URL")
    mtime = os.stat(path).st_mtime
    return datetime.fromtimestamp(mtime, tz=timezone.utc).strftime("%Y-%m-%d")


def summarize(records, classes, by=None):
    """Emotion distribution of classified faces, overall or per group.

    Parameters
    ----------
    records : iterable of dict
        Face records, read once (records without a label are counted as
        ``no_face`` or ``errors``, not as emotions).
    classes : list of str
        The emotion names, in column order.
    by : callable or None
        ``record -> group name``; ``None`` gives one group, ``"all"``.

    Returns
    -------
    table : list of dict
        Per group (sorted): ``group``, ``faces``, ``images``, ``no_face``,
        ``errors``, the share of faces per emotion and ``dominant``.
    """
    groups = {}
    for record in records:  # one pass, counting: records may be an iterator of millions
        name = "all" if by is None else by(record)
        group = groups.setdefault(name, {"labels": {}, "images": set(), "no_face": 0, "errors": 0})
        group["images"].add(record["source"])
        label = record.get("label", "")
        if label not in ("", None):
            group["labels"][label] = group["labels"].get(label, 0) + 1
        group["no_face"] += record["status"] == "no face"
        group["errors"] += str(record["status"]).startswith("error")
    table = []
    for name in sorted(groups):
        group = groups[name]
        counts = {c: group["labels"].get(c, 0) for c in classes}
        n_faces = sum(group["labels"].values())
        row = {
            "group": name,
            "faces": n_faces,
            "images": len(group["images"]),
            "no_face": group["no_face"],
            "errors": group["errors"],
        }
        row.update({c: round(counts[c] / n_faces, 4) if n_faces else 0.0 for c in classes})
        row["dominant"] = max(classes, key=counts.get) if n_faces else ""
        table.append(row)
    return table
