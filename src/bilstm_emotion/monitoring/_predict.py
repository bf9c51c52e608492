"""Predict a collection of photos: records in memory, or Parquet partitions a rerun resumes."""

import contextlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ..datasets._remote import file_stamp, is_url
from ._parquet import PartitionedOutput
from ._partitions import auto_partition_size, run_partition, split
from ._pipeline import FacePredictor, iter_images, source_name

__all__ = [
    "iter_partitions",
    "model_name",
    "predict_images",
    "predict_partitions",
    "predict_to_parquet",
    "run_settings",
]

#: Requests in flight at once when stamping photos in object storage (one each).
STAMP_THREADS = 32


def predict_images(
    images,
    estimator=None,
    *,
    detect=True,
    detector=None,
    on_error="record",
    client=None,
    partition_size=None,
):
    """Find and classify every face in every image.

    Parameters
    ----------
    images : list of str, path-like or array
        Image files, fsspec URLs (``s3://...``) or arrays (gray or colour).
    estimator : fitted classifier or None
        ``None`` loads the default pretrained model.
    detect : bool, default=True
        ``False`` treats each image as one already cropped face (FER2013-style
        48x48 crops, which are too small for the detector).
    detector : FaceDetector or None
        ``None``: ``FaceDetector(select="all")``.
    on_error : {"record", "raise"}, default="record"
        An image that cannot be read gets a record whose ``status`` is the
        error message, or raises it.
    client : distributed.Client or None, default=None
        Predict on the workers of this Dask cluster: the images go in partitions, one
        task each, and the model and detector are sent to each worker once. Paths must
        name the same files on the workers (a shared file system, or URLs). ``None``:
        in this process.
    partition_size : int or None, default=None
        Images per task with ``client``; ``None``: about four partitions per worker
        thread, at most 1,000 images.

    Returns
    -------
    records : list of dict
        One per face, in input order (with ``client`` too); see the module docstring.

    Examples
    --------
    >>> from skimage import data
    >>> from bilstm_emotion.monitoring import predict_images
    >>> records = predict_images([data.astronaut()])
    >>> records[0]["label"], records[0]["status"]
    ('happy', 'ok')
    """
    predictor = FacePredictor(estimator, detector=detector, detect=detect)
    if client is None:
        done = iter_images(images, predictor, on_error=on_error)
        return [record for *_, records in done for record in records]
    done = iter_partitions(
        images, predictor, client=client, partition_size=partition_size, on_error=on_error
    )
    with contextlib.closing(done):
        return [record for _, records in done for record in records]


def predict_partitions(partitions, predictor, *, client=None, on_error="record", ordered=False):
    """Predict ``partitions`` here or on a Dask cluster; yield each as it is done.

    Parameters
    ----------
    partitions : list of list of (str, image)
        The photos, partition by partition: each photo's ``source`` and the photo.
    predictor : FacePredictor
        Detects and classifies (sent to each worker once with ``client``).
    client : distributed.Client or None, default=None
        ``None`` runs the partitions here, in order; with a client they run on its
        workers, two per worker thread at a time (memory stays flat however many
        partitions there are), and come in the order they finish.
    on_error : {"record", "raise"}, default="record"
        See :func:`predict_images`.
    ordered : bool, default=False
        With ``client``: the caller hands the records on in input order, so no
        partition runs far ahead of the earliest unfinished one.

    Yields
    ------
    index : int
        The partition's position in ``partitions``.
    records : list of dict
        Its records, in order.
    pid : int
        The id of the process that predicted it.
    """
    if client is None:
        for index, items in enumerate(partitions):
            yield index, run_partition(predictor, items, on_error), os.getpid()
        return
    from ._dask import predict_on_cluster

    done = predict_on_cluster(partitions, predictor, client, on_error=on_error, ordered=ordered)
    with contextlib.closing(done):
        yield from done


def iter_partitions(images, predictor, *, client=None, partition_size=None, on_error="record"):
    """Predict ``images`` partition by partition, in input order.

    Parameters
    ----------
    images : list of str, path-like or array
        As :func:`predict_images`.
    predictor : FacePredictor
        Detects and classifies (sent to each worker once).
    client, partition_size, on_error
        As :func:`predict_images`.

    Yields
    ------
    n_images : int
        The images of the partition.
    records : list of dict
        Their records: partitions that finish early wait for those before them.
    """
    images = list(images)
    items = [(source_name(image, i), _readable(image, client)) for i, image in enumerate(images)]
    parts = split(items, partition_size or _auto_size(len(items), client))
    waiting, following = {}, 0
    done = predict_partitions(parts, predictor, client=client, on_error=on_error, ordered=True)
    with contextlib.closing(done):
        for index, records, _ in done:
            waiting[index] = records
            while following in waiting:
                yield len(parts[following]), waiting.pop(following)
                following += 1


def predict_to_parquet(
    images,
    path,
    estimator=None,
    *,
    detect=True,
    detector=None,
    client=None,
    partition_size=None,
    resume=False,
    overwrite=False,
    settings=None,
    callback=None,
):
    """Predict a collection of photos into a folder of Parquet partitions, resumably.

    Each partition of photos becomes one ``part-NNNNNN.parquet`` file of records
    (the columns of :func:`predict_images`), written when its photos are done, in
    whatever order partitions finish. A run that stops (a crash, Ctrl-C, a lost
    cluster) leaves every finished partition; rerun with ``resume=True`` and only
    the photos missing from the folder are predicted: a photo counts as done when
    its file (its absolute path, or its URL) and its size and modification stamp
    are those recorded when it was written, and it could be read then (a photo
    changed since, or one that could not be read, is predicted again and its old
    rows removed).

    Parameters
    ----------
    images : list of str or path-like
        Image files or fsspec URLs (``s3://bucket/a.jpg``). The workers read the
        files by their absolute paths; a file named twice (``a.jpg``, ``./a.jpg``) is
        predicted once, under its first name.
    path : str or path-like
        The output folder, local or an fsspec URL; made if missing. One run writes
        into a folder at a time.
    estimator, detect, detector, client, partition_size
        As :func:`predict_images`.
    resume : bool, default=False
        Add to a folder written by an earlier run (with the same
        :func:`run_settings`, which are checked). Without it, a folder that holds
        partitions is refused.
    overwrite : bool, default=False
        Remove the folder's partitions first (not with ``resume``).
    settings : dict or None, default=None
        What a resumed run must share with this one; ``None``:
        :func:`run_settings` of the predictor.
    callback : callable or None, default=None
        Called as ``callback(records, n_images, report)`` once the photos to predict
        are known (no records, 0 images) and after each partition is written (a
        progress bar, a live table); ``report`` is the returned one, so far.

    Returns
    -------
    report : dict
        ``images`` (given), ``skipped`` (already in the folder, or named twice),
        ``predicted``,
        ``records`` and ``partitions`` (written by this run), ``failed`` (images this
        run could not read, each with its error record) and ``path``.

    Examples
    --------
    >>> from bilstm_emotion.monitoring import expand_paths, predict_to_parquet
    >>> report = predict_to_parquet(expand_paths(["posts/"]), "faces/")  # doctest: +SKIP
    >>> report = predict_to_parquet(
    ...     expand_paths(["posts/"]), "faces/", resume=True
    ... )  # doctest: +SKIP
    """
    images = list(images)
    for i, image in enumerate(images):
        if not isinstance(image, (str, os.PathLike)):
            raise TypeError(
                "Expected image files or URLs: a rerun knows a photo done by its file. "
                f"Received: {type(image).__name__} at position {i} (predict_images takes "
                "arrays)"
            )
    predictor = FacePredictor(estimator, detector=detector, detect=detect)
    settings = run_settings(predictor) if settings is None else settings
    output = PartitionedOutput(path, _as_json(settings), resume=resume, overwrite=overwrite)
    sources = [source_name(image, i) for i, image in enumerate(images)]
    keys = [file_key(image) for image in images]
    first = {}  # a photo named twice (a.jpg, ./a.jpg) is predicted once, by its first name
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    stamps = file_stamps(keys)
    todo = [i for i in output.todo(keys, stamps) if first[keys[i]] == i]
    items = [(sources[i], _readable(images[i], client), keys[i], stamps[i]) for i in todo]
    parts = split(items, partition_size or _auto_size(len(items), client))
    report = {"images": len(images), "skipped": len(images) - len(todo), "predicted": 0}
    report.update(records=0, partitions=0, failed=0, path=output.path)
    if callback is not None:
        callback([], 0, report)
    work = [[(source, image) for source, image, *_ in part] for part in parts]
    done = predict_partitions(work, predictor, client=client)
    with contextlib.closing(done):
        for index, records, _ in done:
            failed = {r["source"] for r in records if str(r["status"]).startswith("error")}
            inputs = [
                (source, key, *stamp, source in failed) for source, _, key, stamp in parts[index]
            ]
            output.write(records, inputs)
            report["predicted"] += len(inputs)
            report["records"] += len(records)
            report["partitions"] += 1
            report["failed"] += len(failed)
            if callback is not None:
                callback(records, len(inputs), report)
    return report


def file_key(image):
    """What identifies a photo across runs: its absolute path, its URL, or ``None`` (an
    array, which has no file)."""
    if is_url(image):
        return image
    if isinstance(image, (str, os.PathLike)):
        return os.path.abspath(os.fspath(image))
    return None


def _readable(image, client):
    """``image`` as a worker reads it: a local path made absolute (a worker need not
    share the command's working folder), anything else as it is."""
    if client is None or is_url(image) or not isinstance(image, (str, os.PathLike)):
        return image
    return file_key(image)


def file_stamps(keys):
    """``(size, modified)`` of each of ``keys`` (``(None, None)`` for ``None``): local
    files one after the other, URLs :data:`STAMP_THREADS` requests at a time."""
    stamps = [(None, None)] * len(keys)
    remote = [i for i, key in enumerate(keys) if key is not None and is_url(key)]
    for i, key in enumerate(keys):
        if key is not None and not is_url(key):
            stamps[i] = file_stamp(key)
    if remote:
        with ThreadPoolExecutor(STAMP_THREADS) as pool:
            found = pool.map(file_stamp, [keys[i] for i in remote])
            for i, stamp in zip(remote, found, strict=True):
                stamps[i] = stamp
    return stamps


def _auto_size(n_items, client):
    if client is None:
        return auto_partition_size(n_items)
    from ._dask import cluster_threads, wait_for_a_worker

    wait_for_a_worker(client)
    return auto_partition_size(n_items, cluster_threads(client))


def model_name(estimator):
    """What names a model in :func:`run_settings`.

    Parameters
    ----------
    estimator : fitted classifier
        The model.

    Returns
    -------
    name : str
        A shipped model's name or the file its ONNX graph was read from
        (``graph_.source``), else the estimator's class name.
    """
    graph = getattr(estimator, "graph_", None)
    return str(getattr(graph, "source", None) or type(estimator).__name__)


#: Estimator parameters that change how fast, not what, a model predicts.
SPEED_PARAMS = ("n_threads", "verbose", "batch_size")


def run_settings(predictor):
    """How a :class:`FacePredictor` makes records: what a resumed run must share.

    Parameters
    ----------
    predictor : FacePredictor
        The model, detector and normaliser.

    Returns
    -------
    settings : dict
        ``model`` (:func:`model_name`), ``params`` (the estimator's parameters but
        those of speed), ``classes``, ``detect``, ``detector`` (its parameters) and
        ``image_shape`` (the faces' size).
    """
    estimator = predictor.estimator
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    return {
        "model": model_name(estimator),
        "params": {k: v for k, v in params.items() if k not in SPEED_PARAMS},
        "classes": predictor.classes,
        "detect": predictor.detect,
        "detector": predictor.detector.get_params() if predictor.detect else None,
        "image_shape": list(getattr(predictor.normalizer, "output_shape", ())),
    }


def _as_json(settings):
    """``settings`` as they read back from a partition's metadata (tuples as lists;
    objects by their repr, without the memory addresses that differ between runs)."""
    return json.loads(json.dumps(settings, sort_keys=True, default=_described))


def _described(value):
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))
