"""Draw the three pictures of the docs' landing page into docs/_static/.

* ``landing_photo.png``: scikit-image's astronaut with its face boxed and labelled
  (what ``bilstm-emotion predict --demo --annotate`` writes);
* ``landing_timeline.png``: the emotion timeline of the package's demo video
  (``bilstm-emotion video``);
* ``landing_confusion.png``: the default model's confusion matrix on FER2013
  PublicTest (``bilstm-emotion evaluate``), when the FER2013 zip is given.

Usage::

    python tools/docs_figures.py [--fer2013 ../shared/data/fer2013-dev.zip]
"""

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from PIL import Image
from skimage import data

from bilstm_emotion import load_pretrained
from bilstm_emotion.monitoring import draw_faces, predict_images
from bilstm_emotion.plotting import plot_confusion_matrix, plot_emotion_timeline
from bilstm_emotion.video import analyze_video, make_demo_video

OUT = Path(__file__).resolve().parents[1] / "docs" / "_static"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fer2013", type=Path, default=None)
    args = parser.parse_args()
    clf = load_pretrained()
    classes = [str(c) for c in clf.classes_]

    photo = data.astronaut()
    records = predict_images([photo], clf)
    Image.fromarray(draw_faces(photo, records)).resize((384, 384)).save(
        OUT / "landing_photo.png", optimize=True
    )

    with tempfile.TemporaryDirectory() as tmp:
        video = make_demo_video(Path(tmp) / "demo.mp4", seconds=4.0)
        frames = list(analyze_video(video, clf))
    fig = plot_emotion_timeline([r for f in frames for r in f.records], classes)
    fig.set_size_inches(5, 3.2)
    fig.savefig(OUT / "landing_timeline.png", dpi=80)
    plt.close(fig)

    if args.fer2013 is not None:
        from bilstm_emotion.datasets import load_fer2013
        from bilstm_emotion.evaluation import evaluate

        test = load_fer2013(args.fer2013, subset="test")
        names = [test.target_names[t] for t in test.target]
        report = evaluate(clf, test.data, names, timing=False)
        fig = plot_confusion_matrix(report)
        fig.set_size_inches(4.4, 3.8)
        fig.savefig(OUT / "landing_confusion.png", dpi=80)
        plt.close(fig)
    for path in sorted(OUT.glob("landing_*.png")):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
