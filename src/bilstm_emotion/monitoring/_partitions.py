"""Photos in partitions: how many per partition, and one partition's records."""

import math

from ._pipeline import iter_images

__all__ = ["MAX_PARTITION_SIZE", "auto_partition_size", "run_partition", "split"]

#: The largest partition :func:`auto_partition_size` chooses: a photo takes about 0.1 s
#: of one core, so a partition is at most a couple of minutes of one worker's time (what
#: an interruption costs a resumed run) and a Parquet file of a few thousand rows.
MAX_PARTITION_SIZE = 1000


def auto_partition_size(n_photos, threads=1):
    """Photos per partition for ``n_photos`` on ``threads`` worker threads.

    Parameters
    ----------
    n_photos : int
        The photos to predict.
    threads : int, default=1
        The worker threads that predict them.

    Returns
    -------
    size : int
        About four partitions per thread, so that the threads share the work evenly
        to the end, and at most :data:`MAX_PARTITION_SIZE`.
    """
    return max(1, min(MAX_PARTITION_SIZE, math.ceil(n_photos / (4 * max(1, threads)))))


def split(items, size):
    """``items`` in consecutive lists of ``size`` (the last may be shorter)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_partition(predictor, items, on_error="record"):
    """The records of one partition.

    Parameters
    ----------
    predictor : FacePredictor
        Detects and classifies.
    items : list of (str, image)
        Each photo's ``source`` and the photo (a path, a URL or an array).
    on_error : {"record", "raise"}, default="record"
        See :func:`~bilstm_emotion.monitoring.predict_images`.

    Returns
    -------
    records : list of dict
        The photos' records, in order.
    """
    sources = [source for source, _ in items]
    images = [image for _, image in items]
    done = iter_images(images, predictor, sources=sources, on_error=on_error)
    return [record for *_, records in done for record in records]
