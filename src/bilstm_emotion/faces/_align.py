"""Cut a face out of its image the way the classifier's training faces were framed."""

import math

import numpy as np

__all__ = ["crop_face", "eye_angle"]


def eye_angle(face):
    """Degrees the face is turned from upright (counter-clockwise in the image), or 0.

    Taken from the line between the eyes; 0 when the face has no eye landmarks.
    """
    eyes = face.landmarks if hasattr(face, "landmarks") else {}
    if "right_eye" not in eyes or "left_eye" not in eyes:
        return 0.0
    (rx, ry), (lx, ly) = eyes["right_eye"], eyes["left_eye"]
    # the person's right eye is on the image's left in an upright face
    return math.degrees(math.atan2(-(ly - ry), lx - rx))


def crop_face(image, face, *, margin=0.05, align=True, max_tilt=0.0, square=True):
    """The face's crop: its box grown by ``margin``, rotated upright if ``align``.

    Parameters
    ----------
    image : ndarray of shape (height, width) or (height, width, channels)
        The image the face was found in.
    face : Face or dict
        The box (and, for alignment, eye landmarks).
    margin : float, default=0.05
        Share of the box's size added on every side.
    align : bool, default=True
        Rotate about the box's centre so the eyes are level, where the face has
        eye landmarks and its eye line is tilted by more than ``max_tilt``.
    max_tilt : float, default=0.0
        Degrees of tilt left as they are (a tilt under one degree always is).
    square : bool, default=True
        Crop a square of the box's longer side (FER2013's faces are square);
        ``False`` keeps the box's own proportions.

    Returns
    -------
    crop : ndarray
        Same dtype and channels as ``image``; parts outside the image repeat
        its edge pixels, so a face at the border keeps its size.

    Examples
    --------
    >>> import numpy as np
    >>> from bilstm_emotion.faces import Face, crop_face
    >>> crop_face(np.zeros((100, 100)), Face(10, 10, 40, 20), margin=0.25).shape
    (60, 60)
    """
    image = np.asarray(image)
    height, width = face["height"], face["width"]
    if square:
        height = width = max(height, width)
    out_h = max(1, round(height * (1 + 2 * margin)))
    out_w = max(1, round(width * (1 + 2 * margin)))
    cx, cy = face["col"] + face["width"] / 2, face["row"] + face["height"] / 2
    angle = eye_angle(face) if align else 0.0
    if abs(angle) <= max(1.0, max_tilt):
        top, left = round(cy - out_h / 2), round(cx - out_w / 2)
        rows = np.clip(np.arange(top, top + out_h), 0, image.shape[0] - 1)
        cols = np.clip(np.arange(left, left + out_w), 0, image.shape[1] - 1)
        return image[np.ix_(rows, cols)]
    return _rotated_crop(image, cx, cy, out_h, out_w, angle)


def _rotated_crop(image, cx, cy, out_h, out_w, angle):
    from scipy.ndimage import map_coordinates

    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    ys, xs = ys - (out_h - 1) / 2, xs - (out_w - 1) / 2
    # a face turned counter-clockwise by `angle`: sample along its own axes
    src_x = cx - 0.5 + xs * cos + ys * sin
    src_y = cy - 0.5 - xs * sin + ys * cos
    channels = [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]
    out = [
        map_coordinates(ch.astype(np.float32), [src_y, src_x], order=1, mode="nearest")
        for ch in channels
    ]
    crop = out[0] if image.ndim == 2 else np.stack(out, axis=-1)
    if image.dtype.kind in "iu":
        crop = np.clip(np.rint(crop), 0, np.iinfo(image.dtype).max)
    return crop.astype(image.dtype)
