"""Face detectors on real photographs: recall, false positives, duplicates and speed, side by side.

Runs each detector through the path ``bilstm-emotion predict`` takes (image read in
colour and turned upright by EXIF, every face, overlapping boxes merged) on the
real-photo set ``faces-dev`` (87 photos, 153 faces) and scores it by the set's rule
(:func:`bilstm_emotion.faces.score_detections`). Speed is the median time per photo
with every photo resized to 640x480, measured for all detectors in this one run, taking
turns photo by photo (so compare ratios, not milliseconds, across machines).
Optionally writes a picture of the detections of the default and of the LBP cascade on
scikit-image's astronaut and on a tilted, shrunk copy of her in a larger photo, for the
docs::

    python benchmarks/faces.py ../shared/data/faces-dev --out benchmarks/results/faces.json \\
        --figure docs/_static/faces_before_after.png
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import write_report  # benchmarks/ is on sys.path
from PIL import Image

from bilstm_emotion.faces import score_detections
from bilstm_emotion.monitoring import decoded_scale
from bilstm_emotion.preprocessing import FaceDetector, ImageLoader

DETECTORS = {
    "lbp": {"detector": "lbp"},
    "blazeface": {},  # the default
    "blazeface_full_range_only": {"short_range": False},  # the default before close-ups
    "blazeface_tiles_off": {"tiles": "off"},
    "blazeface_tiles_fine": {"tiles": "fine"},
}


def load(folder):
    """Labels, decoded photos, and each photo's file pixels per decoded pixel (large
    photos are decoded reduced: their faces are mapped back before scoring)."""
    labels = json.loads((folder / "labels.json").read_text())["images"]
    images = [ImageLoader(color=True).transform([folder / im["file"]])[0] for im in labels]
    scales = [
        decoded_scale(folder / im["file"], px) for im, px in zip(labels, images, strict=True)
    ]
    return labels, images, scales


def ms_per_640x480(detectors, images, repeat=1):
    """Median milliseconds per photo resized to 640x480, for each detector by name.

    The detectors take turns photo by photo, so a machine that slows down or speeds
    up during the run moves them all alike and their ratios hold.
    """
    small = [
        np.asarray(Image.fromarray((im * 255).astype(np.uint8)).resize((640, 480)))
        for im in images
    ]
    for detector in detectors.values():
        detector.detect(small[:2])  # warm-up (loads the networks)
    times = {name: [] for name in detectors}
    for _ in range(repeat):
        for im in small:
            for name, detector in detectors.items():
                start = time.perf_counter()
                detector.detect([im])
                times[name].append(time.perf_counter() - start)
    return {name: 1000 * float(np.median(t)) for name, t in times.items()}


def figure(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage import data
    from skimage.transform import rotate

    astronaut = data.astronaut()
    group = np.full((600, 900, 3), 200, dtype=np.uint8)
    tilted = (rotate(astronaut, 25, mode="edge") * 255).astype(np.uint8)
    small = np.asarray(Image.fromarray(tilted).resize((300, 300)))
    group[150:450, 30:330] = small
    group[100:400, 560:860] = np.asarray(Image.fromarray(astronaut).resize((300, 300)))
    photos = [("astronaut", astronaut), ("two smaller copies, one tilted 25°", group)]
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))
    for col, (what, photo) in enumerate(photos):
        for row, (name, params) in enumerate(
            (("LBP cascade (before)", DETECTORS["lbp"]), ("BlazeFace (now)", {}))
        ):
            ax = axes[row, col]
            ax.imshow(photo)
            faces = FaceDetector(select="all", **params).detect([photo])[0]
            for f in faces:
                ax.add_patch(
                    plt.Rectangle(
                        (f.col, f.row), f.width, f.height, fill=False, color="yellow", linewidth=2
                    )
                )
                for x, y in f.landmarks.values():
                    ax.plot(x, y, "c.", markersize=6)
            ax.set_title(f"{name}: {len(faces)} face(s) — {what}", fontsize=10)
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("faces_dev", type=Path)
    parser.add_argument("--out", default="benchmarks/results/faces.json")
    parser.add_argument("--figure", default=None)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the photos")
    args = parser.parse_args(argv)
    labels, images, scales = load(args.faces_dev)
    report = {
        "benchmark": "faces",
        "photos": len(labels),
        "faces": sum(len(im["faces"]) for im in labels),
    }
    detectors = {name: FaceDetector(select="all", **params) for name, params in DETECTORS.items()}
    for name, detector in detectors.items():
        pairs = zip(detector.detect(images), scales, strict=True)
        found = [[face.mapped(scale) for face in faces] for faces, scale in pairs]
        scores = score_detections(found, labels)
        del scores["per_image"]
        scores["astronaut_faces"] = len(detector.detect([_astronaut()])[0])
        report[name] = scores
    for name, ms in ms_per_640x480(detectors, images, args.repeat).items():
        scores = report[name]
        scores["ms_per_640x480"] = ms
        print(
            f"{name}: recall {scores['recall']:.3f}, false positives per image "
            f"{scores['false_positives_per_image']:.3f}, duplicates {scores['duplicates']}, "
            f"exact {scores['exact_images']}/{len(labels)}, "
            f"{scores['ms_per_640x480']:.1f} ms per 640x480"
        )
    base = report["lbp"]["ms_per_640x480"]
    for name in DETECTORS:
        report[name]["time_vs_lbp"] = report[name]["ms_per_640x480"] / base
    print("time / LBP cascade's:", {n: round(report[n]["time_vs_lbp"], 3) for n in DETECTORS})
    report["close_ups_time_ratio"] = (
        report["blazeface"]["ms_per_640x480"]
        / report["blazeface_full_range_only"]["ms_per_640x480"]
    )
    print(f"the default / full range alone: {report['close_ups_time_ratio']:.3f}")
    write_report(report, args.out)
    if args.figure:
        figure(args.figure)


def _astronaut():
    from skimage import data

    return data.astronaut()


if __name__ == "__main__":
    main()
