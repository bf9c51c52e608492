"""Peak memory of reading (and classifying) one huge photo.

Writes a 12,000 x 12,000 JPEG (a photo's worth of detail), the same size as a flat PNG
(~445 KB: what a decompression bomb looks like), and an 8,000 x 8,000 PNG (64 million
pixels: the ceiling for formats that must be decoded whole), then reads each in a fresh
process and reports the peak resident memory above the process's baseline:

* ``decode``: ``ImageLoader(color=True)`` alone (no Keras imported);
* ``predict``: ``predict_images`` with the default model and detector, the baseline
  taken after the model has run once on a small photo.

Usage::

    python benchmarks/huge_images.py [--out benchmarks/results/huge_images.json]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import write_report  # benchmarks/ is on sys.path when run as a script

WRITE = r"""
import sys
import numpy as np
from PIL import Image
from skimage import data

folder, side = sys.argv[1], int(sys.argv[2])
Image.MAX_IMAGE_PIXELS = None
photo = Image.fromarray(data.astronaut()).resize((side, side), Image.Resampling.BILINEAR)
noise = np.random.default_rng(0).integers(-6, 7, (side, 1, 1), dtype=np.int16)
pixels = np.clip(np.asarray(photo, np.int16) + noise, 0, 255).astype(np.uint8)
Image.fromarray(pixels).save(f"{folder}/photo-{side}.jpg", quality=85)
flat = Image.new("RGB", (side, side), (120, 130, 140))
flat.save(f"{folder}/flat-{side}.png", optimize=True)
"""

MEASURE = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
mode, path = sys.argv[1], sys.argv[2]

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

if mode == "decode":
    from bilstm_emotion.preprocessing import ImageLoader
    run = lambda: ImageLoader(color=True, on_error="raise").transform([path])[0].shape
else:
    from skimage import data
    from bilstm_emotion.monitoring import predict_images
    predict_images([data.astronaut()])  # model and detector loaded, run once
    run = lambda: [r["status"][:60] for r in predict_images([path])]
keras = "keras" in sys.modules
base = peak_mb()
start = time.perf_counter()
try:
    result = run()
except Exception as exc:
    result = f"{type(exc).__name__}: {exc}"[:160]
seconds = time.perf_counter() - start
print(json.dumps({"baseline_mb": round(base, 1), "peak_mb": round(peak_mb(), 1),
                  "above_baseline_mb": round(peak_mb() - base, 1),
                  "seconds": round(seconds, 2), "result": str(result), "keras_imported": keras}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/huge_images.json")
    args = parser.parse_args(argv)
    results = {"benchmark": "huge_images", "files": {}, "runs": []}
    with tempfile.TemporaryDirectory() as folder:
        for side in (12000, 8000):
            subprocess.run([sys.executable, "-c", WRITE, folder, str(side)], check=True)
        files = [
            f"{folder}/photo-12000.jpg",
            f"{folder}/flat-12000.png",
            f"{folder}/flat-8000.png",
        ]
        for file in files:
            results["files"][Path(file).name] = Path(file).stat().st_size
        for mode in ("decode", "predict"):
            for file in files:
                start = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-c", MEASURE, mode, file],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                row = {"mode": mode, "file": Path(file).name, **json.loads(done.stdout)}
                row["process_seconds"] = round(time.perf_counter() - start, 1)
                results["runs"].append(row)
                print(json.dumps(row))
    write_report(results, args.out)


if __name__ == "__main__":
    main()
