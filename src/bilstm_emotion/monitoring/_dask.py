"""Partitions of photos as the tasks of a Dask cluster, the predictor loaded once per worker.

Dask is the engine, not a scheduler of ours: each partition is one task. The
predictor (model and detector) travels once, as a worker plugin: the scheduler sends
it to every worker, including those that join or restart later, and each worker
keeps it deserialised for all its tasks, which carry only the plugin's name and
their photos. A worker that dies takes its running tasks with it and Dask runs them
again on another (its nanny starts a new one, which gets the plugin too); each task's
result is taken once, so each partition's records arrive exactly once. A partition
whose workers die every time (Dask's ``allowed-failures``) is run again photo by photo,
each photo alone on the cluster, so that a death is that photo's; the photo that kills
its worker even so gets an error record (or raises): the rest of its partition is not
lost, and a resumed run does not stop on it again and again. Imported only
when a client is given: ``distributed`` is an extra.
"""

import collections
import contextlib
import os
import uuid

from distributed import KilledWorker, WorkerPlugin, as_completed, get_worker

from ._partitions import run_partition
from ._pipeline import empty_record

__all__ = ["PredictorPlugin", "cluster_threads", "predict_on_cluster"]

#: How long a run waits for the cluster's first worker.
WORKER_TIMEOUT_S = 60


class PredictorPlugin(WorkerPlugin):
    """Carries a :class:`FacePredictor` to every worker of a cluster, once each."""

    def __init__(self, predictor):
        self.predictor = predictor
        self.name = f"bilstm-emotion-predictor-{uuid.uuid4().hex}"

    def setup(self, worker):
        pass  # unpickling the plugin on the worker loaded the predictor


def cluster_threads(client):
    """The threads of the cluster's workers, all together (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def wait_for_a_worker(client):
    """Return once the cluster has a worker; a clear error after a minute without one."""
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT_S)
    except TimeoutError:
        raise TimeoutError(
            f"Expected a worker in the Dask cluster of {client.scheduler.address}. "
            f"Received: none in {WORKER_TIMEOUT_S} s (start one: dask worker ADDRESS)"
        ) from None


def predict_on_cluster(partitions, predictor, client, *, on_error="record", ordered=False):
    """Yield ``(index, records, pid)`` of each partition, as the cluster finishes them.

    Parameters
    ----------
    partitions : list of list of (str, image)
        The photos, partition by partition.
    predictor : FacePredictor
        Sent to the workers once (:class:`PredictorPlugin`).
    client : distributed.Client
        The cluster.
    on_error : {"record", "raise"}, default="record"
        See :func:`~bilstm_emotion.monitoring.predict_images`.
    ordered : bool, default=False
        The caller hands the records on in input order: no partition is started
        more than two rounds of the cluster's threads ahead of the earliest
        unfinished one, so that those waiting for it stay few.

    Yields
    ------
    index : int
        The partition's position in ``partitions``.
    records : list of dict
        Its records.
    pid : int
        The id of the worker process that made them.
    """
    wait_for_a_worker(client)
    plugin = PredictorPlugin(predictor)
    client.register_plugin(plugin, name=plugin.name)
    pending = iter(enumerate(partitions))
    following = next(pending, None)
    running = {}  # future key -> (future, partition index, photo in it or None: all)
    retried = {}  # partition index -> {"records": [one list per photo], "left": count}
    # Photos of partitions whose workers died: each is run alone, with nothing else on
    # the cluster, so that a worker's death is that photo's (a task queued on a worker
    # that another task kills counts that death too, and may reach Dask's limit).
    alone = collections.deque()

    def submit(index, items, photo=None):
        future = client.submit(
            _predict_partition,
            plugin.name,
            items,
            on_error,
            pure=False,
            key=f"bilstm-emotion-partition-{index}-{uuid.uuid4().hex}",
        )
        running[future.key] = (future, index, photo)
        completed.add(future)

    def submit_while_room():
        nonlocal following
        if alone:  # drain the cluster, then one photo at a time
            if not running:
                index, photo = alone.popleft()
                submit(index, [partitions[index][photo]], photo)
            return
        window = 2 * cluster_threads(client)  # a cluster may grow or shrink as it works
        while following is not None and len(running) < window:
            earliest = min((index for _, index, _ in running.values()), default=following[0])
            if ordered and following[0] >= earliest + window:
                break
            submit(*following)
            following = next(pending, None)

    def killed(index, photo, error):
        """A task whose workers died each time: a partition's photos go to run alone;
        a photo that did, alone, is recorded as an error (or raised)."""
        items = partitions[index]
        if photo is None:
            retried[index] = {"records": [None] * len(items), "left": len(items)}
            alone.extend((index, j) for j in range(len(items)))
            return None
        source = items[photo][0]
        message = (
            f"Cannot predict {source}: the Dask worker reading it died every time it "
            f"tried, alone on the cluster (out of memory?): {error}"
        )
        if on_error == "raise":
            raise ValueError(message)
        return [empty_record(source, predictor.classes, f"error: {message}")]

    try:
        completed = as_completed()
        submit_while_room()
        for future in completed:
            _, index, photo = running.pop(future.key)
            try:
                records, pid = future.result()
            except KilledWorker as error:
                records, pid = killed(index, photo, error), None
            if records is not None and photo is not None:
                retry = retried[index]
                retry["records"][photo] = records
                retry["left"] -= 1
                records = None
                if not retry["left"]:
                    records = [r for found in retried.pop(index)["records"] for r in found]
            submit_while_room()
            if records is not None:
                yield index, records, pid
    finally:  # done, or stopped: nothing of this run stays on the cluster
        with contextlib.suppress(RuntimeError, OSError):  # unless the client is closed
            client.cancel([future for future, _, _ in running.values()])
            client.unregister_worker_plugin(plugin.name)


def _predict_partition(name, items, on_error):
    predictor = get_worker().plugins[name].predictor
    return run_partition(predictor, items, on_error), os.getpid()
