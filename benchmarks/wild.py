"""Emotions in the wild: every shipped model, end to end on real photographs.

Scores each shipped pretrained model (and the ``fer`` package, when installed) on the
``wild-dev`` photo set by its README's rule: each photo is read as ``bilstm-emotion
predict`` reads it (colour, EXIF-upright), every face is found, and the largest face is
the photo's answer; a photo with no face found counts as wrong. Reports the share of
photos with a face, accuracy, accuracy on the photos with a face, macro recall (mean
over the seven emotions), per-emotion recall and the confusion matrix, and the same
accuracy with each photo taken as the face crop (``--no-detect``), so detection and
classification can be told apart.

Faces are found once (the default detector) and every model classifies the same
crops, through the public :class:`bilstm_emotion.monitoring.FacePredictor`. Before
that, the default model's answers are checked against ``bilstm-emotion predict
FOLDER --json`` itself (``--skip-cli-check`` leaves that out)::

    python benchmarks/wild.py ../shared/data/wild-dev --out benchmarks/results/wild.json \\
        --confusion docs/_static/wild_confusion.png

``wild-dev`` is for measuring only: nothing here trains or selects on it.
"""

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import write_report  # benchmarks/ is on sys.path

from bilstm_emotion import EMOTIONS, PRETRAINED, load_pretrained
from bilstm_emotion.evaluation import score_predictions
from bilstm_emotion.monitoring import FacePredictor
from bilstm_emotion.preprocessing import FaceDetector, ImageLoader

CLASSES = sorted(EMOTIONS)


def largest(faces):
    """The photo's answer: its largest face (``None`` when none was found)."""
    return max(faces, key=lambda f: f["height"] * f["width"], default=None)


def scores(truth, predicted):
    """The README's measures for one model; ``predicted`` holds ``""`` where no face."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    found = predicted != ""
    report = score_predictions(truth, predicted, labels=CLASSES)  # "": wrong
    recall = {c: float(report.per_class[c]["recall"]) for c in CLASSES}
    return {
        "photos": len(truth),
        "found": float(found.mean()),
        "accuracy": report.accuracy,
        "accuracy_found": (
            score_predictions(truth[found], predicted[found]).accuracy if found.any() else 0.0
        ),
        "macro_recall": float(np.mean(list(recall.values()))),
        "recall": recall,
        "confusion": report.confusion,
        "predicted": {c: int((predicted == c).sum()) for c in CLASSES},
    }


def answer_labels(n_photos, found, labels):
    """Each photo's label: ``labels`` for the photos in ``found``, ``""`` (no face) elsewhere."""
    out = np.full(n_photos, "", dtype=object)
    out[found] = labels
    return list(out)


def cli_labels(folder, model):
    """Each photo's answer by ``bilstm-emotion predict FOLDER --json`` (the largest face)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        command = [
            sys.executable,
            "-m",
            "bilstm_emotion",
            "predict",
            str(folder),
            "--json",
            str(out),
            "--model",
            model,
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        records = json.loads(out.read_text())
    by_photo = {}
    for record in records:
        if record["status"] == "ok":
            by_photo.setdefault(Path(record["source"]).name, []).append(record)
    return {name: largest(faces)["label"] for name, faces in by_photo.items()}


def fer_labels(paths):
    """The ``fer`` package end to end (its Haar cascade) and on whole photos as crops."""
    try:
        from fer import FER
    except ImportError:  # fer 25 keeps it in its submodule
        from fer.fer import FER

    fer = FER()
    end_to_end, crops = [], []
    for path in paths:
        image = ImageLoader(color=True).transform([path])[0]
        if image.ndim == 2:  # a gray photo: fer's cascade reads three channels
            image = np.repeat(image[..., None], 3, axis=-1)
        bgr = (np.asarray(image) * 255).astype(np.uint8)[..., ::-1].copy()
        found = fer.detect_emotions(bgr)
        best = max(found, key=lambda f: f["box"][2] * f["box"][3], default=None)
        end_to_end.append("" if best is None else max(best["emotions"], key=best["emotions"].get))
        whole = fer.detect_emotions(bgr, face_rectangles=[(0, 0, bgr.shape[1], bgr.shape[0])])
        crops.append(max(whole[0]["emotions"], key=whole[0]["emotions"].get))
    return end_to_end, crops


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wild_dev", type=Path)
    parser.add_argument("--models", nargs="+", default=list(PRETRAINED))
    parser.add_argument("--out", default="benchmarks/results/wild.json")
    parser.add_argument(
        "--confusion",
        default=None,
        help="PNG of the first model's (the default's) confusion matrix",
    )
    parser.add_argument("--skip-cli-check", action="store_true")
    args = parser.parse_args(argv)
    labels = json.loads((args.wild_dev / "labels.json").read_text())
    names = sorted(labels)
    truth = [labels[n] for n in names]
    paths = [str(args.wild_dev / "images" / n) for n in names]
    detector = FaceDetector(select="all")
    first = FacePredictor(load_pretrained(args.models[0]), detector=detector)
    whole_photo = FacePredictor(first.estimator, detect=False)
    # the faces every model classifies: each photo's largest face, and the whole photo
    found, crops, whole, seconds = [], [], [], 0.0
    for i, path in enumerate(paths):
        image = ImageLoader(color=True).transform([path])[0]
        start = time.perf_counter()
        answer = largest(detector.detect([image])[0])
        seconds += time.perf_counter() - start
        if answer is not None:
            found.append(i)
            crops.append(first.faces(image, [answer]))
        whole.append(whole_photo.faces(image, [None]))
    crops, whole = np.concatenate(crops), np.concatenate(whole)
    report = {
        "benchmark": "wild",
        "photos": len(names),
        "detector": detector.get_params(),
        "detect_ms_per_photo": 1000 * seconds / len(names),
        "models": {},
    }
    print(
        f"faces found in {len(found)} of {len(names)} photos "
        f"({report['detect_ms_per_photo']:.0f} ms per photo)"
    )

    def labels_of(proba):
        return np.asarray(CLASSES)[proba.argmax(axis=1)]

    vote = {"found": 0.0, "whole": 0.0}  # the soft vote of every model scored
    for name in args.models:
        estimator = load_pretrained(name)
        order = [list(np.asarray(estimator.classes_).astype(str)).index(c) for c in CLASSES]
        proba = {
            "found": estimator.predict_proba(crops)[:, order],
            "whole": estimator.predict_proba(whole)[:, order],
        }
        predicted = answer_labels(len(names), found, labels_of(proba["found"]))
        row = scores(truth, predicted)
        row["no_detect"] = scores(truth, list(labels_of(proba["whole"])))
        report["models"][name] = row
        vote = {k: vote[k] + proba[k] / len(args.models) for k in vote}
        print(
            f"{name}: found {row['found']:.3f}, accuracy {row['accuracy']:.3f} "
            f"(on found {row['accuracy_found']:.3f}), macro recall {row['macro_recall']:.3f}; "
            f"as crops {row['no_detect']['accuracy']:.3f}"
        )
        if name == PRETRAINED[0] and not args.skip_cli_check:
            cli = cli_labels(args.wild_dev / "images", name)
            by_cli = [cli.get(n, "") for n in names]
            agree = float(np.mean(np.asarray(by_cli) == np.asarray(predicted)))
            report["cli_agreement"] = agree
            print(f"bilstm-emotion predict --json agrees on {agree:.4f} of the photos")
            if agree < 0.995:
                raise SystemExit("The library path and the command line disagree: see above.")
    if len(args.models) > 1:
        row = scores(truth, answer_labels(len(names), found, labels_of(vote["found"])))
        row["no_detect"] = scores(truth, list(labels_of(vote["whole"])))
        report["models"]["vote"] = {"members": list(args.models), **row}
        print(
            f"the soft vote of {len(args.models)}: accuracy {row['accuracy']:.3f}, "
            f"as crops {row['no_detect']['accuracy']:.3f}"
        )

    if importlib.util.find_spec("fer") is not None:
        end_to_end, crops = fer_labels(paths)
        report["models"]["fer"] = {**scores(truth, end_to_end), "no_detect": scores(truth, crops)}
    else:
        print("fer is not installed: left out (pip install fer 'opencv-python-headless<5')")
    write_report(report, args.out)
    if args.confusion:
        plot_confusion(report["models"][args.models[0]], args.models[0], args.confusion)


def plot_confusion(row, name, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.asarray(row["confusion"], dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.6, 4.8))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), n in np.ndenumerate(counts):
        ax.text(
            j,
            i,
            int(n),
            ha="center",
            va="center",
            color="white" if shares[i, j] > 0.5 else "black",
            fontsize=8,
        )
    ax.set(
        xticks=range(len(CLASSES)), yticks=range(len(CLASSES)), xlabel="predicted", ylabel="label"
    )
    ax.set_xticklabels(CLASSES, rotation=45, ha="right")
    ax.set_yticklabels(CLASSES)
    ax.set_title(f"{name} on wild-dev, end to end: {row['accuracy']:.1%}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
