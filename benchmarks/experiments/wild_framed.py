"""The pre-registered run ``conv-lite-framed`` (its plan: ``docs/experiments/``), issue 44.

Does the photo path lose accuracy because its crops are framed differently from the
faces the models learned from? This trains on FER2013 faces that went through the very
crop the photo path makes, and scores the result beside the shipped ``conv-lite``.

``frame`` writes every FER2013 face (``train/`` and PublicTest) as the photo path sees
it: the default detector finds the largest face of the 48x48 image, which is cropped
(aligned, margin, edges repeated past the image) and normalised to 48x48, exactly as
``bilstm-emotion predict`` does (:class:`bilstm_emotion.monitoring.FacePredictor`); a
face where none is found stays as it is. The folder has the Kaggle layout, so the
training tool reads it as it reads FER2013::

    python benchmarks/experiments/wild_framed.py frame ../shared/data/fer2013-dev.zip \\
        /tmp/fer2013-framed
    python tools/train_fer2013.py /tmp/fer2013-framed --like conv-lite --name conv-lite-framed \\
        --export /tmp/framed-model --out docs/experiments/framed-train_conv-lite-framed.json
    python benchmarks/experiments/wild_framed.py score ../shared/data/fer2013-dev.zip \\
        /tmp/fer2013-framed ../shared/data/wild-dev /tmp/framed-model \\
        --out docs/experiments/conv-lite-framed.json

``score`` measures the shipped ``conv-lite`` and the new model alike: ``wild-dev`` end to
end (the largest face) and as crops, PublicTest as the photo path frames it, and
PublicTest as FER2013 gives it. ``both`` writes the training folder of the second run,
``conv-lite-both`` (``plan_conv-lite-both.md``): ``train/`` as framed and as given::

    python benchmarks/experiments/wild_framed.py both ../shared/data/fer2013-dev.zip \\
        /tmp/fer2013-framed /tmp/fer2013-both
    python tools/train_fer2013.py /tmp/fer2013-both --like conv-lite --set epochs=20 \\
        --name conv-lite-both --export /tmp/both-model \\
        --out docs/experiments/framed-train_conv-lite-both.json
    python benchmarks/experiments/wild_framed.py score ../shared/data/fer2013-dev.zip \\
        /tmp/fer2013-framed ../shared/data/wild-dev /tmp/both-model --name conv-lite-both \\
        --out docs/experiments/conv-lite-both.json
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/_common
from _common import write_report

from bilstm_emotion import EMOTIONS, load_pretrained
from bilstm_emotion.datasets import load_fer2013
from bilstm_emotion.evaluation import score_predictions
from bilstm_emotion.monitoring import FacePredictor
from bilstm_emotion.preprocessing import FaceDetector, ImageLoader

CLASSES = sorted(EMOTIONS)


def photo_path_face(predictor, image):
    """``image``'s largest face as the photo path gives it to a model, and whether
    one was found (``image`` itself, unchanged, where none was)."""
    faces = predictor.boxes(image)  # largest first
    if not faces:
        return image, False
    return predictor.faces(image, faces[:1])[0], True


def frame(args):
    predictor = FacePredictor(load_pretrained("conv-lite"), detector=FaceDetector(select="all"))
    report = {"benchmark": "wild_framed_frame", "source": str(args.fer2013)}
    for subset, folder in (("train", "train"), ("test", "test")):
        bunch = load_fer2013(args.fer2013, subset=subset)
        found = 0
        for i, (pixels, target) in enumerate(zip(bunch.data, bunch.target, strict=True)):
            face, ok = photo_path_face(predictor, pixels.astype(np.float32) / 255)
            found += ok
            out = args.out / folder / EMOTIONS[target] / f"{Path(bunch.filenames[i]).stem}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.round(np.clip(face, 0, 1) * 255).astype(np.uint8)).save(out)
        report[subset] = {"faces": len(bunch.target), "found": found}
        print(f"{subset}: a face found in {found} of {len(bunch.target)}", flush=True)
    write_report(report, args.out / "framing.json")


def both(args):
    """``train/`` in both framings (each face as FER2013 gives it and as the photo path
    frames it: ``conv-lite-both``'s plan), PublicTest as framed."""
    import shutil

    shutil.copytree(args.framed, args.out)
    bunch = load_fer2013(args.fer2013, subset="train")
    for pixels, target, name in zip(bunch.data, bunch.target, bunch.filenames, strict=True):
        out = args.out / "train" / EMOTIONS[target] / f"{Path(name).stem}-as-given.png"
        Image.fromarray(pixels).save(out)
    print(f"train/: {len(bunch.target)} faces added as given", flush=True)


def accuracy_of(estimator, X, y):
    return score_predictions(y, estimator.predict(X), labels=CLASSES)


def wild_faces(wild_dev, predictor):
    """``wild-dev``'s labels, each photo's largest face as the photo path crops it
    (``None`` where no face is found) and each whole photo as a crop (``--no-detect``);
    found once, classified by every model."""
    labels = json.loads((wild_dev / "labels.json").read_text())
    names = sorted(labels)
    whole_photo = FacePredictor(predictor.estimator, detect=False)
    end_to_end, whole = [], []
    for name in names:
        image = ImageLoader(color=True).transform([str(wild_dev / "images" / name)])[0]
        face, found = photo_path_face(predictor, image)
        end_to_end.append(face if found else None)
        whole.append(whole_photo.faces(image, [None])[0])
    return [labels[n] for n in names], end_to_end, np.stack(whole)


def wild_scores(estimator, truth, end_to_end, whole):
    """End-to-end and as-crops accuracy and macro recall on ``wild-dev``."""
    order = [list(np.asarray(estimator.classes_).astype(str)).index(c) for c in CLASSES]
    found = [i for i, f in enumerate(end_to_end) if f is not None]
    proba = estimator.predict_proba(np.stack([end_to_end[i] for i in found]))[:, order]
    predicted = np.full(len(truth), "", dtype=object)
    predicted[found] = np.asarray(CLASSES)[proba.argmax(axis=1)]
    as_crops = np.asarray(CLASSES)[estimator.predict_proba(whole)[:, order].argmax(1)]
    out = {}
    for key, guess in (("end_to_end", list(predicted)), ("crops", list(as_crops))):
        report = score_predictions(truth, guess, labels=CLASSES)
        recall = [report.per_class[c]["recall"] for c in CLASSES]
        out[key] = {"accuracy": report.accuracy, "macro_recall": float(np.mean(recall))}
    out["found"] = len(found) / len(truth)
    return out


def score(args):
    names = np.asarray(EMOTIONS)
    X_test, y_test = load_fer2013(args.fer2013, subset="test", return_X_y=True)
    X_framed, y_framed = load_fer2013(args.framed, subset="test", return_X_y=True)
    models = {
        "conv-lite": load_pretrained("conv-lite"),
        args.name: load_pretrained(args.name, directory=args.model),
    }
    detector = FaceDetector(select="all")
    # both models take 48x48 faces: the photos' faces are cropped once
    wild = wild_faces(args.wild_dev, FacePredictor(models["conv-lite"], detector=detector))
    report = {"benchmark": "wild_framed", "detector": detector.get_params(), "models": {}}
    for name, estimator in models.items():
        row = {
            "public_test": accuracy_of(estimator, X_test / 255, names[y_test]).accuracy,
            "public_test_framed": accuracy_of(estimator, X_framed / 255, names[y_framed]).accuracy,
            "wild": wild_scores(estimator, *wild),
        }
        report["models"][name] = row
        print(name, json.dumps(row), flush=True)
    write_report(report, args.out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("frame", help="write FER2013 as the photo path frames it")
    p.add_argument("fer2013", type=Path)
    p.add_argument("out", type=Path)
    p = commands.add_parser("both", help="train/ framed and as given, in one folder")
    p.add_argument("fer2013", type=Path)
    p.add_argument("framed", type=Path)
    p.add_argument("out", type=Path)
    p = commands.add_parser("score", help="score the shipped and the framed conv-lite")
    p.add_argument("fer2013", type=Path)
    p.add_argument("framed", type=Path)
    p.add_argument("wild_dev", type=Path)
    p.add_argument("model", type=Path, help="the folder --export wrote")
    p.add_argument("--name", default="conv-lite-framed", help="the exported model's name")
    p.add_argument("--out", default="docs/experiments/conv-lite-framed.json")
    args = parser.parse_args(argv)
    {"frame": frame, "both": both, "score": score}[args.command](args)


if __name__ == "__main__":
    main()
