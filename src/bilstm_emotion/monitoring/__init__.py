"""Emotions of the faces in photos: find files, predict, draw, summarise.

The Python side of ``bilstm-emotion predict`` and ``bilstm-emotion summary``.
Every face becomes one *record*, a flat ``dict`` that goes straight into a CSV
row, a JSON list or a :class:`pandas.DataFrame`::

    {"source": "posts/a.jpg", "face": 1, "row": 40, "col": 52, "height": 90,
     "width": 90, "label": "happy", "score": 0.91, "angry": 0.01, ...,
     "status": "ok"}

An image without a face, or one that cannot be read, still gets a record
(``face`` 0, ``label`` empty, ``status`` saying why), so no input is silently
dropped.
"""

from ._pipeline import (
    BOX_FIELDS,
    FacePredictor,
    decoded_scale,
    draw_faces,
    empty_record,
    expand_paths,
    face_record,
    image_date,
    iter_images,
    predict_images,
    summarize,
)

__all__ = [
    "BOX_FIELDS",
    "FacePredictor",
    "decoded_scale",
    "draw_faces",
    "empty_record",
    "expand_paths",
    "face_record",
    "image_date",
    "iter_images",
    "predict_images",
    "summarize",
]
