"""BlazeFace face detection at every scale (MediaPipe's two models, run by onnxruntime).

Each image is letterboxed into the full-range network's 192x192 input (scaled
to fit, padded to a square), the network scores 2,304 anchors (a 48x48 grid)
and regresses a box and six keypoints for each, and the boxes above
``min_score`` are mapped back to the image and merged by
:func:`non_max_suppression`. Faces smaller than about 8 % of the image's
longer side are too small for one 192-pixel view, so larger images are also
searched in overlapping tiles (``tiles``). Faces that fill most of the frame
are too large for the full-range model, so the whole image is also searched,
with a border around it, by the short-range model (``short_range``), made for
faces near the camera. Reference: V. Bazarevsky et al., "BlazeFace:
Sub-millisecond Neural Face Detection on Mobile GPUs", CVPR Workshops 2019.
"""

import math
from functools import lru_cache

import numpy as np

from ..core._pixels import to_rgb_uint8
from ._blazeface_graphs import INPUT_SIZE, NEAR_SIZE, SHORT_RANGE_SIZE, run_blazeface
from ._nms import non_max_suppression
from ._types import LANDMARKS, Face, iou

__all__ = ["BlazeFaceDetector", "blazeface_anchors", "decode_blazeface"]

#: MediaPipe's SSD anchor layers of each model: (stride, anchors per cell) on its input.
ANCHOR_LAYERS = {"full_range": ((4, 1),), "short_range": ((8, 2), (16, 6))}
# The short-range view: the whole image in the middle of a square 1.5 times its longer
# side, so a face that fills the frame (or is cut by its edges) fills two thirds of the
# input. Chosen on 400 FER2013 training faces (faces that fill their frame) enlarged to
# 350 pixels: a face found in 84 % of them with no border, 97 % at 1.25, 98 % at 1.5.
_SHORT_RANGE_PAD = 1.5
# tile grids per `tiles` setting: (tiles per side, share of each side, for images over N px)
_GRIDS = {
    "off": (),
    "auto": ((2, 0.6, 2 * INPUT_SIZE),),
    "fine": ((2, 0.6, 2 * INPUT_SIZE), (3, 0.4, 3 * INPUT_SIZE)),
}
_RAW_SCORE_LIMIT = 80.0  # MediaPipe clips at 100; 80 keeps float32's exp finite


@lru_cache(maxsize=6)
def blazeface_anchors(input_size=INPUT_SIZE, model="full_range"):
    """Anchor centres ``(x, y)`` in [0, 1] of a BlazeFace model.

    MediaPipe's SSD anchor options (:data:`ANCHOR_LAYERS`), offset 0.5, fixed
    anchor size 1: the full-range model has one layer of stride 4 (a 48x48
    grid on its 192x192 input), the short-range model 2 anchors per cell of
    stride 8 and 6 per cell of stride 16 (896 on its 128x128 input). The
    networks are fully convolutional: at another ``input_size`` each grid is
    ``input_size / stride`` cells a side. Anchors run row by row, the anchors
    of one cell together.
    """
    grids = []
    for stride, per_cell in ANCHOR_LAYERS[model]:
        cells = input_size // stride
        centers = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        x, y = np.meshgrid(centers, centers)
        grids.append(np.repeat(np.stack([x.ravel(), y.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(grids)


def decode_blazeface(raw_boxes, raw_scores, min_score, input_size=INPUT_SIZE, model="full_range"):
    """Boxes of the anchors scoring at least ``min_score``, in [0, 1] input units.

    Parameters
    ----------
    raw_boxes : ndarray of shape (n_anchors, 16)
        Per anchor, ``x, y, w, h`` of the box centre and size, then ``x, y``
        of six keypoints, in input pixels relative to the anchor centre.
    raw_scores : ndarray of shape (n_anchors,) or (n_anchors, 1)
        Logits.
    min_score : float
        Probability an anchor needs.
    input_size : int, default=192
        Side of the network's input.
    model : {"full_range", "short_range"}, default="full_range"
        Whose anchors (:func:`blazeface_anchors`) the outputs belong to.

    Returns
    -------
    boxes : ndarray of shape (n, 4)
        ``x_min, y_min, x_max, y_max`` in [0, 1] of the input.
    keypoints : ndarray of shape (n, 6, 2)
        ``x, y`` in [0, 1] of the input.
    scores : ndarray of shape (n,)
    """
    logits = np.clip(
        np.asarray(raw_scores, dtype=np.float32).reshape(-1), -_RAW_SCORE_LIMIT, _RAW_SCORE_LIMIT
    )
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = scores >= min_score
    raw = np.asarray(raw_boxes, dtype=np.float32).reshape(-1, 8, 2)[keep] / input_size
    anchors = blazeface_anchors(input_size, model)[keep]
    center, size = raw[:, 0] + anchors, raw[:, 1]
    boxes = np.concatenate([center - size / 2, center + size / 2], axis=1)
    keypoints = raw[:, 2:] + anchors[:, None, :]
    valid = (size > 0).all(axis=1)
    return boxes[valid], keypoints[valid], scores[keep][valid]


class BlazeFaceDetector:
    """Find faces at every scale with MediaPipe's BlazeFace models.

    The full-range model (faces far from the camera; Apache-2.0, 0.5 M
    parameters) and the short-range model (faces near it; 0.1 M) ship inside
    the package as ONNX graphs that onnxruntime runs, so detection is offline
    and needs no Keras backend.

    Parameters
    ----------
    min_score : float, default=0.6
        Confidence a detection of the full-range model needs. MediaPipe uses
        0.5 for one view; with tiles there are five views to err in, and on
        the real-photo set faces scored 0.69 and more (upright) while
        non-faces stayed below 0.58.
    iou_threshold : float, default=0.3
        Overlap that merges two detections into one face.
    min_size : int, default=0
        Drop faces smaller than this (box height, pixels of the image).
    tiles : {"auto", "fine", "off"}, default="auto"
        One view of the whole image finds faces down to about 8 % of its
        longer side (15 pixels of the network's input). ``"auto"`` also
        searches images over 384 pixels in a 2x2 grid of overlapping tiles
        (60 % of each side), which finds faces down to about 5 %, for four
        more images in the network's batch; ``"fine"`` adds a 3x3 grid (40 %)
        on images over 576 pixels, down to about 3 %, for nine more;
        ``"off"`` searches the whole image only. Faces cut by a tile's inner
        edge are left to the other views.
    short_range : bool, default=True
        Also search the whole image, in the middle of a border half its
        size, with the short-range model: it finds the faces that fill most
        of the frame or are cut by its edges (close-ups, profile pictures, ID
        photos, selfies, a webcam at arm's length), which the full-range
        model misses. One 128x128 view, with the full-range views: about 1.2
        times their time on a 640x480 photo (measured on Keras, where both
        models ran in one network call).
        ``False`` searches for faces far from the camera only.
    short_range_min_score : float, default=0.5
        Confidence a detection of the short-range model needs: MediaPipe's
        own, as it searches one view. Small, blurred or turned close-ups score
        0.5 to 0.6 (on the real-photo set this finds no face more and adds one
        false face in 87 photos).

    Examples
    --------
    >>> from skimage import data
    >>> from bilstm_emotion.faces import BlazeFaceDetector
    >>> faces = BlazeFaceDetector().detect(data.astronaut())
    >>> len(faces), sorted(faces[0].landmarks)[:2]
    (1, ['left_ear', 'left_eye'])
    """

    name = "blazeface"

    def __init__(
        self,
        *,
        min_score=0.6,
        iou_threshold=0.3,
        min_size=0,
        tiles="auto",
        short_range=True,
        short_range_min_score=0.5,
    ):
        if tiles not in _GRIDS:
            raise ValueError(f"Expected `tiles` in {sorted(_GRIDS)}. Received: tiles={tiles!r}")
        self.min_score = min_score
        self.iou_threshold = iou_threshold
        self.min_size = min_size
        self.tiles = tiles
        self.short_range = short_range
        self.short_range_min_score = short_range_min_score

    # -- the network's input and output -------------------------------------------------
    @staticmethod
    def input_tensor(image, size=INPUT_SIZE, border=0):
        """The letterboxed ``(size, size, 3)`` float32 input in [-1, 1], and its scale.

        ``scale`` is image pixels per input pixel. The image fills the input's
        top-left corner, or, with a ``border`` (input pixels), starts that far
        from its top and left and is shrunk to leave as much on the other two
        sides. The letterbox and the border are black.
        """
        from PIL import Image

        rgb = to_rgb_uint8(image)
        height, width = rgb.shape[:2]
        scale = max(height, width) / (size - 2 * border)
        fitted = (max(1, round(width / scale)), max(1, round(height / scale)))
        resized = Image.fromarray(rgb).resize(fitted, Image.Resampling.BILINEAR, reducing_gap=2.0)
        tensor = np.full((size, size, 3), -1.0, dtype=np.float32)
        inside = (slice(border, border + fitted[1]), slice(border, border + fitted[0]))
        tensor[inside] = np.asarray(resized) / np.float32(127.5) - 1
        return tensor, scale

    def _run(self, tensors, close_up=None):
        """Raw boxes and scores of the full-range model on ``tensors`` and, given a
        ``close_up`` tensor, of the short-range model on it (onnxruntime)."""
        raw = run_blazeface(np.stack(tensors))
        if close_up is not None:
            raw += run_blazeface(close_up[None], model="short_range")
        return raw

    def _views(self, image):
        """``(row, col, crop)`` of every view searched: the whole image, then tiles."""
        height, width = image.shape[:2]
        views = [(0, 0, image)]
        for per_side, share, above in _GRIDS[self.tiles]:
            if max(height, width) <= above:
                continue
            tile_h, tile_w = math.ceil(height * share), math.ceil(width * share)
            for i in range(per_side):
                top = round(i * (height - tile_h) / (per_side - 1))
                for j in range(per_side):
                    left = round(j * (width - tile_w) / (per_side - 1))
                    views.append((top, left, image[top : top + tile_h, left : left + tile_w]))
        return views

    def detect(self, image):
        """Faces of one image, best score first.

        Parameters
        ----------
        image : ndarray of shape (height, width) or (height, width, 3)
            Gray or RGB, uint8 or floats in [0, 1].

        Returns
        -------
        faces : list of Face
            Boxes in pixels of ``image``, with the six :data:`LANDMARKS`.
        """
        image = to_rgb_uint8(image)  # once, not per view
        views = self._views(image)
        inputs = [self.input_tensor(crop) for _, _, crop in views]
        close_up = self._close_up_tensor(image) if self.short_range else None
        faces = []
        for chunk in range(0, len(inputs), 16):
            part = inputs[chunk : chunk + 16]
            # the close-up view goes with the first chunk
            near = close_up[0] if chunk == 0 and close_up is not None else None
            raw_boxes, raw_scores, *raw_near = self._run([t for t, _ in part], near)
            for (top, left, crop), (_, scale), boxes, scores in zip(
                views[chunk : chunk + 16], part, raw_boxes, raw_scores, strict=True
            ):
                found = self._faces(boxes, scores, scale, (top, left))
                if crop is not image:  # a tile: drop faces cut by its inner edges
                    found = [f for f in found if not _cut(f, top, left, crop.shape, image.shape)]
                faces.extend(found)
            if raw_near:
                faces.extend(self._close_up_faces(raw_near, close_up))
        faces = non_max_suppression(faces, iou_threshold=self.iou_threshold)
        return [f for f in faces if f.height >= self.min_size]

    @classmethod
    def _close_up_tensor(cls, image):
        """The short-range view: the whole image inside a black border; its tensor,
        scale and offset (image pixels of the input's top-left corner)."""
        border = round(SHORT_RANGE_SIZE * (1 - 1 / _SHORT_RANGE_PAD) / 2)
        tensor, scale = cls.input_tensor(image, SHORT_RANGE_SIZE, border)
        return tensor, scale, (-border * scale, -border * scale)

    def _close_up_faces(self, raw_near, close_up, origin=(0, 0)):
        """Faces of the short-range view ``close_up`` of an image whose top-left corner
        is at ``origin`` (row, col) of the frame."""
        _, scale, (row, col) = close_up
        boxes, scores = raw_near[0][0], raw_near[1][0]
        offset = (origin[0] + row, origin[1] + col)
        return self._faces(boxes, scores, scale, offset, SHORT_RANGE_SIZE, "short_range")

    def _faces(self, raw_boxes, raw_scores, scale, offset, size=INPUT_SIZE, model="full_range"):
        min_score = self.short_range_min_score if model == "short_range" else self.min_score
        boxes, keypoints, scores = decode_blazeface(raw_boxes, raw_scores, min_score, size, model)
        pixels = scale * size
        out = []
        for (x0, y0, x1, y1), points, score in zip(boxes, keypoints, scores, strict=True):
            face = Face(
                row=float(y0 * pixels),
                col=float(x0 * pixels),
                height=float((y1 - y0) * pixels),
                width=float((x1 - x0) * pixels),
                score=float(score),
                landmarks={
                    n: (float(x * pixels), float(y * pixels))
                    for n, (x, y) in zip(LANDMARKS, points, strict=True)
                },
            )
            out.append(face.mapped(1.0, offset))
        return out

    def detect_near(self, image, face):
        """The face that ``face`` (found in an earlier frame) has become, or ``None``.

        Searches a square window three times the face's size around it, at
        128x128 pixels (the face about 40 of them; half the work of a
        192-pixel view), so a tracked face costs the same however large the
        frame; where the frame's edges cut the window so that the face fills
        more than half of it (a close-up), the short-range model searches it
        too. The best-overlapping detection is returned.
        """
        image = np.asarray(image)
        face_side = max(face["height"], face["width"])
        side = 3 * face_side
        cx, cy = face["col"] + face["width"] / 2, face["row"] + face["height"] / 2
        top, left = max(0, int(cy - side / 2)), max(0, int(cx - side / 2))
        bottom = min(image.shape[0], math.ceil(cy + side / 2))
        right = min(image.shape[1], math.ceil(cx + side / 2))
        if bottom - top < 8 or right - left < 8:
            return None
        window = image[top:bottom, left:right]
        tensor, scale = self.input_tensor(window, NEAR_SIZE)
        # where the frame's edges cut the window down, the face fills much of it: a
        # close-up, which the short-range model finds
        close_up = None
        if self.short_range and face_side > 0.5 * max(window.shape[:2]):
            close_up = self._close_up_tensor(window)
        raw_boxes, raw_scores, *raw_near = self._run(
            [tensor], None if close_up is None else close_up[0]
        )
        found = self._faces(raw_boxes[0], raw_scores[0], scale, (top, left), NEAR_SIZE)
        if raw_near:
            found += self._close_up_faces(raw_near, close_up, (top, left))
        found = non_max_suppression(found, iou_threshold=self.iou_threshold)
        best = max(found, key=lambda f: iou(f, face), default=None)
        return best if best is not None and iou(best, face) > 0 else None


def _cut(face, top, left, tile_shape, image_shape, slack=0.02):
    """Whether ``face`` touches an edge of its tile that lies inside the image."""
    pad_r, pad_c = slack * tile_shape[0], slack * tile_shape[1]
    bottom, right = top + tile_shape[0], left + tile_shape[1]
    return (
        (top > 0 and face.row < top + pad_r)
        or (left > 0 and face.col < left + pad_c)
        or (bottom < image_shape[0] and face.row + face.height > bottom - pad_r)
        or (right < image_shape[1] and face.col + face.width > right - pad_c)
    )
