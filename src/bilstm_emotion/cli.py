"""The ``bilstm-emotion`` command line.

For now it has one subcommand, ``demo``: it finds the faces in a photo (by
default scikit-image's astronaut, which ships with scikit-image, so a fresh
install has something to show offline) and prints the emotion the pretrained
model sees in each. ``demo --synthetic`` instead trains a small classifier on
generated cartoon faces and reports how well it recognises new ones.
"""

import argparse
import sys
import time

import numpy as np

from ._pretrained import PRETRAINED

__all__ = ["main"]

DEMO_EPILOG = """examples:
  bilstm-emotion demo                          # the astronaut photo, default model
  bilstm-emotion demo --image me.jpg --model bilstm
  bilstm-emotion demo --synthetic --n-samples 1400 --epochs 40 --random-state 1
"""


def _demo(args):
    if args.synthetic:
        return _demo_synthetic(args)
    return _demo_pretrained(args)


def _demo_pretrained(args):
    import keras

    from ._pretrained import load_pretrained, pretrained_info
    from .preprocessing import FaceDetector, FaceNormalizer, ImageLoader

    if args.image is None:
        from skimage import data

        image, source = data.astronaut(), "scikit-image's astronaut photo (Eileen Collins)"
    else:
        image, source = args.image, args.image
    gray = ImageLoader().transform([image])[0]
    detector = FaceDetector(select="all", on_no_face="raise")
    boxes = detector.detect([gray])[0]
    if not boxes:
        raise ValueError(f"Expected at least one face in {source}. Received: no face found")
    faces = FaceNormalizer().transform([detector._crop(gray, box) for box in boxes])
    clf = load_pretrained(args.model)
    info = pretrained_info(args.model)
    start = time.perf_counter()
    proba = clf.predict_proba(faces)
    ms = (time.perf_counter() - start) * 1000
    print(
        f"Model {args.model!r} (FER2013 PublicTest accuracy {info['accuracy']:.3f}, "
        f"Keras backend {keras.backend.backend()}) on {source}, "
        f"{gray.shape[1]}x{gray.shape[0]} pixels: {len(boxes)} face(s), classified in {ms:.0f} ms"
    )
    header = "face  box (row, col, height, width)  emotion    " + " ".join(
        f"{c:>8}" for c in clf.classes_
    )
    print(header)
    for i, (box, p) in enumerate(zip(boxes, proba, strict=False), start=1):
        where = f"({box['row']}, {box['col']}, {box['height']}, {box['width']})"
        label = clf.classes_[p.argmax()]
        print(f"{i:>4}  {where:<31} {label:<10} " + " ".join(f"{v:8.3f}" for v in p))
    return 0


def _demo_synthetic(args):
    import keras
    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    from . import BiLSTMFaceEmotionClassifier
    from .datasets import make_synthetic_faces

    X, y = make_synthetic_faces(args.n_samples, random_state=args.random_state, return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.random_state
    )
    clf = BiLSTMFaceEmotionClassifier(
        row_hidden=args.row_hidden,
        col_hidden=args.col_hidden,
        epochs=args.epochs,
        batch_size=32,
        learning_rate=3e-3,
        random_state=args.random_state,
        verbose=0 if args.quiet else 2,
    )
    print(
        f"Training {clf.__class__.__name__}(row_hidden={args.row_hidden}, "
        f"col_hidden={args.col_hidden}) on {len(X_train)} generated 48x48 faces "
        f"for {args.epochs} epochs (Keras backend: {keras.backend.backend()})..."
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    y_pred = clf.predict(X_test)
    print(
        f"Trained in {seconds:.1f} s. Held-out accuracy on {len(X_test)} new faces: "
        f"{(y_pred == y_test).mean():.3f} (chance: {1 / len(clf.classes_):.3f})\n"
    )
    print(classification_report(y_test, y_pred, zero_division=0))
    return 0


EVALUATE_EPILOG = """examples:
  bilstm-emotion evaluate fer2013.zip --out report/
  bilstm-emotion evaluate fer2013.csv --subset private_test --model bilstm --out report/
  bilstm-emotion evaluate my_faces/ --estimator my_model.joblib --out report/ --overwrite
"""

_EVALUATE_FILES = (
    "report.json", "report.md", "confusion_matrix.png", "error_rates.png",
    "confident_mistakes.png", "history.png",
)  # fmt: skip


def _evaluate(args):
    from pathlib import Path

    from ._classifier import EMOTIONS
    from .datasets import load_fer2013, load_image_folder
    from .evaluation import evaluate

    out = Path(args.out)
    existing = [name for name in _EVALUATE_FILES if (out / name).exists()]
    if existing and not args.overwrite:
        raise ValueError(
            f"Expected a fresh output folder. Received: {out} already holds {existing[0]}; "
            "pass --overwrite to replace it"
        )
    if args.estimator:
        import joblib

        clf = joblib.load(args.estimator)
    else:
        from ._pretrained import load_pretrained

        clf = load_pretrained(args.model)
    data = Path(args.data)
    try:
        X, y = load_fer2013(data, subset=args.subset, return_X_y=True)
    except ValueError:
        if not data.is_dir():
            raise
        X, names = load_image_folder(data, return_X_y=True)
    else:
        if (y < 0).any():
            raise ValueError(
                f"Expected labelled faces. Received: {int((y < 0).sum())} unlabelled faces in "
                f"{data} (subset {args.subset!r})"
            )
        names = np.asarray(EMOTIONS)[y]
    if len(X) == 0:
        raise ValueError(f"Expected labelled faces in {data}. Received: none")
    report = evaluate(clf, X, names, timing=not args.no_timing)
    out.mkdir(parents=True, exist_ok=True)
    report.to_json(out / "report.json")
    (out / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    written = ["report.json", "report.md"]
    from . import plotting

    try:
        figures = {
            "confusion_matrix.png": lambda: plotting.plot_confusion_matrix(report),
            "error_rates.png": lambda: plotting.plot_error_rates(report),
            "confident_mistakes.png": lambda: plotting.plot_confident_mistakes(clf, X, names),
        }
        if getattr(clf, "history_", None):
            figures["history.png"] = lambda: plotting.plot_history(clf)
        import matplotlib.pyplot as plt

        for name, make in figures.items():
            fig = make()
            fig.savefig(out / name, dpi=120)
            plt.close(fig)
            written.append(name)
    except ImportError as exc:
        print(f"plots skipped: {exc}", file=sys.stderr)
    print(report.to_markdown())
    print(f"wrote {', '.join(written)} to {out}")
    return 0


def build_parser():
    """The argument parser of ``bilstm-emotion`` (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="bilstm-emotion",
        description="Recognise emotions in face images with a stacked Bi-LSTM.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="find the faces in a photo and print their emotions (offline, seconds)",
        description="Find every face in a photo (default: scikit-image's astronaut) and "
        "print the emotion probabilities the pretrained FER2013 model gives each. With "
        "--synthetic, train a small classifier on generated cartoon faces of the seven "
        "emotions instead and report its accuracy on faces it has not seen.",
        epilog=DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--image", default=None, help="photo to read (default: the astronaut)")
    demo.add_argument(
        "--model", default=PRETRAINED[0], choices=PRETRAINED, help=f"({PRETRAINED[0]})"
    )
    demo.add_argument(
        "--synthetic", action="store_true", help="train on generated faces instead (~1 min)"
    )
    demo.add_argument("--n-samples", type=int, default=700, help="faces to generate (700)")
    demo.add_argument("--epochs", type=int, default=25, help="training epochs (25)")
    demo.add_argument("--row-hidden", type=int, default=32, help="row Bi-LSTM units (32)")
    demo.add_argument("--col-hidden", type=int, default=32, help="column Bi-LSTM units (32)")
    demo.add_argument("--random-state", type=int, default=0, help="seed (0)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no per-epoch output")
    demo.set_defaults(func=_demo)

    ev = sub.add_parser(
        "evaluate",
        help="score a model on labelled faces; write JSON, Markdown and plots",
        description="Score the pretrained model (or a saved estimator) on labelled faces — "
        "FER2013 in any of its formats, or a folder of <label>/<image> — and write "
        "report.json, report.md and PNG plots (confusion matrix, errors per class, the most "
        "confident mistakes, training curves).",
        epilog=EVALUATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("data", help="FER2013 CSV, folder or zip, or a <label>/<image> folder")
    ev.add_argument("--subset", default="test", help="FER2013 split to score (test)")
    ev.add_argument("--model", default=PRETRAINED[0], choices=PRETRAINED)
    ev.add_argument("--estimator", default=None, help="a joblib/pickle file to use instead")
    ev.add_argument("--out", default="evaluation", help="output folder (evaluation)")
    ev.add_argument("--no-timing", action="store_true", help="skip the speed measurement")
    ev.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    ev.set_defaults(func=_evaluate)
    return parser


def main(argv=None):
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as exc:
        print(f"bilstm-emotion {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
