"""The estimator around an exported prediction graph, run by onnxruntime: no Keras.

A model's whole prediction as :func:`~bilstm_emotion.export_onnx` writes it (uint8
faces in, the probabilities of every class out, the scaling and test-time views inside)
is all it takes to predict. :class:`OnnxFaceEmotionClassifier` holds such a graph as its
fitted state and answers scikit-learn's prediction API with it; the shipped models are
loaded this way (:func:`~bilstm_emotion.load_pretrained`), so predicting imports neither
Keras nor a backend. Training is the Keras estimator's job.
"""

import json
import threading
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ..core._docs import DocLinkMixin
from ..core._errors import PixelRangeWarning
from ..core._onnxruntime import inference_session
from ..core._pixels import to_uint8
from ..datasets._streaming import chunks, is_lazy, read_images
from ._inputs import check_images, check_images_on_disk

__all__ = ["BATCH_NAME", "INPUT_NAME", "OUTPUT_NAME", "OnnxFaceEmotionClassifier", "OnnxGraph"]

#: What an exported graph calls its input and output.
INPUT_NAME, OUTPUT_NAME = "faces", "probabilities"
#: The name of the graph's batch dimension: the number of faces.
BATCH_NAME = "n_faces"
#: Faces per onnxruntime call: the shipped conv graphs ran 1.2-1.3 times as fast in
#: batches of 32-64 as of 256 (their activations stay in the caches; 2-core Xeon,
#: 2026-12-07), in bounded memory whatever the input's size.
BATCH_SIZE = 64


class OnnxGraph:
    """An exported prediction graph: its bytes (what pickles), its metadata, its sessions.

    Parameters
    ----------
    data : bytes
        The ``.onnx`` file's content.
    source : str
        Where it came from (a shipped model's name, or a path), for messages.
    threads : int or None, default=None
        The threads of the first session, the one its metadata is read from.
    """

    def __init__(self, data, *, source, threads=None):
        self.data = bytes(data)
        self.source = str(source)
        self._sessions, self._lock = {}, threading.Lock()
        session = self.session(threads)
        metadata = session.get_modelmeta().custom_metadata_map
        inputs = [i.name for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        missing = [key for key in ("classes", "image_shape") if key not in metadata]
        if missing or inputs != [INPUT_NAME] or outputs != [OUTPUT_NAME]:
            raise ValueError(
                f"Expected a graph written by export_onnx (input {INPUT_NAME!r}, output "
                f"{OUTPUT_NAME!r}, metadata 'classes' and 'image_shape'). Received: "
                f"{self.source} with inputs {inputs}, outputs {outputs}"
                + (f", no {' or '.join(missing)} metadata" if missing else "")
            )
        self.metadata = dict(metadata)

    @classmethod
    def read(cls, path, *, source=None, threads=None):
        """The graph in the file ``path``."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Expected an .onnx file. Received: {path}, not a file")
        return cls(path.read_bytes(), source=source or path, threads=threads)

    def session(self, threads):
        """The onnxruntime session running the graph with ``threads`` (made once each;
        onnxruntime runs one session from several threads at once)."""
        with self._lock:
            if threads not in self._sessions:
                self._sessions[threads] = inference_session(self.data, threads=threads)
            return self._sessions[threads]

    def run(self, faces, threads=None):
        """Probabilities ``(n, n_classes)`` of uint8 ``faces`` ``(n, height, width)``."""
        session = self.session(threads)
        n_classes = len(json.loads(self.metadata["classes"]))
        return np.concatenate(
            [np.empty((0, n_classes), dtype=np.float32)]
            + [
                session.run([OUTPUT_NAME], {INPUT_NAME: faces[start : start + BATCH_SIZE]})[0]
                for start in range(0, len(faces), BATCH_SIZE)
            ]
        )

    def __getstate__(self):
        return {"data": self.data, "source": self.source, "metadata": self.metadata}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._sessions, self._lock = {}, threading.Lock()


class OnnxFaceEmotionClassifier(ClassifierMixin, DocLinkMixin, BaseEstimator):
    """Face emotion classifier that predicts with an exported graph, on onnxruntime.

    The fitted state is a model's whole prediction as one ONNX graph
    (:func:`~bilstm_emotion.export_onnx`, ``bilstm-emotion export``): pixels
    scaled and standardised, the test-time views, the network and the mean
    over the views. :func:`~bilstm_emotion.load_pretrained` returns one for a
    shipped model, and :meth:`from_onnx` for an exported file. Predicting needs
    onnxruntime alone: neither Keras nor a backend is imported. It works
    wherever scikit-learn predicts (``Pipeline``, ``FrozenEstimator``, and
    through ``FrozenEstimator`` in ``cross_val_predict`` and
    ``VotingClassifier``), but it cannot be trained: :meth:`fit` says what to
    use instead.

    Parameters
    ----------
    n_threads : int or None, default=None
        Threads one prediction may use; ``None``: ``OMP_NUM_THREADS`` where
        set (Dask's workers set it to 1), else onnxruntime's choice (one per
        physical core). ``1`` suits many processes side by side (Dask
        workers, a web server's workers).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, the columns of :meth:`predict_proba`.
    image_shape_ : tuple of (int, int)
        ``(height, width)`` of the faces the graph reads.
    n_features_in_ : int
        ``height * width``.
    graph_ : OnnxGraph
        The graph: ``graph_.metadata`` holds what the export recorded
        (``classes``, ``image_shape``, ``test_time_views``, ``producer`` and
        ``arithmetic``: ``"float32"``, or for a shipped model what its record
        chose, ``"int8"`` (convolutions and matrix products; the LSTMs in
        float32) or ``"float32"``); ``graph_.source`` names it.

    See Also
    --------
    BiLSTMFaceEmotionClassifier : the estimator that trains the networks.
    bilstm_emotion.load_pretrained : a shipped model, on this engine by default.

    Examples
    --------
    >>> import numpy as np
    >>> from bilstm_emotion import load_pretrained
    >>> clf = load_pretrained("conv-lite")
    >>> type(clf).__name__, clf.graph_.metadata["arithmetic"]
    ('OnnxFaceEmotionClassifier', 'int8')
    >>> faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    >>> clf.predict_proba(faces).shape
    (3, 7)
    """

    _parameter_constraints: dict = {
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_threads=None):
        self.n_threads = n_threads

    @classmethod
    def from_onnx(cls, path, *, n_threads=None, source=None):
        """The classifier of an ONNX file written by ``export_onnx`` or ``bilstm-emotion export``.

        Parameters
        ----------
        path : str or path-like
            The ``.onnx`` file.
        n_threads : int or None, default=None
            As the parameter of that name.
        source : str or None, default=None
            How messages name the graph; ``None``: its path.

        Returns
        -------
        clf : OnnxFaceEmotionClassifier
            Fitted.
        """
        graph = OnnxGraph.read(path, source=source, threads=n_threads)
        return cls(n_threads=n_threads)._take(graph)

    def _take(self, graph):
        self.graph_ = graph
        self.classes_ = np.asarray(json.loads(graph.metadata["classes"]))
        height, width = json.loads(graph.metadata["image_shape"])
        self.image_shape_ = (int(height), int(width))
        self.n_features_in_ = self.image_shape_[0] * self.image_shape_[1]
        return self

    def fit(self, X, y=None, **fit_params):
        """Refused: an exported graph predicts and cannot be trained.

        Raises
        ------
        TypeError
            Always, naming what to use instead: ``FrozenEstimator(clf)`` where
            scikit-learn fits (``cross_val_predict``, ``VotingClassifier``), or
            the Keras estimator to train.
        """
        raise TypeError(
            "Expected an estimator that trains. Received: OnnxFaceEmotionClassifier, which "
            "predicts with an exported graph and cannot be fitted. To use it as it is where "
            "scikit-learn fits (cross_val_predict, VotingClassifier), wrap it: "
            "sklearn.frozen.FrozenEstimator(clf). To go on training a shipped model: "
            'load_pretrained(name, engine="keras"); to train its recipe anew: '
            "BiLSTMFaceEmotionClassifier(**pretrained_params(name)). Both need a Keras "
            'backend: pip install "bilstm-emotion[tensorflow]" (or [jax], [torch])'
        )

    def predict_proba(self, X):
        """Probability of each class for every image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, height * width)
            Grayscale images of the graph's ``image_shape_``: uint8, or floats in
            [0, 1] (read as the uint8 pixels they stand for, to the nearest; other
            floats are refused: the graph reads 8-bit pixels), or
            :class:`~bilstm_emotion.datasets.ImageFiles` read a chunk at a time.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow :attr:`classes_`.
        """
        check_is_fitted(self)
        self._validate_params()  # n_threads, which fit (refused) would have checked
        if is_lazy(X):
            check_images_on_disk(self, X, reset=False)
            batches = (
                read_images(X, rows, self.image_shape_) for rows in chunks(np.arange(len(X)))
            )
        else:
            with warnings.catch_warnings():  # floats beyond [0, 1] are refused below
                warnings.simplefilter("ignore", PixelRangeWarning)
                batches = [check_images(self, X, reset=False)]
        proba = np.concatenate(
            [self.graph_.run(to_uint8(batch), self.n_threads) for batch in batches]
        ).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of every image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, height * width)
            As for :meth:`predict_proba`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels taken from :attr:`classes_`.
        """
        proba = self.predict_proba(X)  # first: it says when the estimator is not fitted
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # image stacks (n, height, width)
        return tags
