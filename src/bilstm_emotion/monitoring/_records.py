"""What a record is: its columns, in order, and their types when read back from text."""

from ..faces import BOX_FIELDS

__all__ = ["classes_of", "record_fields", "typed_record"]


def record_fields(classes):
    """The columns of a record, in order.

    Parameters
    ----------
    classes : list of str
        The emotion names, in the model's order.

    Returns
    -------
    fields : list of str
        ``source, face``, the box (``row, col, height, width``), ``label, score``,
        one probability per emotion of ``classes``, ``status``.
    """
    return ["source", "face", *BOX_FIELDS, "label", "score", *classes, "status"]


def classes_of(columns, path):
    """The emotion columns among the ``columns`` of the records in ``path``.

    Parameters
    ----------
    columns : list of str
        A file's columns.
    path : str
        The file, named by the error.

    Returns
    -------
    classes : list of str
        The columns between ``score`` and ``status``.

    Raises
    ------
    ValueError
        Naming ``path`` and its columns when a column of :func:`record_fields` is
        missing.
    """
    columns = list(columns)
    if not set(record_fields([])) <= set(columns):
        missing = [c for c in record_fields([]) if c not in columns]
        raise ValueError(
            f"Expected the columns of `bilstm-emotion predict` records in {path}. "
            f"Received: {columns} (missing {missing})"
        )
    return columns[columns.index("score") + 1 : columns.index("status")]


def typed_record(row, classes, where):
    """A record read from text (every value a string) with the types a fresh one has.

    Parameters
    ----------
    row : dict
        The values, strings (a CSV row).
    classes : list of str
        The emotion columns.
    where : str
        The file and line, named by the error.

    Returns
    -------
    record : dict
        ``face`` and the box as ``int``, ``score`` and the probabilities as
        ``float``, an empty cell as ``None`` (``""`` for ``label``).

    Raises
    ------
    ValueError
        Naming ``where``, the column and the value that is not a number.
    """
    record = dict(row)
    for keys, kind in (((("face", *BOX_FIELDS)), int), ((("score", *classes)), float)):
        for key in keys:
            value = row[key]
            try:
                record[key] = None if value in ("", None) else kind(value)
            except ValueError:
                raise ValueError(
                    f"Expected a number in column {key!r} of {where}. Received: {value!r}"
                ) from None
    record["label"] = row["label"] or ""
    return record
