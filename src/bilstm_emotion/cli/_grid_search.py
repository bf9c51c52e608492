"""``grid-search``: cross-validated search over estimator parameters (joblib or Dask)."""

import argparse
import contextlib
import time

from ._common import (
    Outputs,
    add_output_options,
    add_scheduler_option,
    dask_client,
    load_labelled,
    parse_assignments,
    progress,
    write_json,
)
from ._train import add_data, add_estimator_options, make_estimator, subsample

GRID_EPILOG = """examples:
  bilstm-emotion grid-search fer2013.zip --param row_hidden=32,64,128 --param col_hidden=16,32,64
  bilstm-emotion grid-search fer2013.zip --param row_hidden=32,64 --halving --train-size 2000 \\
      --set epochs=4 --cv 3 --out search.json
  bilstm-emotion grid-search fer2013.zip --param row_hidden=32,64 --scheduler tcp://host:8786
"""


def _grid_search(args):
    with Outputs([args.out], overwrite=args.overwrite) as outputs:
        return _run_grid_search(args, outputs)


def _run_grid_search(args, outputs):
    import numpy as np
    from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold

    grid = {}
    for name, values in parse_assignments(args.param, "--param").items():
        grid[name] = list(values) if isinstance(values, (tuple, list)) else [values]
    if not grid:
        raise ValueError("Expected at least one --param name=v1,v2. Received: none")
    clf = make_estimator(args).set_params(verbose=0)
    X, y = load_labelled(args.data, args.subset, lazy=args.stream)
    X, y = subsample(X, y, args.train_size, args.random_state)
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    if args.halving:
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingGridSearchCV

        search = HalvingGridSearchCV(
            clf, grid, cv=cv, n_jobs=args.n_jobs, random_state=args.random_state
        )
    else:
        search = GridSearchCV(clf, grid, cv=cv, n_jobs=args.n_jobs)
    search.set_params(verbose=0 if args.quiet else 1)
    start = time.perf_counter()
    # every fit of a grid is known in advance; a halving search decides as it goes
    total = None if args.halving else len(ParameterGrid(grid)) * args.cv
    with _parallel_backend(args.scheduler), fit_progress(total, quiet=args.quiet):
        search.fit(X, y)
    seconds = time.perf_counter() - start
    res = search.cv_results_
    last = np.asarray(res.get("iter", np.zeros(len(res["params"]))))
    rows = [
        {"mean": float(m), "std": float(s), "params": p, "iter": int(i)}
        for m, s, p, i in zip(
            res["mean_test_score"], res["std_test_score"], res["params"], last, strict=True
        )
    ]
    if not args.quiet:
        print(f"Best: {search.best_score_:.6f} using {search.best_params_}")
        for r in rows:
            if r["iter"] == last.max():
                print(f"{r['mean']:.6f} ({r['std']:.6f}) with: {r['params']}")
        n_splits = int(search.n_splits_)
        print(
            f"{len(rows)} candidates x {n_splits} folds = {len(rows) * n_splits} fits "
            f"in {seconds:.1f} s"
        )
    if args.out:
        write_json(
            outputs,
            args.out,
            {
                "best_params": search.best_params_,
                "best_score": float(search.best_score_),
                "seconds": seconds,
                "n_samples": len(X),
                "results": rows,
            },
        )
    return 0


@contextlib.contextmanager
def fit_progress(total, *, quiet):
    """A progress bar over the search's fits, with the time left where ``total`` is known.

    joblib tells how many of its tasks are done through ``Parallel.print_progress``
    (its ``verbose`` output), on every backend, sequential and Dask included: for the
    search, that method moves the bar instead of printing.
    """
    import joblib

    bar = progress(total=total, desc="fits", quiet=quiet, unit="fit")
    done = {}  # per Parallel call (a halving search makes one per round)
    original = joblib.Parallel.print_progress

    def advance(parallel):
        count = parallel.n_completed_tasks
        bar.update(count - done.get(id(parallel), 0))
        done[id(parallel)] = count

    joblib.Parallel.print_progress = advance
    try:
        yield bar
    finally:
        joblib.Parallel.print_progress = original
        bar.close()


@contextlib.contextmanager
def _parallel_backend(scheduler):
    """Run joblib's work on the Dask scheduler at ``scheduler`` ("local": a new local cluster)."""
    if scheduler is None:
        yield
        return
    import joblib

    with dask_client(scheduler), joblib.parallel_config(backend="dask"):
        yield


def add_parser(sub):
    g = sub.add_parser(
        "grid-search",
        help="cross-validated grid search over estimator parameters",
        description="GridSearchCV (or HalvingGridSearchCV with --halving) with stratified "
        "folds; prints the study's table (mean (std) with: {params}) and best_params_.",
        epilog=GRID_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data(g)
    g.add_argument("--subset", default="train", help="FER2013 split to search on (train)")
    g.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="a parameter and its values, e.g. --param row_hidden=32,64",
    )
    g.add_argument("--cv", type=int, default=3, help="cross-validation folds (3)")
    g.add_argument("--halving", action="store_true", help="successive halving over faces")
    g.add_argument("--n-jobs", type=int, default=None, help="parallel fits (joblib)")
    add_scheduler_option(g, "run the fits")
    g.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the --train-size sample, the folds' shuffle and the halving search (0)",
    )
    g.add_argument("--out", default=None, metavar="FILE.json", help="write all results here")
    add_estimator_options(g)
    add_output_options(g)
    g.set_defaults(func=_grid_search)
