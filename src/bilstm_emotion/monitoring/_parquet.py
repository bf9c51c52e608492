"""Records as a folder of Parquet partitions that a rerun resumes: what was done is in it.

A folder (a local path or an fsspec URL) holds ``part-000000.parquet``,
``part-000001.parquet``, ...: each the records of one partition of photos, with the
columns of :func:`~._records.record_fields`. Each file's Parquet metadata says which
photos it holds (their source, the file they were read from, its size and
modification stamp when it was listed, whether it could be read) and how they were
predicted (model, detector, emotion columns); nothing else describes the run, so the
folder is complete at whatever point a run stopped. A partition is written under a
hidden temporary name (``.part-...``, which Parquet readers skip) and then renamed, so
a reader never sees half a partition. One run writes into a folder at a time.
"""

import json
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

from ..faces import BOX_FIELDS
from ._records import classes_of, record_fields

__all__ = ["PARQUET_SUFFIX", "PartitionedOutput", "is_dataset", "read_dataset"]

#: How a Parquet file of records is named (a partition of a folder, or one file).
PARQUET_SUFFIX = ".parquet"
#: The key of the package's metadata in each partition's Parquet metadata.
METADATA_KEY = b"bilstm_emotion"
#: Partitions whose metadata a resumed run reads at once (one request each in a bucket).
METADATA_THREADS = 16
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
_TEMPORARY = re.compile(r"^\.part-\d{6,}\.parquet\.[0-9a-f]{32}\.tmp$")


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "Expected pyarrow for Parquet outputs. Received: it is not installed; "
            'pip install "bilstm-emotion[parquet]"'
        ) from None
    return pa, pq


def _filesystem(path):
    """``(filesystem, path)``: fsspec's, for local folders too."""
    from ..datasets._remote import is_url, url_filesystem

    return url_filesystem(path if is_url(path) else f"file://{os.path.abspath(path)}")


def _names(fs, folder):
    """The base names of the entries of ``folder`` (none where it does not exist: an
    object store has no empty folders)."""
    try:
        entries = fs.ls(folder, detail=False)
    except FileNotFoundError:
        return []
    own = folder.rstrip("/")
    return [e.rstrip("/").rsplit("/", 1)[-1] for e in entries if e.rstrip("/") != own]


def _parts(fs, folder):
    """``{index: path}`` of the partitions in ``folder``, in order."""
    found = {}
    for name in _names(fs, folder):
        match = _PART.match(name)
        if match:
            found[int(match.group(1))] = f"{folder.rstrip('/')}/{name}"
    return dict(sorted(found.items()))


def is_dataset(path):
    """Whether ``path`` is a folder holding Parquet partitions of records.

    Parameters
    ----------
    path : str or path-like
        A local path or an fsspec URL.

    Returns
    -------
    is_dataset : bool
    """
    try:
        fs, folder = _filesystem(os.fspath(path))
        return bool(_parts(fs, folder))
    except (ImportError, OSError, ValueError):
        return False


def _metadata(fs, path):
    _, pq = _pyarrow()
    with fs.open(path, "rb") as f:
        meta = pq.read_schema(f).metadata or {}
    if METADATA_KEY not in meta:
        raise ValueError(
            "Expected a partition written by bilstm-emotion, whose metadata lists its "
            f"photos. Received: {path}, without that metadata"
        )
    return json.loads(meta[METADATA_KEY])


def read_dataset(path):
    """The records of a Parquet file or a folder of partitions, read lazily.

    Parameters
    ----------
    path : str or path-like
        A file or folder, local or an fsspec URL.

    Returns
    -------
    classes : list of str
        The emotion columns.
    records : iterator of dict
        The rows, partition by partition, batch by batch.
    """
    _, pq = _pyarrow()
    path = os.fspath(path)
    fs, inner = _filesystem(path)
    files = list(_parts(fs, inner).values()) if fs.isdir(inner) else [inner]
    if not files:
        raise ValueError(f"Expected Parquet partitions (part-*.parquet) in {path}. Received: none")
    with fs.open(files[0], "rb") as f:
        classes = classes_of(pq.read_schema(f).names, path)

    def rows():
        for name in files:
            with fs.open(name, "rb") as f:
                for batch in pq.ParquetFile(f).iter_batches():
                    yield from batch.to_pylist()

    return classes, rows()


def schema(classes):
    """The Arrow schema of records: one type per column, whatever a partition holds."""
    pa, _ = _pyarrow()
    types = {"source": pa.string(), "face": pa.int64(), "label": pa.string()}
    types.update(dict.fromkeys(BOX_FIELDS, pa.int64()))
    types.update(dict.fromkeys(["score", *classes], pa.float64()))
    types["status"] = pa.string()
    return pa.schema([(name, types[name]) for name in record_fields(classes)])


class PartitionedOutput:
    """A folder of Parquet partitions being written by a run.

    Parameters
    ----------
    path : str or path-like
        The folder, made if missing: a local path or an fsspec URL.
    settings : dict
        How the records are made (model, detector, emotion columns...); a run that
        resumes the folder must give the same.
    resume : bool
        Keep what the folder holds and say which photos are done (:meth:`todo`).
    overwrite : bool
        Remove the partitions the folder holds first.

    Raises
    ------
    FileExistsError
        The folder holds partitions and neither ``resume`` nor ``overwrite`` is given,
        or it holds other files than partitions (it is not an output of ours).
    ValueError
        Both ``resume`` and ``overwrite``; resuming a folder written with other
        settings (both are named).
    """

    def __init__(self, path, settings, *, resume=False, overwrite=False):
        _pyarrow()  # before anything is made: an ImportError naming the extra
        self.path = os.fspath(path)
        self.settings = settings
        self.classes = list(settings["classes"])
        self.schema = schema(self.classes)
        parts = self.check(self.path, resume=resume, overwrite=overwrite)
        self.fs, self.folder = _filesystem(self.path)
        for name in _names(self.fs, self.folder):
            if _TEMPORARY.match(name):  # a partition whose writing was interrupted
                self.fs.rm(f"{self.folder.rstrip('/')}/{name}")
        if parts and overwrite:
            self.fs.rm(list(parts.values()))
            parts = {}
        self.fs.makedirs(self.folder, exist_ok=True)
        #: ``{key: (size, modified, failed, partition index, source)}`` of the photos
        #: written, by the file they were read from.
        self.done = {}
        with ThreadPoolExecutor(METADATA_THREADS) as pool:  # a request each, in a bucket
            metas = pool.map(lambda part: _metadata(self.fs, part), parts.values())
            for (index, part), meta in zip(parts.items(), metas, strict=True):
                self._check_settings(meta["settings"], part)
                for source, key, size, modified, failed in meta["inputs"]:
                    self.done[key] = (size, modified, failed, index, source)
        self.next_index = max(parts, default=-1) + 1

    @staticmethod
    def check(path, *, resume=False, overwrite=False):
        """Refuse ``path`` as a run's output as :class:`PartitionedOutput` would, without
        making or changing anything (for a command, before its model loads).

        Returns
        -------
        parts : dict
            ``{index: path}`` of the partitions the folder holds.
        """
        if resume and overwrite:
            raise ValueError(
                "Expected --resume (keep what the folder holds) or --overwrite (remove "
                "it), not both. Received: both"
            )
        fs, folder = _filesystem(os.fspath(path))
        if fs.isfile(folder):
            raise FileExistsError(f"Expected a folder for the Parquet output. Received: {path}")
        parts = _parts(fs, folder)
        others = [
            name
            for name in _names(fs, folder)
            if not _PART.match(name) and not _TEMPORARY.match(name)
        ]
        if others:
            raise FileExistsError(
                "Expected a new or empty folder for the Parquet output, or one written by "
                f"an earlier run. Received: {path}, which holds "
                + ", ".join(others[:3])
                + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            )
        if parts and not (resume or overwrite):
            raise FileExistsError(
                f"Expected a folder without partitions, or --resume (resume=True) to add "
                f"only the photos missing from it, or --overwrite to start again. Received: "
                f"{path}, which holds {len(parts)} partition(s) of an earlier run"
            )
        return parts

    def _check_settings(self, written, part):
        for key, value in self.settings.items():
            if written.get(key) != value:
                raise ValueError(
                    f"Expected the same {key} as the run that wrote {self.path}, to resume "
                    f"it. Received: {value!r}, where {part.rsplit('/', 1)[-1]} was made with "
                    f"{written.get(key)!r} (--overwrite starts again)"
                )

    def todo(self, keys, stamps):
        """Which photos to predict.

        Parameters
        ----------
        keys : list of str or None
            The files the photos are read from (``None``: no file, always predicted).
        stamps : list of (int, str)
            Their ``(size, modified)`` now.

        Returns
        -------
        todo : list of int
            The positions of the photos not yet written as they are now: new, changed
            since, or unreadable then. The rows already written of those are removed
            from the partitions that hold them.
        """
        todo, stale = [], {}
        for i, (key, stamp) in enumerate(zip(keys, stamps, strict=True)):
            written = self.done.get(key) if key is not None else None
            if written is not None and None not in stamp and not written[2]:
                if tuple(written[:2]) == tuple(stamp):
                    continue
            todo.append(i)
            if written is not None:
                stale.setdefault(written[3], set()).add(key)
        for index, stale_keys in stale.items():
            self._drop(index, stale_keys)
        return todo

    def _drop(self, index, keys):
        """Rewrite partition ``index`` without the rows and inputs of the photos ``keys``."""
        _, pq = _pyarrow()
        path = self._name(index)
        with self.fs.open(path, "rb") as f:
            table = pq.read_table(f)
        meta = _metadata(self.fs, path)
        sources = {item[0] for item in meta["inputs"] if item[1] in keys}
        keep = [s not in sources for s in table.column("source").to_pylist()]
        inputs = [item for item in meta["inputs"] if item[1] not in keys]
        self._write(index, table.filter(keep), inputs)
        for key in keys:
            self.done.pop(key, None)

    def write(self, records, inputs):
        """Write ``records`` as the next partition.

        Parameters
        ----------
        records : list of dict
            The partition's records.
        inputs : list of tuple
            ``(source, key, size, modified, failed)`` of each photo they come from.

        Returns
        -------
        path : str
            The partition's file.
        """
        pa, _ = _pyarrow()
        index, self.next_index = self.next_index, self.next_index + 1
        table = pa.Table.from_pylist(list(records), schema=self.schema)
        path = self._write(index, table, inputs)
        for source, key, size, modified, failed in inputs:
            if key is not None:
                self.done[key] = (size, modified, failed, index, source)
        return path

    def _name(self, index):
        return f"{self.folder.rstrip('/')}/part-{index:06d}{PARQUET_SUFFIX}"

    def _write(self, index, table, inputs):
        _, pq = _pyarrow()
        meta = {"settings": self.settings, "inputs": [list(item) for item in inputs]}
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})
        final = self._name(index)
        folder, name = final.rsplit("/", 1)
        temporary = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
        with self.fs.open(temporary, "wb") as f:
            pq.write_table(table, f)
        self.fs.mv(temporary, final)
        return final
