"""``evaluate``: score a model on labelled faces; write JSON, Markdown and plots."""

import argparse
import sys
from pathlib import Path

from ._common import (
    add_model_options,
    add_output_options,
    check_outputs,
    load_labelled,
    load_model,
)
from ._train import add_data

EVALUATE_EPILOG = """examples:
  bilstm-emotion evaluate fer2013.zip --out report/
  bilstm-emotion evaluate fer2013.csv --subset private_test --model bilstm --out report/
  bilstm-emotion evaluate my_faces/ --estimator my_model.skops --out report/ --overwrite
"""


def _evaluate(args):
    from .. import plotting
    from ..evaluation import evaluate

    out = Path(args.out)
    files = [
        "report.json",
        "report.md",
        "confusion_matrix.png",
        "error_rates.png",
        "confident_mistakes.png",
        "history.png",
    ]
    check_outputs([out / name for name in files], args.overwrite)
    clf = load_model(args)
    X, names = load_labelled(args.data, args.subset)
    report = evaluate(clf, X, names, timing=not args.no_timing)
    out.mkdir(parents=True, exist_ok=True)
    report.to_json(out / "report.json")
    (out / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    written = ["report.json", "report.md"]
    try:
        plt = plotting.pyplot()

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
    except ImportError as exc:  # the base install: the report without its figures
        print(f"plots skipped: {exc}", file=sys.stderr)
    if not args.quiet:
        print(report.to_markdown())
        print(f"wrote {', '.join(written)} to {out}")
    return 0


def add_parser(sub):
    e = sub.add_parser(
        "evaluate",
        help="score a model on labelled faces; write JSON, Markdown and plots",
        description="Score the pretrained model (or a saved estimator) on labelled faces — "
        "FER2013 in any of its formats, or a folder of <label>/<image> — and write "
        "report.json, report.md and PNG plots (confusion matrix, errors per class, the most "
        "confident mistakes, training curves).",
        epilog=EVALUATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data(e)
    e.add_argument("--subset", default="test", help="FER2013 split to score (test)")
    e.add_argument("--out", default="evaluation", help="output folder (evaluation)")
    e.add_argument("--no-timing", action="store_true", help="skip the speed measurement")
    add_model_options(e)
    add_output_options(e)
    e.set_defaults(func=_evaluate)
