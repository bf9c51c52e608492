"""Where a shipped model's arithmetic goes, and what Keras' int8 quantization could reach.

For each shipped model: multiply-adds per face and per view, by kind of layer (convolutions,
Bi-LSTMs, dense layers), counted from the built network, and the views per face of its shipped
prediction setting. Then ``model.quantize("int8")`` is applied to a copy of the network and the
layers it quantized are listed with their share of the multiply-adds: Keras quantizes
``Dense``/``EinsumDense``/``Embedding`` layers only, so that share bounds what int8 can save.
Nothing is timed; no data is needed.

    python benchmarks/layer_costs.py
"""

import argparse
import math
import warnings


def _macs(layer, folds):
    """Multiply-adds of one face through ``layer`` (0 for layers that do none)."""
    import keras

    out = layer.output.shape
    if isinstance(layer, keras.layers.SeparableConv2D):
        depthwise = math.prod(layer.depthwise_kernel.shape)
        return math.prod(out[1:3]) * (depthwise + math.prod(layer.pointwise_kernel.shape))
    if isinstance(layer, keras.layers.Conv2D):
        return math.prod(out[1:3]) * math.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Dense):
        return math.prod(out[1:-1]) * math.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Bidirectional):
        # Each direction: per time step, input and state times the four gates' kernels, once
        # for every sequence the preceding FoldRows made of one face.
        steps, features = layer.input.shape[1:]
        units = layer.forward_layer.units
        return folds * 2 * steps * (features + units) * 4 * units
    return 0


def layer_costs(model):
    """Multiply-adds per view of one face, by layer name and kind."""
    rows, folds = [], 1
    for layer in model.layers:
        # the package's FoldRows layer (its registered name in the saved network):
        # (H, W, C) -> H sequences of (W, C) per face
        if type(layer).__name__ == "FoldRows":
            folds = math.prod(layer.input.shape[1:]) // math.prod(layer.output.shape[1:])
        macs = _macs(layer, folds)
        if macs:
            rows.append({"layer": layer.name, "kind": type(layer).__name__, "macs": int(macs)})
    return rows


def main(argv=None):
    import keras
    from _common import write_report

    from bilstm_emotion import PRETRAINED, load_pretrained

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(PRETRAINED))
    parser.add_argument("--out", default="benchmarks/results/layer_costs.json")
    args = parser.parse_args(argv)
    models = []
    for name in args.models:
        clf = load_pretrained(name, engine="keras")
        rows = layer_costs(clf.model_)
        total = sum(r["macs"] for r in rows)
        by_kind = {}
        for r in rows:
            by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + r["macs"]
        copy = keras.Model.from_config(clf.model_.get_config())  # never compiled
        copy.set_weights(clf.model_.get_weights())
        with warnings.catch_warnings():  # one warning per layer kind it leaves alone
            warnings.simplefilter("ignore", UserWarning)
            copy.quantize("int8")
        quantized = [x.name for x in copy.layers if getattr(x, "quantization_mode", None)]
        q_macs = sum(r["macs"] for r in rows if r["layer"] in quantized)
        # as test_time_shift's documentation says: five views with a shift, twice that flipped
        views = (5 if clf.test_time_shift else 1) * (2 if clf.test_time_flip else 1)
        models.append(
            {
                "model": name,
                "macs_per_view": total,
                "views_per_face": views,
                "macs_per_face": total * views,
                "share_by_kind": {k: v / total for k, v in by_kind.items()},
                "int8_quantized_layers": quantized,
                "int8_share_of_macs": q_macs / total,
                "layers": rows,
            }
        )
        shares = "  ".join(f"{k} {100 * v / total:.1f} %" for k, v in by_kind.items())
        print(
            f"{name:12s} {total / 1e6:6.1f} M multiply-adds per view x {views} views  "
            f"{shares}  int8 reaches {100 * q_macs / total:.2f} % ({', '.join(quantized)})"
        )
    report = {"benchmark": "layer_costs", "backend": keras.backend.backend(), "models": models}
    write_report(report, args.out)


if __name__ == "__main__":
    main()
