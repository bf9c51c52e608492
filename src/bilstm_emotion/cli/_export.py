"""``export``: a model's whole prediction as one ONNX file, for apps without Keras."""

import argparse
import os
from pathlib import Path

from ._common import add_model_options, check_outputs, load_model

EXPORT_EPILOG = """examples:
  bilstm-emotion export conv-xl-flip.onnx                  # the default model
  bilstm-emotion export --model conv-xl-kd --format onnx xl.onnx
  bilstm-emotion export --estimator mine.skops mine.onnx

the file takes "faces": uint8 gray crops (n, 48, 48) and gives "probabilities" (n, 7),
the classes in its metadata ("classes"); input scaling and the model's test-time views are
inside. It is checked against the Keras model (within 1e-4) before the command ends.
Needs pip install "bilstm-emotion[export]"; running the file needs only onnxruntime.
"""


def _export(args):
    out = Path(args.out)
    if out.suffix != ".onnx":
        raise ValueError(f"Expected an output file ending in .onnx. Received: {out}")
    check_outputs([out], args.overwrite)
    model = load_model(args, engine="keras")  # the export runs the Keras network
    from ..model._onnx import export_onnx, verify_onnx

    partial = out.with_name(out.name + ".partial")
    try:
        export_onnx(model, partial, check=False)
        try:
            error = verify_onnx(model, partial)
        except ValueError as exc:
            raise ValueError(f"{exc}; nothing written to {out}") from None
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    size = out.stat().st_size / 2**20
    shape = "x".join(str(d) for d in model.image_shape_)
    print(
        f"wrote {out} ({size:.1f} MB): faces uint8 (n, {shape.replace('x', ', ')}) -> "
        f"probabilities (n, {len(model.classes_)}); largest difference from Keras "
        f"{error:.1e}"
    )
    return 0


def add_parser(sub):
    e = sub.add_parser(
        "export",
        help="write a model's whole prediction as an ONNX file",
        description="Export the prediction of a shipped model (or a saved estimator) as one "
        "ONNX graph: input scaling, standardisation, the network and its test-time views, "
        "for onnxruntime in apps that have neither Keras nor TensorFlow.",
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("out", help="the .onnx file to write")
    e.add_argument("--format", default="onnx", choices=("onnx",), help="file format (onnx)")
    e.add_argument("--overwrite", action="store_true", help="replace an existing file")
    add_model_options(e)
    e.set_defaults(func=_export)
