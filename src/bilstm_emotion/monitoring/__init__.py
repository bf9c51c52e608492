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

At scale, :func:`predict_images` and :func:`predict_to_parquet` split the photos
into partitions run on the workers of a Dask cluster (``client=``), and
:func:`predict_to_parquet` writes each partition as a Parquet file that a rerun
resumes; :func:`read_records` reads any output back (CSV, JSON, Parquet).
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
    source_name,
    summarize,
)
from ._predict import (
    iter_partitions,
    model_name,
    predict_images,
    predict_partitions,
    predict_to_parquet,
    run_settings,
)
from ._reading import read_records
from ._records import record_fields

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
    "iter_partitions",
    "model_name",
    "predict_images",
    "predict_partitions",
    "predict_to_parquet",
    "read_records",
    "record_fields",
    "run_settings",
    "source_name",
    "summarize",
]
