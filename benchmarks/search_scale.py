"""One GridSearchCV run locally (n_jobs=1), on 2 loky processes and on a 2-worker Dask cluster.

Reports the wall time of each and whether every way finds the same
``best_params_``. The Dask cluster is a ``LocalCluster`` on this machine (2
worker processes, 1 thread each); pointing ``Client`` at a remote scheduler
runs the identical code on other machines.

Usage::

    python benchmarks/search_scale.py ../shared/data/fer2013-dev.zip
"""

import argparse
import os
import time

import joblib
import numpy as np
from _common import fer2013_train_test, write_report
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from bilstm_emotion import BiLSTMFaceEmotionClassifier

# Small networks that learn in a few epochs (4x4 patches, a ReNet sweep); the learning rates
# differ enough that a search must tell them apart.
GRID = {"learning_rate": [1e-4, 3e-3], "row_hidden": [16, 32]}
BASE = dict(
    patch_size=4,
    sweep_layers=1,
    sweep_hidden=16,
    col_hidden=16,
    epochs=4,
    batch_size=64,
    random_state=0,
)


def search(n_jobs):
    return GridSearchCV(
        BiLSTMFaceEmotionClassifier(**BASE),
        GRID,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=n_jobs,
        refit=False,
    )


def timed(label, X, y, n_jobs, backend):
    start = time.perf_counter()
    with joblib.parallel_config(backend=backend):
        result = search(n_jobs).fit(X, y)
    seconds = time.perf_counter() - start
    scores = result.cv_results_["mean_test_score"].tolist()
    print(
        f"{label:28s} {seconds:7.1f} s  best {result.best_params_}  scores "
        f"{[round(v, 3) for v in scores]}"
    )
    return {
        "how": label,
        "wall_s": seconds,
        "best_params": result.best_params_,
        "mean_test_score": scores,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 CSV, folder or zip")
    parser.add_argument("--faces", type=int, default=3000, help="training faces searched over")
    parser.add_argument("--out", default="benchmarks/results/search_scale.json")
    args = parser.parse_args(argv)

    X, y, _, _ = fer2013_train_test(args.path)
    keep = np.random.default_rng(0).permutation(len(X))[: args.faces]
    X, y = X[keep], y[keep]

    from distributed import Client, LocalCluster

    runs = [
        timed("n_jobs=1 (this process)", X, y, 1, "loky"),
        timed("n_jobs=2 (loky processes)", X, y, 2, "loky"),
    ]
    start = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        startup_s = time.perf_counter() - start
        runs.append(timed("Dask LocalCluster, 2 workers", X, y, -1, "dask"))
    runs[-1]["cluster_start_s"] = startup_s
    same = all(r["best_params"] == runs[0]["best_params"] for r in runs)
    print(f"same best_params_ everywhere: {same}; cluster start {startup_s:.1f} s")
    import keras

    write_report(
        {
            "benchmark": "search_scale",
            "faces": len(X),
            "grid": GRID,
            "params": BASE,
            "cv": 3,
            "fits": 3 * int(np.prod([len(v) for v in GRID.values()])),
            "backend": keras.backend.backend(),
            "cpu_count": os.cpu_count(),
            "same_best_params": same,
            "runs": runs,
        },
        args.out,
    )


if __name__ == "__main__":
    main()
