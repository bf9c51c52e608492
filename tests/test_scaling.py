"""Scaling out: searches on a Dask cluster, data-parallel training over several devices."""

import json
import os
import subprocess
import sys
import textwrap

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
