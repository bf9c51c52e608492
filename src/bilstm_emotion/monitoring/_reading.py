"""Reading records back from the outputs of ``predict``: CSV, JSON and Parquet."""

import csv
import json
import os
from pathlib import Path

from ._parquet import PARQUET_SUFFIX, is_dataset, read_dataset
from ._records import classes_of, typed_record

__all__ = ["read_records"]


def read_records(path):
    """The records an output of ``predict`` holds: CSV, JSON, a Parquet file or a
    folder of Parquet partitions (``predict --parquet``).

    Parameters
    ----------
    path : str or path-like
        The file or folder (fsspec URLs for Parquet outputs).

    Returns
    -------
    classes : list of str
        The emotion columns, in their order.
    records : iterator of dict
        One per row, typed as :func:`~bilstm_emotion.monitoring.predict_images`
        makes them. CSV and Parquet are read as the iterator goes (Parquet batch by
        batch); a JSON file is read whole.

    Raises
    ------
    ValueError
        Naming ``path`` and its columns when it is not an output of ``predict``.

    Examples
    --------
    >>> from bilstm_emotion.monitoring import read_records
    >>> classes, records = read_records("faces/")  # doctest: +SKIP
    >>> import pandas as pd
    >>> pd.DataFrame(records)  # doctest: +SKIP
    """
    path = os.fspath(path)
    if is_dataset(path) or path.lower().endswith(PARQUET_SUFFIX):
        return read_dataset(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".json":
        return _read_json(path)
    raise ValueError(
        "Expected an output of `bilstm-emotion predict`: a .csv, .json or .parquet file, "
        f"or a folder of Parquet partitions. Received: {path}"
    )


def _read_csv(path):
    f = Path(path).open(newline="", encoding="utf-8")
    try:
        reader = csv.DictReader(f)
        classes = classes_of(reader.fieldnames or [], path)
    except BaseException:
        f.close()
        raise

    def rows():
        with f:
            for row in reader:
                yield typed_record(row, classes, f"{path}, line {reader.line_num}")

    return classes, rows()


def _read_json(path):
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError(
            f"Expected a JSON list of records in {path}. Received: {type(records).__name__}"
        )
    if records:
        classes = classes_of(list(records[0]), path)
    else:
        classes = []
    return classes, iter(records)
