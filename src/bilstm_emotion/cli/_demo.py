"""``demo``: the pretrained model on a photo, or a small model trained on generated faces."""

import argparse
import time

from ..core._backend import backend_name
from ..core._registry import PRETRAINED
from . import _predict

DEMO_EPILOG = """examples:
  bilstm-emotion demo                          # = predict --demo: the astronaut photo
  bilstm-emotion demo --image me.jpg --model bilstm
  bilstm-emotion demo --synthetic --n-samples 1400 --epochs 40 --random-state 1
"""


def _demo(args):
    if args.synthetic:
        return _demo_synthetic(args)
    return _demo_pretrained(args)


def _demo_pretrained(args):
    """``predict --demo`` (or ``predict IMAGE``) with the model asked for: one demo, one
    output."""
    parser = argparse.ArgumentParser(prog="bilstm-emotion")
    _predict.add_parser(parser.add_subparsers(dest="command"))
    argv = ["predict", "--model", args.model, *([args.image] if args.image else ["--demo"])]
    predict = parser.parse_args(argv)
    predict.command = args.command  # messages name the command the user typed
    return predict.func(predict)


def _demo_synthetic(args):
    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    from .. import BiLSTMFaceEmotionClassifier
    from ..datasets._synthetic import make_synthetic_faces

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
        f"for {args.epochs} epochs (Keras backend: {backend_name()})..."
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


def add_parser(sub):
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
        "--model",
        default=PRETRAINED[0],
        choices=PRETRAINED,
        help=f"the shipped model to use ({PRETRAINED[0]})",
    )
    demo.add_argument(
        "--synthetic", action="store_true", help="train on generated faces instead (~1 min)"
    )
    demo.add_argument("--n-samples", type=int, default=700, help="faces to generate (700)")
    demo.add_argument("--epochs", type=int, default=25, help="training epochs (25)")
    demo.add_argument("--row-hidden", type=int, default=32, help="row Bi-LSTM units (32)")
    demo.add_argument("--col-hidden", type=int, default=32, help="column Bi-LSTM units (32)")
    demo.add_argument(
        "--random-state", type=int, default=0, help="seed of the data and the training (0)"
    )
    demo.add_argument("-q", "--quiet", action="store_true", help="no per-epoch output")
    demo.set_defaults(func=_demo)
