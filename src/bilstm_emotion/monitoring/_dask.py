"""Partitions of photos as the tasks of a Dask cluster, the predictor loaded once per worker.

Dask is the engine, not a scheduler of ours: each partition is one task. The
predictor (model and detector) travels once, as a worker plugin: the scheduler sends
it to every worker, including those that join or restart later, and each worker
keeps it deserialised for all its tasks, which carry only the plugin's name and
their photos. A worker that dies takes its running tasks with it and Dask runs them
again on another (its nanny starts a new one, which gets the plugin too); each task's
result is taken once, so each partition's records arrive exactly once. Imported only
when a client is given: ``distributed`` is an extra.
"""

import contextlib
import os
import uuid

from distributed import WorkerPlugin, as_completed, get_worker

from ._partitions import run_partition

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
    workers = client.scheduler_info()["workers"].values()
    return max(1, sum(w["nthreads"] for w in workers))


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
    running = {}  # future key -> (future, index)
    following = next(pending, None)

    def window():  # a cluster may grow or shrink while it works
        return 2 * cluster_threads(client)

    def submit_while_room(completed):
        nonlocal following
        while following is not None and len(running) < window():
            earliest = min((index for _, index in running.values()), default=following[0])
            if ordered and following[0] >= earliest + window():
                break
            index, items = following
            future = client.submit(
                _predict_partition,
                plugin.name,
                items,
                on_error,
                pure=False,
                key=f"bilstm-emotion-partition-{index}-{uuid.uuid4().hex}",
            )
            running[future.key] = (future, index)
            completed.add(future)
            following = next(pending, None)

    try:
        completed = as_completed()
        submit_while_room(completed)
        for future in completed:
            records, pid = future.result()
            _, index = running.pop(future.key)
            submit_while_room(completed)
            yield index, records, pid
    finally:  # done, or stopped: nothing of this run stays on the cluster
        with contextlib.suppress(RuntimeError, OSError):  # unless the client is closed
            client.cancel([future for future, _ in running.values()])
            client.unregister_worker_plugin(plugin.name)


def _predict_partition(name, items, on_error):
    predictor = get_worker().plugins[name].predictor
    return run_partition(predictor, items, on_error), os.getpid()
