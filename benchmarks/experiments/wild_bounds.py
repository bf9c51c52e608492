"""How far could the shipped models go on ``wild-dev`` without learning anything new? (issue 44)

Bounds, not candidates: each uses ``wild-dev``'s labels, which no user has, so none can
become a setting. Per shipped model, end to end (the largest face; a photo without a
face counts as wrong):

- ``accuracy``: as shipped;
- ``top2``: the true emotion among the model's two most probable ones;
- ``oracle_prior``: the class prior corrected, the probabilities reweighted from
  FER2013 ``train/``'s class shares to ``wild-dev``'s own (which no user knows);
- ``uniform_prior``: reweighted to equal shares (what balancing the classes would do).

::

    python benchmarks/experiments/wild_bounds.py ../shared/data/wild-dev \\
        ../shared/data/fer2013-dev.zip \\
        --out docs/experiments/wild-bounds.json
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/_common
from _common import write_report

from bilstm_emotion import EMOTIONS, PRETRAINED, load_pretrained
from bilstm_emotion.datasets import load_fer2013
from bilstm_emotion.monitoring import FacePredictor
from bilstm_emotion.preprocessing import FaceDetector, ImageLoader

CLASSES = sorted(EMOTIONS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wild_dev", type=Path)
    parser.add_argument("fer2013", type=Path, help="for the training faces' class shares")
    parser.add_argument("--out", default="docs/experiments/wild-bounds.json")
    args = parser.parse_args(argv)
    labels = json.loads((args.wild_dev / "labels.json").read_text())
    names = sorted(labels)
    truth = np.array([CLASSES.index(labels[n]) for n in names])
    detector = FaceDetector(select="all")
    cropper = FacePredictor(load_pretrained(PRETRAINED[0]), detector=detector)
    found, faces = [], []
    for i, name in enumerate(names):
        image = ImageLoader(color=True).transform([str(args.wild_dev / "images" / name)])[0]
        boxes = detector.detect([image])[0]
        if boxes:
            found.append(i)
            faces.append(cropper.faces(image, [boxes[0]]))  # largest first
    faces, y = np.concatenate(faces), truth[found]
    y_train = load_fer2013(args.fer2013, subset="train", lazy=True, return_X_y=True)[1]
    counts = np.bincount(y_train, minlength=len(EMOTIONS))  # codes in EMOTIONS order
    trained = np.array([counts[EMOTIONS.index(c)] for c in CLASSES]) / len(y_train)
    wild = np.bincount(truth, minlength=len(CLASSES)) / len(truth)

    def share_right(right):
        return float(np.sum(right) / len(names))  # photos without a face: wrong

    report = {
        "benchmark": "wild_bounds",
        "detector": detector.get_params(),
        "photos": len(names),
        "found": len(found),
        "models": {},
    }
    for name in PRETRAINED:
        estimator = load_pretrained(name)
        order = [list(np.asarray(estimator.classes_).astype(str)).index(c) for c in CLASSES]
        proba = estimator.predict_proba(faces)[:, order]
        top2 = np.argsort(-proba, axis=1)[:, :2]
        row = {
            "accuracy": share_right(proba.argmax(1) == y),
            "top2": share_right((top2 == y[:, None]).any(axis=1)),
            "oracle_prior": share_right((proba / trained * wild).argmax(1) == y),
            "uniform_prior": share_right((proba / trained).argmax(1) == y),
        }
        report["models"][name] = row
        print(name, {k: round(v, 4) for k, v in row.items()}, flush=True)
    write_report(report, args.out)


if __name__ == "__main__":
    main()
