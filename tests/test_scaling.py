"""Scaling out: searches on a Dask cluster, data-parallel training over several devices."""

import json
import os
import subprocess
import sys
import textwrap
import time

import joblib
import keras
import numpy as np
import pytest
from distributed import Client, LocalCluster, get_task_stream
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV

from bilstm_emotion import BiLSTMFaceEmotionClassifier

SEARCHES = {
    # Scored by log-loss, which any change of seed or backend moves (one-epoch models are
    # close to uniform, so their accuracy often does not change).
    "grid": lambda est: GridSearchCV(
        est, {"row_hidden": [2, 4]}, cv=2, refit=False, scoring="neg_log_loss"
    ),
    "randomized": lambda est: RandomizedSearchCV(
        est, {"row_hidden": [2, 3, 4]}, n_iter=2, cv=2, refit=False, random_state=0
    ),
    "halving": lambda est: HalvingGridSearchCV(
        est, {"row_hidden": [2, 4]}, cv=2, factor=2, min_resources=30, refit=False
    ),
}


@pytest.fixture(scope="module")
def dask_client():
    """A real 2-process Dask cluster on this machine (the workers import TensorFlow)."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


# One cluster for the three searches: keep them on one pytest-xdist worker.
@pytest.mark.slow
@pytest.mark.xdist_group("dask_cluster")
@pytest.mark.parametrize("kind", SEARCHES)
def test_searches_fit_in_the_workers_of_a_dask_cluster(kind, dask_client, faces, make_clf):
    X, y = faces
    worker_pids = set(dask_client.run(os.getpid).values())
    workers = set(dask_client.scheduler_info()["workers"])
    original_fit = BiLSTMFaceEmotionClassifier.fit
    try:
        # The workers unpickle the estimator class from the installed package, unpatched.
        BiLSTMFaceEmotionClassifier.fit = _no_local_fit
        with joblib.parallel_config(backend="dask"), get_task_stream(dask_client) as stream:
            search = SEARCHES[kind](make_clf(epochs=1)).fit(X, y)
    finally:
        BiLSTMFaceEmotionClassifier.fit = original_fit

    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    # The workers inherit this process's environment: a KERAS_BACKEND leaked by another test
    # would make them train on another backend than this process.
    worker_backends = dask_client.run(_keras_backend)
    assert set(worker_backends.values()) == {keras.backend.backend()}, worker_backends
    fits = [task for task in stream.data if "_fit_and_score" in task["key"]]
    n_fits = len(search.cv_results_["params"]) * 2  # every candidate (of every round) x 2 folds
    assert len(fits) == n_fits and n_fits >= 4
    assert {task["worker"] for task in fits} <= workers
    assert all(part["stop"] > part["start"] for task in fits for part in task["startstops"])
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    if kind == "grid":
        # Same splits, same seeds, same scores as the search run here, in one process: the
        # workers' event loops draw from Python's random, so this holds only because a
        # seeded fit no longer leaves its layers' seeds to it (test_network.py).
        local = SEARCHES[kind](make_clf(epochs=1)).fit(X, y)
        assert search.cv_results_["params"] == local.cv_results_["params"]
        for key in ("split0_test_score", "split1_test_score"):
            np.testing.assert_allclose(search.cv_results_[key], local.cv_results_[key], rtol=1e-5)


def _keras_backend():
    import keras

    return keras.backend.backend()


def _no_local_fit(self, *args, **kwargs):
    raise AssertionError("fit ran in the test process, not in a Dask worker")


DATA_PARALLEL = textwrap.dedent(
    """
    import json
    import keras, numpy as np
    from bilstm_emotion import BiLSTMFaceEmotionClassifier
    from bilstm_emotion.datasets import make_synthetic_faces

    X, y = make_synthetic_faces(
        120, image_size=16, classes=("happy", "sad", "surprise"), random_state=0,
        return_X_y=True,
    )
    params = dict(row_hidden=8, col_hidden=8, epochs=4, batch_size=32, random_state=0,
                  learning_rate=5e-3)
    single = BiLSTMFaceEmotionClassifier(**params).fit(X, y)
    devices = keras.distribution.list_devices()
    with keras.distribution.DataParallel(devices=devices).scope():
        multi = BiLSTMFaceEmotionClassifier(**params).fit(X, y)
    kernel = multi.model_.trainable_weights[0].value
    print(json.dumps({
        "backend": keras.backend.backend(),
        "devices": devices,
        "variable_devices": len(kernel.sharding.device_set),
        "mesh": dict(kernel.sharding.mesh.shape),
        "single_accuracy": single.score(X, y),
        "multi_accuracy": multi.score(X, y),
        "max_proba_difference": float(
            np.abs(single.predict_proba(X) - multi.predict_proba(X)).max()
        ),
        "one_face": multi.predict_proba(X[:1]).shape,
    }))
    """
)


@pytest.mark.slow
def test_data_parallel_training_over_two_devices_matches_one_device():
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run(
        [sys.executable, "-c", DATA_PARALLEL], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "jax"
    assert result["devices"] == ["cpu:0", "cpu:1"]
    # every variable is replicated over the 2-device mesh whose "batch" axis splits the data
    assert result["variable_devices"] == 2 and result["mesh"] == {"batch": 2}
    assert result["multi_accuracy"] == pytest.approx(result["single_accuracy"], abs=0.02)
    assert result["max_proba_difference"] < 1e-4
    assert result["one_face"] == [1, 3]


# --- predicting photos on a cluster: bilstm_emotion.monitoring ----------------------------


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """16 photos: the astronaut cropped and turned 14 ways, a faceless wall, a broken file."""
    from PIL import Image
    from skimage import data

    folder = tmp_path_factory.mktemp("crowd")
    photo = Image.fromarray(data.astronaut())
    for i in range(14):
        crop = photo.crop((i * 8, i * 4, 512 - i * 6, 512 - i * 2))
        if i % 2:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        crop.save(folder / f"p{i:02d}.jpg", quality=90)
    Image.new("L", (200, 150), color=90).save(folder / "p14-wall.png")
    (folder / "p15-broken.jpg").write_bytes(b"not a jpeg")
    return [str(p) for p in sorted(folder.iterdir())]


@pytest.fixture(scope="module")
def crowd_records(crowd, pretrained):
    """The records of ``crowd`` predicted in this process, photo by photo."""
    from bilstm_emotion.monitoring import predict_images

    return predict_images(crowd, pretrained)


def _sorted_rows(records):
    return sorted(records, key=lambda r: (r["source"], r["face"]))


@pytest.mark.slow
@pytest.mark.xdist_group("dask_cluster")
def test_predict_images_on_a_dask_cluster_matches_one_process(
    dask_client, crowd, crowd_records, pretrained
):
    from bilstm_emotion.monitoring import FacePredictor, predict_images, predict_partitions
    from bilstm_emotion.monitoring._partitions import split

    records = predict_images(crowd, pretrained, client=dask_client, partition_size=3)
    assert records == crowd_records  # same rows, same order, same numbers
    assert sum(r["status"].startswith("error") for r in records) == 1
    # Each partition was a task in a worker process, not here.
    parts = split([(path, path) for path in crowd], 3)
    running = predict_partitions(parts, FacePredictor(pretrained), client=dask_client)
    done = [next(running)]
    # mid-run, each worker holds the predictor once, as a plugin the tasks look up by name
    held = dask_client.run(_plugins)
    assert all(len([n for n in names if "bilstm-emotion" in n]) == 1 for names in held.values())
    done += list(running)
    pids = [pid for *_, pid in done]
    worker_pids = set(dask_client.run(os.getpid).values())
    assert sorted(index for index, *_ in done) == list(range(len(parts)))
    assert set(pids) <= worker_pids and os.getpid() not in pids
    # the predictor went as a worker plugin, removed again at the end of the run
    assert not any(
        "bilstm-emotion" in name
        for name in dask_client.run(_plugins)[next(iter(dask_client.scheduler_info()["workers"]))]
    )
    # the worker threads each ran onnxruntime on one thread (Dask sets OMP_NUM_THREADS=1
    # in its workers)
    threads = dask_client.run(_onnx_threads)
    assert set(threads.values()) == {"1"}, threads


def _plugins(dask_worker):
    return list(dask_worker.plugins)


def _onnx_threads():
    return os.environ.get("OMP_NUM_THREADS")


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_no_photo_and_repeats_none(
    tmp_path, crowd, crowd_records, pretrained
):
    import signal

    from bilstm_emotion.monitoring import predict_to_parquet, read_records

    killed = {}
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)

        def kill_a_busy_worker(records, n_images, report):
            if killed or not n_images:
                return
            busy = [w for w, tasks in client.processing().items() if tasks]
            killed["worker"] = busy[0]
            killed["tasks"] = list(client.processing()[busy[0]])
            os.kill(pids[busy[0]], signal.SIGKILL)

        report = predict_to_parquet(
            crowd,
            tmp_path / "faces",
            pretrained,
            client=client,
            partition_size=1,
            callback=kill_a_busy_worker,
        )
        restarted = client.run(os.getpid)
    assert killed["tasks"], "the killed worker was running a partition"
    assert (
        killed["worker"] not in restarted or restarted[killed["worker"]] != pids[killed["worker"]]
    )
    assert report["predicted"] == len(crowd) and report["partitions"] == len(crowd)
    _, rows = read_records(tmp_path / "faces")
    rows = list(rows)
    # every photo's rows exactly once, as one process makes them
    assert _sorted_rows(rows) == _sorted_rows(crowd_records)


@pytest.mark.slow
@pytest.mark.xdist_group("dask_cluster")
def test_a_rerun_after_an_interruption_predicts_only_the_missing_photos(
    tmp_path, dask_client, crowd, crowd_records, pretrained
):
    from bilstm_emotion.monitoring import predict_to_parquet, read_records

    class Interrupted(Exception):
        pass

    written = []

    def stop_after_two(records, n_images, report):
        if n_images:
            written.append(n_images)
        if len(written) == 2:
            raise Interrupted

    out = tmp_path / "faces"
    with pytest.raises(Interrupted):
        predict_to_parquet(
            crowd, out, pretrained, client=dask_client, partition_size=2, callback=stop_after_two
        )
    assert len(list(out.glob("part-*.parquet"))) == 2  # what finished is kept
    # nothing of the stopped run is left on the cluster (cancelling takes a moment)
    for _ in range(100):
        if not any(dask_client.processing().values()):
            break
        time.sleep(0.1)
    assert not any(dask_client.processing().values())
    with pytest.raises(FileExistsError, match="--resume"):
        predict_to_parquet(crowd, out, pretrained, client=dask_client)
    seen = []
    report = predict_to_parquet(
        crowd,
        out,
        pretrained,
        client=dask_client,
        partition_size=2,
        resume=True,
        callback=lambda records, n, report: seen.extend(r["source"] for r in records),
    )
    assert report["skipped"] == 4 and report["predicted"] == len(crowd) - 4
    assert len(set(seen)) == report["predicted"] and set(seen) <= set(crowd)
    _, rows = read_records(out)
    assert _sorted_rows(rows) == _sorted_rows(crowd_records)


class _Deadly:
    """A classifier whose process dies on an all-white face (a photo that kills its
    worker: out of memory, a crash in a decoder)."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_

    def predict_proba(self, X):
        if (np.asarray(X) > 0.99).all(axis=(1, 2)).any():
            os._exit(1)
        return self.model.predict_proba(X)


@pytest.mark.slow
def test_a_photo_that_kills_its_worker_every_time_gets_an_error_record(tmp_path, pretrained):
    import sys

    import cloudpickle
    import dask
    from PIL import Image

    from bilstm_emotion.monitoring import predict_to_parquet, read_records

    rng = np.random.default_rng(0)
    paths = []
    for i in range(12):
        face = np.full((48, 48), 255, np.uint8) if i == 4 else rng.integers(0, 200, (48, 48))
        paths.append(str(tmp_path / f"f{i}.png"))
        Image.fromarray(face.astype(np.uint8)).save(paths[-1])
    module = sys.modules[_Deadly.__module__]
    cloudpickle.register_pickle_by_value(module)  # the workers cannot import the tests
    try:
        with (
            dask.config.set({"distributed.scheduler.allowed-failures": 1}),
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            report = predict_to_parquet(
                paths,
                tmp_path / "faces",
                _Deadly(pretrained),
                detect=False,
                client=client,
                partition_size=2,  # 6 tasks: some wait on the worker that dies
            )
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    _, rows = read_records(tmp_path / "faces")
    by_source = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row)
    assert sorted(by_source) == sorted(paths) and all(len(r) == 1 for r in by_source.values())
    [deadly] = by_source[paths[4]]
    assert deadly["status"].startswith(f"error: Cannot predict {paths[4]}: the Dask worker")
    assert all(by_source[p][0]["status"] == "ok" for p in paths if p != paths[4])
    assert report["failed"] == 1 and report["predicted"] == 12
