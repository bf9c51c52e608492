"""The whole prediction of a fitted classifier as one ONNX graph, for apps without Keras.

The graph takes ``faces``: uint8 gray crops ``(n, height, width)`` as
:class:`~bilstm_emotion.preprocessing.FaceNormalizer` makes them (times 255),
scales them to [0, 1], standardises them as the network does, makes the
model's test-time views (shifts, mirror), runs the network on all of them and
averages: ``probabilities`` ``(n, n_classes)``, the classes in the order of
the metadata entry ``classes``. The network is its inference copy (as
``predict_proba`` runs it): the training-only layers (random flips, shifts,
erasing, dropout) left out, so the graph holds no random operations, and each
batch normalisation folded into the convolution before it.
"""

import json
from pathlib import Path

import numpy as np

from ._keras import keras, ops
from ._onnx_classifier import (
    BATCH_NAME,
    INPUT_NAME,
    OUTPUT_NAME,
    OnnxFaceEmotionClassifier,
    OnnxGraph,
)
from ._predicting import network_in_dtype
from ._test_time import mean_over_views, n_views, test_time_views

#: The largest difference from ``predict_proba`` an exported graph may show.
TOLERANCE = 1e-4


def export_onnx(estimator, path, *, check=True, opset=None):
    """Write the prediction of a fitted ``BiLSTMFaceEmotionClassifier`` as an ONNX file.

    Parameters
    ----------
    estimator : BiLSTMFaceEmotionClassifier
        Fitted; its ``test_time_flip`` and ``test_time_shift`` views are part of
        the graph. The graph computes in float32 whatever ``predict_dtype`` says.
    path : str or path-like
        The ``.onnx`` file to write (an existing one is replaced). The export runs on
        the TensorFlow backend (Keras' exporter for it is tf2onnx); the file itself
        needs neither.
    check : bool, default=True
        Run the written graph with onnxruntime on 16 random faces and raise
        if it differs from ``predict_proba`` by more than 1e-4.
    opset : int or None
        ONNX opset; ``None``: the exporter's default.

    Returns
    -------
    path : pathlib.Path
        The file written. Its metadata holds ``classes`` (JSON), ``image_shape``,
        ``test_time_views``, ``arithmetic`` (``"float32"``) and the package
        version; :meth:`OnnxFaceEmotionClassifier.from_onnx
        <bilstm_emotion.OnnxFaceEmotionClassifier.from_onnx>` predicts with it.

    Examples
    --------
    >>> import onnxruntime
    >>> from bilstm_emotion import export_onnx, load_pretrained
    >>> clf = load_pretrained("conv-lite", engine="keras")  # doctest: +SKIP
    >>> path = export_onnx(clf, "conv-lite.onnx")  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession(path)  # doctest: +SKIP
    >>> session.run(None, {"faces": faces_uint8})[0]  # doctest: +SKIP
    """
    if isinstance(estimator, OnnxFaceEmotionClassifier):
        raise ValueError(
            "Expected a fitted BiLSTMFaceEmotionClassifier. Received: an "
            "OnnxFaceEmotionClassifier, already an ONNX graph (its bytes: clf.graph_.data); "
            'for a shipped model\'s network, load_pretrained(name, engine="keras")'
        )
    if not hasattr(estimator, "model_") or "test_time_shift" not in estimator.get_params():
        raise ValueError(
            "Expected a fitted BiLSTMFaceEmotionClassifier. Received: "
            f"{type(estimator).__name__}{'' if hasattr(estimator, 'model_') else ' (not fitted)'}"
        )
    backend = keras.backend.backend()
    if backend != "tensorflow":
        # Keras' JAX exporter (jax2onnx) cannot reshape the views with a free batch size;
        # its PyTorch exporter fixes the batch to 1 and here wrote a graph without inputs.
        raise ValueError(
            "Expected the TensorFlow backend for ONNX export (the only one whose exporter "
            f"keeps any batch size and the test-time views). Received: backend {backend!r}. "
            "Run it with KERAS_BACKEND=tensorflow: the weights, and so the file, are the same."
        )
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            f'ONNX export needs the `export` extra: pip install "bilstm-emotion[export]" '
            f"(missing: {exc.name})"
        ) from None
    path = Path(path)
    graph = prediction_graph(estimator)
    graph(ops.convert_to_tensor(np.zeros((2, *estimator.image_shape_), dtype=np.uint8)))
    graph.export(
        str(path), format="onnx", verbose=False, **({"opset_version": opset} if opset else {})
    )
    model = onnx.load(str(path))
    name_graph_io(model, [INPUT_NAME], [OUTPUT_NAME])
    from ..core._version import __version__

    for key, value in {
        "classes": json.dumps([str(c) for c in estimator.classes_]),
        "image_shape": json.dumps(list(estimator.image_shape_)),
        "producer": f"bilstm-emotion {__version__}",
        "arithmetic": "float32",
        "test_time_views": str(
            n_views(flip=estimator.test_time_flip, shift=estimator.test_time_shift)
        ),
    }.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
    if check:
        verify_onnx(estimator, path)
    return path


def verify_onnx(estimator, path):
    """:func:`check_onnx`'s difference, or a ValueError when it is over :data:`TOLERANCE`."""
    error = check_onnx(estimator, path)
    if error > TOLERANCE:
        raise ValueError(
            f"Expected the ONNX graph in {path} to match predict_proba within {TOLERANCE:g}. "
            f"Received: a largest difference of {error:.2e}"
        )
    return error


def check_onnx(estimator, path, faces=None):
    """Largest difference between onnxruntime on ``path`` and ``estimator.predict_proba``.

    ``faces``: uint8 ``(n, height, width)``; ``None``: 16 random ones.
    """
    if faces is None:
        rng = np.random.default_rng(0)
        faces = rng.integers(0, 256, (16, *estimator.image_shape_), dtype=np.uint8)
    got = OnnxGraph.read(path).run(np.asarray(faces, dtype=np.uint8))
    exact = type(estimator).from_network(  # the same network in the graph's arithmetic
        estimator.model_,
        classes=estimator.classes_,
        image_shape=estimator.image_shape_,
        params={**estimator.get_params(deep=False), "predict_dtype": "float32"},
    )
    return float(np.abs(got - exact.predict_proba(faces)).max())


def prediction_graph(estimator):
    """A Keras model from uint8 faces to the averaged probabilities of every view."""
    image_shape = tuple(estimator.image_shape_)
    # the network as it predicts: no training-only random layers, batch norms folded
    network = network_in_dtype(estimator.model_, "float32", inference=True)
    norm = estimator.model_.get_layer("standardize")
    # Normalization holds its statistics as captured tensors, which the ONNX exporter
    # would turn into extra graph inputs: the graph computes them from constants.
    mean = np.asarray(ops.convert_to_numpy(norm.mean), dtype=np.float32)
    std = np.sqrt(np.asarray(ops.convert_to_numpy(norm.variance), dtype=np.float32))
    std = np.maximum(std, keras.config.epsilon())
    body = keras.Model(network.get_layer("standardize").output, network.output)

    faces = keras.Input(image_shape, dtype="uint8", name=INPUT_NAME)
    x = ops.cast(faces, "float32") / 255.0
    views = test_time_views(x, flip=estimator.test_time_flip, shift=estimator.test_time_shift)
    proba = mean_over_views(
        body(_Standardize(mean, std)(ops.concatenate(views, axis=0))), len(views)
    )
    proba = proba / ops.sum(proba, axis=1, keepdims=True)
    return keras.Model(faces, proba, name="bilstm_emotion_prediction")


class _Standardize(keras.layers.Layer):
    def __init__(self, mean, std, **kwargs):
        super().__init__(**kwargs)
        self._mean, self._std = mean, std

    def call(self, x):
        return (x - self._mean) / self._std


def name_graph_io(model, inputs, outputs, batch=BATCH_NAME):
    """Name an exported graph's inputs, outputs and their free batch dimension (the
    exporters call them after their own tensors: ``Identity:0``, ``output_0``,
    ``unk__396``, ...). ``model``: an ``onnx.ModelProto``, changed in place."""
    graph = model.graph
    renames = {
        **{value.name: name for value, name in zip(graph.input, inputs, strict=True)},
        **{value.name: name for value, name in zip(graph.output, outputs, strict=True)},
    }
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    for value in [*graph.input, *graph.output]:
        value.name = renames[value.name]
        value.type.tensor_type.shape.dim[0].dim_param = batch
