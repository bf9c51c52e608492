"""``train``, ``evaluate`` and ``grid-search``: the library's fitting and scoring calls."""

import argparse
import contextlib
import sys
import time
from pathlib import Path

from .._pretrained import PRETRAINED
from ._common import (
    Outputs,
    add_model_options,
    add_output_options,
    check_outputs,
    load_labelled,
    load_model,
    parse_assignments,
    write_json,
)

TRAIN_EPILOG = """examples:
  bilstm-emotion train fer2013.zip --out model.skops --like conv-bilstm --epochs 30
  bilstm-emotion train my_faces/ --out model.skops --set row_hidden=64 --set flip=True
  bilstm-emotion train huge.zip --out model.skops --stream      # read faces batch by batch
  bilstm-emotion predict photo.jpg --estimator model.skops
"""

GRID_EPILOG = """examples:
  bilstm-emotion grid-search fer2013.zip --param row_hidden=32,64,128 --param col_hidden=16,32,64
  bilstm-emotion grid-search fer2013.zip --param row_hidden=32,64 --halving --train-size 2000 \\
      --set epochs=4 --cv 3 --out search.json
  bilstm-emotion grid-search fer2013.zip --param row_hidden=32,64 --scheduler tcp://host:8786
"""

EVALUATE_EPILOG = """examples:
  bilstm-emotion evaluate fer2013.zip --out report/
  bilstm-emotion evaluate fer2013.csv --subset private_test --model bilstm --out report/
  bilstm-emotion evaluate my_faces/ --estimator my_model.skops --out report/ --overwrite
"""


def _estimator(args):
    from .._classifier import BiLSTMFaceEmotionClassifier

    params = {}
    if args.like:
        from .._pretrained import pretrained_info, pretrained_params

        params = pretrained_params(pretrained_info(args.like))
    params.update(parse_assignments(args.set, "--set"))
    if args.epochs is not None:
        params["epochs"] = args.epochs
    params.setdefault("verbose", 0 if args.quiet else 2)
    clf = BiLSTMFaceEmotionClassifier()
    unknown = sorted(set(params) - set(clf.get_params()))
    if unknown:
        raise ValueError(
            f"Expected parameters of BiLSTMFaceEmotionClassifier. Received: {unknown[0]!r} "
            f"(known: {', '.join(sorted(clf.get_params()))})"
        )
    return clf.set_params(**params)


def _subsample(X, y, n, seed):
    import numpy as np
    from sklearn.model_selection import train_test_split

    if n is None or n >= len(X):
        return X, y
    X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=seed)
    return X, np.asarray(y)


def _train(args):
    from .._persistence import save_estimator

    if Path(args.out).suffix.lower() != ".skops":
        raise ValueError(
            f"Expected --out ending in .skops (a safe format: loading it runs no code). "
            f"Received: --out {args.out}"
        )
    check_outputs([args.out], args.overwrite)
    clf = _estimator(args)
    X, y = load_labelled(args.data, args.subset, lazy=args.stream)
    X, y = _subsample(X, y, args.train_size, clf.random_state or 0)
    if not args.quiet:
        print(f"training on {len(X)} faces from {args.data}: {clf!r}")
    start = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    save_estimator(clf, args.out, overwrite=args.overwrite)
    if not args.quiet:
        print(f"trained in {seconds:.1f} s ({clf.n_iter_} epochs); training accuracy "
              f"{clf.history_['accuracy'][-1]:.3f}; saved to {args.out}")  # fmt: skip
    return 0


def _grid_search(args):
    with Outputs([args.out], overwrite=args.overwrite) as outputs:
        return _run_grid_search(args, outputs)


def _run_grid_search(args, outputs):
    import numpy as np
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    grid = {}
    for name, values in parse_assignments(args.param, "--param").items():
        grid[name] = list(values) if isinstance(values, (tuple, list)) else [values]
    if not grid:
        raise ValueError("Expected at least one --param name=v1,v2. Received: none")
    clf = _estimator(args).set_params(verbose=0)
    X, y = load_labelled(args.data, args.subset, lazy=args.stream)
    X, y = _subsample(X, y, args.train_size, args.random_state)
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    if args.halving:
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingGridSearchCV

        search = HalvingGridSearchCV(clf, grid, cv=cv, n_jobs=args.n_jobs,
                                     random_state=args.random_state)  # fmt: skip
    else:
        search = GridSearchCV(clf, grid, cv=cv, n_jobs=args.n_jobs)
    search.set_params(verbose=0 if args.quiet else 1)
    start = time.perf_counter()
    with _parallel_backend(args.scheduler):
        search.fit(X, y)
    seconds = time.perf_counter() - start
    res = search.cv_results_
    last = np.asarray(res.get("iter", np.zeros(len(res["params"]))))
    rows = [
        {"mean": float(m), "std": float(s), "params": p, "iter": int(i)}
        for m, s, p, i in zip(res["mean_test_score"], res["std_test_score"], res["params"],
                              last, strict=True)
    ]  # fmt: skip
    if not args.quiet:
        print(f"Best: {search.best_score_:.6f} using {search.best_params_}")
        for r in rows:
            if r["iter"] == last.max():
                print(f"{r['mean']:.6f} ({r['std']:.6f}) with: {r['params']}")
        print(f"{len(rows)} fits of {args.cv} folds in {seconds:.1f} s")
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


def _evaluate(args):
    from .. import plotting
    from ..evaluation import evaluate

    out = Path(args.out)
    files = ["report.json", "report.md", "confusion_matrix.png", "error_rates.png",
             "confident_mistakes.png", "history.png"]  # fmt: skip
    check_outputs([out / name for name in files], args.overwrite)
    clf = load_model(args)
    X, names = load_labelled(args.data, args.subset)
    report = evaluate(clf, X, names, timing=not args.no_timing)
    out.mkdir(parents=True, exist_ok=True)
    report.to_json(out / "report.json")
    (out / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    written = ["report.json", "report.md"]
    try:
        import matplotlib.pyplot as plt

        figures = {
            "confusion_matrix.png": lambda: plotting.plot_confusion_matrix(report),
            "error_rates.png": lambda: plotting.plot_error_rates(report),
            "confident_mistakes.png": lambda: plotting.plot_confident_mistakes(clf, X, names),
        }
        if getattr(clf, "history_", None):
            figures["history.png"] = lambda: plotting.plot_history(clf)
        for name, make in figures.items():
            fig = make()
            fig.savefig(out / name, dpi=120)
            plt.close(fig)
            written.append(name)
    except ImportError as exc:  # pragma: no cover - depends on the install
        print(f"plots skipped: {exc}", file=sys.stderr)
    if not args.quiet:
        print(report.to_markdown())
        print(f"wrote {', '.join(written)} to {out}")
    return 0


@contextlib.contextmanager
def _parallel_backend(scheduler):
    """Run joblib's work on the Dask scheduler at ``scheduler`` ("local": a new local cluster)."""
    if scheduler is None:
        yield
        return
    import joblib

    try:
        from distributed import Client
    except ImportError:
        raise ValueError(
            "Expected dask.distributed for --scheduler. Received: it is not installed; "
            'pip install "bilstm-emotion[dask]"'
        ) from None
    options = {"threads_per_worker": 1} if scheduler == "local" else {"address": scheduler}
    try:
        client = Client(**options, timeout="20s")
    except OSError as exc:
        raise ValueError(f"Cannot reach the Dask scheduler {scheduler}: {exc}") from None
    with client, joblib.parallel_config(backend="dask"):
        yield


def _add_data(p):
    p.add_argument("data", help="FER2013 CSV, folder or zip, or a <label>/<image> folder")


def _add_estimator_options(p):
    p.add_argument("--like", choices=PRETRAINED, default=None,
                   help="start from a shipped model's hyperparameters")  # fmt: skip
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="any estimator parameter, e.g. --set row_hidden=64")  # fmt: skip
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--train-size", type=int, default=None, metavar="N",
                   help="a stratified sample of N faces")  # fmt: skip
    p.add_argument("--stream", action="store_true",
                   help="read the faces from disk batch by batch (image files only)")  # fmt: skip


def add_parsers(sub):
    t = sub.add_parser(
        "train", help="fit a classifier on labelled faces and save it (.skops)",
        description="Fit BiLSTMFaceEmotionClassifier on FER2013 (any format; --subset picks "
        "the split) or a <label>/<image> folder, and save the fitted estimator with skops "
        "for predict/video/summary/evaluate --estimator.",
        epilog=TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    _add_data(t)
    t.add_argument("--subset", default="train", help="FER2013 split to train on (train)")
    t.add_argument(
        "--out", required=True, metavar="FILE.skops", help="where to save the estimator"
    )
    _add_estimator_options(t)
    add_output_options(t)
    t.set_defaults(func=_train)

    g = sub.add_parser(
        "grid-search", help="cross-validated grid search over estimator parameters",
        description="GridSearchCV (or HalvingGridSearchCV with --halving) with stratified "
        "folds; prints the study's table (mean (std) with: {params}) and best_params_.",
        epilog=GRID_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    _add_data(g)
    g.add_argument("--subset", default="train", help="FER2013 split to search on (train)")
    g.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2",
                   help="a parameter and its values, e.g. --param row_hidden=32,64")  # fmt: skip
    g.add_argument("--cv", type=int, default=3, help="folds (3)")
    g.add_argument("--halving", action="store_true", help="successive halving over faces")
    g.add_argument("--n-jobs", type=int, default=None, help="parallel fits (joblib)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help='run the fits on a Dask cluster (its scheduler address, or "local")'
                   )  # fmt: skip
    g.add_argument("--random-state", type=int, default=0)
    g.add_argument("--out", default=None, metavar="FILE.json", help="write all results here")
    _add_estimator_options(g)
    add_output_options(g)
    g.set_defaults(func=_grid_search)

    e = sub.add_parser(
        "evaluate", help="score a model on labelled faces; write JSON, Markdown and plots",
        description="Score the pretrained model (or a saved estimator) on labelled faces — "
        "FER2013 in any of its formats, or a folder of <label>/<image> — and write "
        "report.json, report.md and PNG plots (confusion matrix, errors per class, the most "
        "confident mistakes, training curves).",
        epilog=EVALUATE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    _add_data(e)
    e.add_argument("--subset", default="test", help="FER2013 split to score (test)")
    e.add_argument("--out", default="evaluation", help="output folder (evaluation)")
    e.add_argument("--no-timing", action="store_true", help="skip the speed measurement")
    add_model_options(e)
    add_output_options(e)
    e.set_defaults(func=_evaluate)
