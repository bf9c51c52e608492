"""Speed of the real-world path: single-face latency and end-to-end video frames per second.

Writes a 640x480, 30 fps video with one face (scikit-image's astronaut, moving), then
measures, in one run on this machine:

- the shipped models' single-face latency: ``keras.Model.predict`` (what the estimator used
  to call) vs ``predict_proba`` (the compiled ``predict_on_batch`` path), with and without
  test-time flipping, median of many calls;
- decode-only frames per second (ffmpeg through imageio-ffmpeg, gray);
- ``bilstm-emotion video`` end to end (decode, detect/track, normalise, classify, CSV),
  frames per second of its processing loop, for each shipped model (default detector),
  and for the default model with each face detector (BlazeFace, the LBP cascade).

    python benchmarks/video_speed.py --out benchmarks/results/video_speed.json
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import median_seconds, write_report


def _median_ms(call, repeat):
    return 1000 * median_seconds(call, repeat)


def latency(name, repeat):
    from bilstm_emotion import load_pretrained

    clf = load_pretrained(name, engine="keras")
    face = np.random.default_rng(0).random((1, 48, 48), dtype=np.float32)
    result = {
        "keras_predict_ms": _median_ms(lambda: clf.model_.predict(face, verbose=0), repeat),
    }
    for tta in (False, True):
        clf.set_params(test_time_flip=tta)
        key = "predict_proba_tta_ms" if tta else "predict_proba_ms"
        result[key] = _median_ms(lambda: clf.predict_proba(face), repeat)
    return result


def decode_fps(path):
    from bilstm_emotion.video import read_frames

    start = time.perf_counter()
    n = sum(1 for _ in read_frames(path))
    return n / (time.perf_counter() - start)


def warm_up_detector():
    """Load and trace the face detector once, so the first model measured does not pay it."""
    from skimage import data

    from bilstm_emotion.preprocessing import FaceDetector

    detector = FaceDetector(select="all")
    (face,) = detector.detect([data.astronaut()])[0]
    detector.detect_near(data.astronaut(), face)


def video_fps(path, model, workdir, detector="blazeface"):
    from bilstm_emotion.cli import main

    out = Path(tempfile.mkdtemp(dir=workdir, prefix=f"out-{model}-{detector}-"))
    code = main(
        [
            "video",
            str(path),
            "--model",
            model,
            "--detector",
            detector,
            "--out",
            str(out),
            "--overwrite",
            "-q",
        ]
    )
    summary = json.loads((out / "summary.json").read_text())
    return {
        "exit_code": code,
        "frames": summary["frames"],
        "face_frames": summary["face_frames"],
        "faces_tracked": summary["faces"],
        "seconds": summary["processed_seconds"],
        "frames_per_second": summary["frames_per_second"],
        "happy_share": summary["overall"]["happy"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="video length (10)")
    parser.add_argument("--repeat", type=int, default=200, help="latency calls (200)")
    parser.add_argument("--out", default="benchmarks/results/video_speed.json")
    args = parser.parse_args(argv)

    import keras

    from bilstm_emotion import PRETRAINED
    from bilstm_emotion.video import make_demo_video

    report = {"benchmark": "video_speed", "backend": keras.backend.backend()}
    report["latency"] = {name: latency(name, args.repeat) for name in PRETRAINED}
    with tempfile.TemporaryDirectory() as tmp:
        path = make_demo_video(
            Path(tmp) / "face.mp4", seconds=args.seconds, fps=30, size=(640, 480)
        )
        report["video"] = {"size": [640, 480], "fps": 30, "seconds": args.seconds}
        report["decode_fps"] = decode_fps(path)
        warm_up_detector()
        report["end_to_end"] = {name: video_fps(path, name, tmp) for name in PRETRAINED}
        report["end_to_end_by_detector"] = {
            detector: video_fps(path, PRETRAINED[0], tmp, detector)
            for detector in ("blazeface", "lbp")
        }
    print(json.dumps(report, indent=2))
    write_report(report, args.out)


if __name__ == "__main__":
    main()
