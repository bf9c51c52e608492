"""The pre-registered ``wild-sharpen`` check (``docs/experiments/plan_wild-sharpen.md``), issue 44.

Faces that the photo path downscales get an unsharp mask after the resize (amount 0.62,
sigma 1 pixel, fixed by the plan); every shipped model is scored on ``wild-dev`` end to end
and as crops with and without it, and the default on FER2013 PublicTest through a simulated
photo path (each face enlarged 4x, then normalised)::

    python benchmarks/experiments/wild_sharpen.py ../shared/data/wild-dev \\
        ../shared/data/fer2013-dev.zip --out docs/experiments/wild-sharpen.json
"""

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.transform import resize

from bilstm_emotion import EMOTIONS, PRETRAINED, load_pretrained
from bilstm_emotion.datasets import load_fer2013
from bilstm_emotion.evaluation import score_predictions
from bilstm_emotion.monitoring import FacePredictor
from bilstm_emotion.preprocessing import FaceDetector, FaceNormalizer, ImageLoader

AMOUNT, SIGMA = 0.62, 1.0


class SharpenedNormalizer:
    """``FaceNormalizer()``, then the plan's unsharp mask on the faces it downscaled."""

    def transform(self, X):
        out = []
        for face in X:
            (small,) = FaceNormalizer().transform([face])
            if np.shape(face)[0] > small.shape[0]:
                blurred = ndimage.gaussian_filter(small, SIGMA)
                small = np.clip(small + AMOUNT * (small - blurred), 0, 1).astype(np.float32)
            out.append(small)
        return np.stack(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wild_dev", type=Path)
    parser.add_argument("fer2013")
    parser.add_argument("--out", default="docs/experiments/wild-sharpen.json")
    args = parser.parse_args(argv)
    labels = json.loads((args.wild_dev / "labels.json").read_text())
    names = sorted(labels)
    truth = np.array([labels[n] for n in names])
    detector = FaceDetector(select="all")
    default = load_pretrained(PRETRAINED[0])
    normalizers = {"plain": FaceNormalizer(), "sharp": SharpenedNormalizer()}
    found, crops, whole = [], {k: [] for k in normalizers}, {k: [] for k in normalizers}
    for i, name in enumerate(names):
        image = ImageLoader(color=True).transform([str(args.wild_dev / "images" / name)])[0]
        faces = detector.detect([image])[0]
        box = max(faces, key=lambda f: f["height"] * f["width"], default=None)
        if box is not None:
            found.append(i)
        for key, normalizer in normalizers.items():
            if box is not None:
                predictor = FacePredictor(default, detector=detector, normalizer=normalizer)
                crops[key].append(predictor.faces(image, [box]))
            as_crop = FacePredictor(default, detect=False, normalizer=normalizer)
            whole[key].append(as_crop.faces(image, [None]))
    crops = {k: np.concatenate(v) for k, v in crops.items()}
    whole = {k: np.concatenate(v) for k, v in whole.items()}
    report = {"amount": AMOUNT, "sigma": SIGMA, "wild": {}}
    for name in PRETRAINED:
        estimator = load_pretrained(name)
        classes = np.asarray(estimator.classes_).astype(str)
        row = {}
        for key in normalizers:
            predicted = np.full(len(names), "", dtype=object)
            predicted[found] = classes[estimator.predict_proba(crops[key]).argmax(axis=1)]
            row[key] = score_predictions(truth, predicted).accuracy
            as_crops = classes[estimator.predict_proba(whole[key]).argmax(axis=1)]
            row[f"{key}_crops"] = score_predictions(truth, as_crops).accuracy
        report["wild"][name] = row
        print(name, {k: round(v, 4) for k, v in row.items()})
    faces = load_fer2013(args.fer2013, subset="test")
    X = faces.data.astype(np.float32) / 255
    y = np.asarray(EMOTIONS)[faces.target]
    enlarged = [resize(x, (192, 192), order=3, anti_aliasing=False).clip(0, 1) for x in X]
    guard = {
        k: score_predictions(y, default.predict(n.transform(enlarged))).accuracy
        for k, n in normalizers.items()
    }
    guard["direct"] = score_predictions(y, default.predict(X)).accuracy
    report["fer_guard"] = guard
    print("FER2013 guard", guard)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
