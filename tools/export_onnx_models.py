"""Make the ONNX graphs the package predicts with from the networks it ships.

For every shipped model (``bilstm_emotion.PRETRAINED``) the Keras network
``model/weights/<name>.keras`` is exported as its whole prediction
(:func:`bilstm_emotion.export_onnx`: uint8 faces in, probabilities out, the test-time
views inside; checked against Keras within 1e-4), then quantised with
onnxruntime's static QDQ quantisation of the convolutions and matrix products
(per-channel int8 weights, uint8 activations; the LSTMs stay float32) calibrated on a
slice of FER2013 ``train/``. The rule: the int8 graph ships where its accuracy on a
validation slice of ``train/`` (other faces than the calibration's) is within 0.3
points of the float32 graph's and a face's answer does not depend on the faces batched
beside it; else the float32 graph. (Dynamic quantisation of the LSTMs was tried: 1.08
times as fast, but a face's probabilities moved by up to 0.005 with its neighbours.)
PublicTest is scored for the record only, never to choose. Each model's record
(``<name>.json``) gets an ``onnx`` entry with the choice and every score.

BlazeFace's two networks (``faces/weights/blazeface_*.keras``) are exported at each input
size the detector runs (``faces._blazeface_graphs.BLAZEFACE_GRAPHS``: the bilinear
upsampling needs a fixed size) and kept in float32, checked against Keras within 1e-5 of
each output's range.

Needs the ``export`` extra and TensorFlow (``pip install -e ".[tests]"`` has both).
Run from the repository root::

    python tools/export_onnx_models.py ../shared/data/fer2013-dev.zip [--models conv-lite]
"""

import argparse
import hashlib
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # the exporter is tf2onnx

WEIGHTS = Path("src/bilstm_emotion/model/weights")
N_CALIBRATION, N_VALIDATION = 512, 3000
#: The most a quantised graph may cost on the validation slice, in accuracy points.
MAX_DROP = 0.3
#: The most a face's probabilities may change with the faces batched beside it. Dynamic
#: quantisation (onnxruntime's for LSTMs) scales each call's activations by that call's
#: range, so a face's answer moved by up to 0.005 with its neighbours: not shipped.
MAX_BATCH_EFFECT = 1e-5
#: The candidates, fastest first: the convolutions and matrix products in int8 (static
#: QDQ; the LSTMs stay float32), then float32 throughout. The first within the rule ships.
ARITHMETICS = ("int8", "float32")
#: The validation slice, in words: faces the networks were trained on (every shipped
#: model saw all of train/), so it measures what quantisation changes, not how well a
#: model generalises; PublicTest, scored for the record only, says that.
VALIDATION = (
    f"{N_VALIDATION} faces of FER2013 train/ (seed 0), not the calibration's; seen in "
    "training, so they measure what quantisation changes"
)


def slices(X, seed=0):
    """Rows of ``train/`` for calibration and, disjoint from them, for validation."""
    order = np.random.default_rng(seed).permutation(len(X))
    return order[:N_CALIBRATION], order[N_CALIBRATION : N_CALIBRATION + N_VALIDATION]


def accuracy(graph, faces, labels, classes):
    from bilstm_emotion.model._onnx_classifier import OnnxGraph

    proba = OnnxGraph.read(graph).run(faces)
    return float(np.mean(np.asarray(classes)[proba.argmax(1)] == labels))


def batch_effect(graph, faces):
    """The largest change of a face's probabilities between its own call and a call
    with ``faces`` around it."""
    from bilstm_emotion.model._onnx_classifier import OnnxGraph

    graph = OnnxGraph.read(graph)
    together = graph.run(faces)
    alone = np.concatenate([graph.run(faces[i : i + 1]) for i in range(len(faces))])
    return float(np.abs(together - alone).max())


def quantise(float_path, int8_path, calibration):
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from bilstm_emotion.model._onnx_classifier import INPUT_NAME

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(
                [{INPUT_NAME: calibration[i : i + 64]} for i in range(0, len(calibration), 64)]
            )

        def get_next(self):
            return next(self.batches, None)

    prepared = float_path.with_suffix(".pre.onnx")
    quant_pre_process(str(float_path), str(prepared))
    quantize_static(
        str(prepared),
        str(int8_path),
        Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
    )


def set_metadata(path, **entries):
    import onnx

    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    props.update(entries)
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))


def export_model(name, data, work):
    from bilstm_emotion import EMOTIONS, export_onnx, load_pretrained

    (X, y), (Xt, yt) = data
    calibration, validation = slices(X)
    clf = load_pretrained(name, engine="keras")
    paths = {arithmetic: work / f"{name}.{arithmetic}.onnx" for arithmetic in ARITHMETICS}
    export_onnx(clf, paths["float32"])  # checked against Keras within 1e-4
    quantise(paths["float32"], paths["int8"], X[calibration])
    set_metadata(paths["int8"], arithmetic="int8")
    classes = [str(c) for c in clf.classes_]
    names, names_t = np.asarray(EMOTIONS)[y], np.asarray(EMOTIONS)[yt]
    scores = {
        arithmetic: {
            "validation": accuracy(path, X[validation], names[validation], classes),
            "public_test": accuracy(path, Xt, names_t, classes),
            "batch_effect": batch_effect(path, X[validation[:64]]),
        }
        for arithmetic, path in paths.items()
    }
    chosen = next(
        arithmetic
        for arithmetic in ARITHMETICS
        if 100 * (scores["float32"]["validation"] - scores[arithmetic]["validation"]) <= MAX_DROP
        and scores[arithmetic]["batch_effect"] <= MAX_BATCH_EFFECT
    )
    out = WEIGHTS / f"{name}.onnx"
    out.write_bytes(paths[chosen].read_bytes())
    record_path = WEIGHTS / f"{name}.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["onnx"] = {
        "arithmetic": chosen,
        "candidates": list(ARITHMETICS),
        "rule": (
            f"the first of the candidates whose validation accuracy is within {MAX_DROP} "
            "points of float32's and whose answer for a face does not depend on the faces "
            f"beside it (batch_effect <= {MAX_BATCH_EFFECT:g})"
        ),
        "validation": VALIDATION,
        "calibration": f"{N_CALIBRATION} faces of FER2013 train/ (seed 0)",
        "scores": scores,
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "bytes": out.stat().st_size,
        "command": shlex.join(["python", *sys.argv]),
    }
    record_path.write_text(json.dumps(record), encoding="utf-8")
    shown = ", ".join(
        f"{a} {100 * v['validation']:.2f} / {100 * v['public_test']:.2f}"
        for a, v in scores.items()
    )
    print(f"{name}: {chosen} (validation / PublicTest %: {shown}); {out}")


def export_blazeface(model, size, work):
    import onnx

    from bilstm_emotion.core._onnxruntime import inference_session
    from bilstm_emotion.faces._blazeface_graphs import INPUT_NAME, OUTPUT_NAMES, blazeface_graph
    from bilstm_emotion.faces._network import load_blazeface
    from bilstm_emotion.model._onnx import name_graph_io

    network = load_blazeface(size, model=model)
    network(np.zeros((1, size, size, 3), dtype=np.float32))  # the exporter needs a call
    path = work / f"blazeface_{model}_{size}.onnx"
    network.export(str(path), format="onnx", verbose=False)
    graph = onnx.load(str(path))
    name_graph_io(graph, [INPUT_NAME], OUTPUT_NAMES, batch="n_images")
    entry = graph.metadata_props.add()
    entry.key, entry.value = "source", f"MediaPipe BlazeFace {model} (Apache-2.0), {size}x{size}"
    out = blazeface_graph(model, size)
    onnx.save(graph, str(out))
    x = np.random.default_rng(0).uniform(-1, 1, (3, size, size, 3)).astype(np.float32)
    want = network.predict_on_batch(x)
    got = inference_session(out).run(list(OUTPUT_NAMES), {INPUT_NAME: x})
    # boxes are in input pixels (up to the size), scores in logits: relative to each's range
    error = max(
        float(np.abs(np.asarray(w) - g).max() / np.abs(w).max())
        for w, g in zip(want, got, strict=True)
    )
    if error > 1e-5:
        sys.exit(f"blazeface {model} at {size}: ONNX differs from Keras by {error:.2e}")
    print(
        f"{out} ({out.stat().st_size / 2**20:.1f} MB): largest difference from Keras "
        f"{error:.1e} of the output's range"
    )


def main():
    from bilstm_emotion import PRETRAINED
    from bilstm_emotion.core._pixels import to_uint8
    from bilstm_emotion.datasets import load_fer2013
    from bilstm_emotion.faces._blazeface_graphs import BLAZEFACE_GRAPHS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fer2013", help="FER2013 (the Kaggle folder layout, or its zip)")
    parser.add_argument(
        "--models", nargs="*", default=list(PRETRAINED), choices=PRETRAINED, help="none: skip"
    )
    parser.add_argument("--no-blazeface", action="store_true", help="leave BlazeFace alone")
    args = parser.parse_args()

    X, y = load_fer2013(args.fer2013, subset="train", return_X_y=True)
    Xt, yt = load_fer2013(args.fer2013, subset="test", return_X_y=True)
    if X.dtype != np.uint8:
        X, Xt = to_uint8(X), to_uint8(Xt)
    with tempfile.TemporaryDirectory() as work:
        for name in args.models:
            export_model(name, ((X, y), (Xt, yt)), Path(work))
        if not args.no_blazeface:
            for model, size in BLAZEFACE_GRAPHS:
                export_blazeface(model, size, Path(work))


if __name__ == "__main__":
    main()
