"""The seed study's grid search, done right: GridSearchCV vs HalvingGridSearchCV.

Searches ``row_hidden`` in {32, 64, 128} x ``col_hidden`` in {16, 32, 64} with
stratified 3-fold cross-validation on a stratified subset of FER2013 ``train/``
(``--per-class`` faces of each emotion; disgust has 436), prints the table in
the study's format (``mean (std) with: {params}``) and ``best_params_`` for
both searches, and writes everything, with wall times, as JSON::

    python benchmarks/grid_search.py ../shared/data/fer2013-dev.zip \\
        --per-class 100 --epochs 4 --out benchmarks/results/grid_search.json
"""

import argparse
import time

import keras
import numpy as np
from _common import write_report  # benchmarks/ is on sys.path when run as a script
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, StratifiedKFold

from bilstm_emotion import EMOTIONS, BiLSTMFaceEmotionClassifier
from bilstm_emotion.datasets import load_fer2013

PARAM_GRID = {"row_hidden": [32, 64, 128], "col_hidden": [16, 32, 64]}


def stratified_subset(y, per_class, seed):
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(y == c))[:per_class] for c in np.unique(y)]
    return np.sort(np.concatenate(keep))


def table(search):
    res = search.cv_results_
    rows = []
    for i, params in enumerate(res["params"]):
        row = {
            "params": params,
            "mean": float(res["mean_test_score"][i]),
            "std": float(res["std_test_score"][i]),
            "rank": int(res["rank_test_score"][i]),
            "mean_fit_time": float(res["mean_fit_time"][i]),
        }
        if "n_resources" in res:
            row["iteration"], row["n_resources"] = int(res["iter"][i]), int(res["n_resources"][i])
        rows.append(row)
    return rows


def report(name, search, seconds):
    print(f"\n{name}: Best: {search.best_score_:f} using {search.best_params_} ({seconds:.0f} s)")
    res = search.cv_results_
    for i, params in enumerate(res["params"]):
        extra = ""
        if "n_resources" in res:
            extra = f"  [iteration {res['iter'][i]}, {res['n_resources'][i]} faces]"
        print(
            f"{res['mean_test_score'][i]:f} ({res['std_test_score'][i]:f}) with: {params}{extra}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 CSV, folder or zip")
    parser.add_argument("--per-class", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--factor", type=int, default=3, help="HalvingGridSearchCV factor")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/grid_search.json")
    args = parser.parse_args(argv)

    X, y = load_fer2013(args.path, subset="train", return_X_y=True)
    keep = stratified_subset(y, args.per_class, args.random_state)
    X, y = X[keep], np.asarray(EMOTIONS)[y[keep]]
    estimator = BiLSTMFaceEmotionClassifier(
        epochs=args.epochs, batch_size=args.batch_size, random_state=args.random_state
    )
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    print(f"{len(X)} faces, {args.cv}-fold stratified CV, {estimator!r}")

    results = {}
    searches = {
        "GridSearchCV": GridSearchCV(estimator, PARAM_GRID, cv=cv, n_jobs=args.n_jobs),
        "HalvingGridSearchCV": HalvingGridSearchCV(
            estimator,
            PARAM_GRID,
            cv=cv,
            factor=args.factor,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
        ),
    }
    for name, search in searches.items():
        start = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - start
        report(name, search, seconds)
        results[name] = {
            "wall_s": seconds,
            "best_params": search.best_params_,
            "best_score": float(search.best_score_),
            "n_fits": len(search.cv_results_["params"]) * args.cv,
            "table": table(search),
        }
        if name == "HalvingGridSearchCV":
            results[name]["n_candidates"] = [int(n) for n in search.n_candidates_]
            results[name]["n_resources"] = [int(n) for n in search.n_resources_]
            results[name]["iter"] = [int(i) for i in search.cv_results_["iter"]]
    grid, halving = results["GridSearchCV"], results["HalvingGridSearchCV"]
    same = grid["best_params"] == halving["best_params"]
    ratio = halving["wall_s"] / grid["wall_s"]
    grid_rank = {str(r["params"]): r["rank"] for r in grid["table"]}
    print(
        f"\nSame best configuration: {same}; HalvingGridSearchCV took {ratio:.0%} of the time. "
        f"Its choice ranks #{grid_rank[str(halving['best_params'])]} of 9 in the full grid."
    )
    write_report(
        {
            "benchmark": "grid_search",
            "backend": keras.backend.backend(),
            "n_faces": len(X),
            "per_class": args.per_class,
            "cv": args.cv,
            "estimator": {k: v for k, v in estimator.get_params().items() if k != "verbose"},
            "param_grid": PARAM_GRID,
            "searches": results,
            "same_best": same,
            "time_ratio": ratio,
            "halving_choice_rank_in_grid": grid_rank[str(halving["best_params"])],
        },
        args.out,
    )


if __name__ == "__main__":
    main()
