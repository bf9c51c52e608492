"""The scikit-learn estimator around the row/column Bi-LSTM."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context

from ..core._docs import DocLinkMixin
from ._fitting import NetworkFitMixin
from ._inputs import ImageInputMixin
from ._parameters import parameter_constraints, with_parameters

__all__ = ["BiLSTMFaceEmotionClassifier"]


class BiLSTMFaceEmotionClassifier(
    ClassifierMixin, NetworkFitMixin, ImageInputMixin, DocLinkMixin, BaseEstimator
):
    """Face emotion classifier: a row/column stacked bidirectional LSTM.

    A Bi-LSTM with ``row_hidden`` units per direction reads every pixel row of
    a face, left to right and right to left, and encodes it as one vector; a
    second Bi-LSTM with ``col_hidden`` units reads those row encodings from top
    to bottom. Both levels can be stacked (``row_layers``, ``col_layers``).
    Dropout and a softmax over the classes seen in ``y`` close the network,
    which is built with Keras 3 and runs on JAX, TensorFlow or PyTorch.

    Parameters
    ----------
    (filled in from model/_parameters.py)

    Attributes
    ----------
    model_ : keras.Model
        The trained network; it standardises its own input, so it can be
        used directly on float images scaled as they were at fit.
    history_ : dict of str to list of float
        Per-epoch ``loss``, ``accuracy`` and, when a validation set was held
        out, ``val_loss`` and ``val_accuracy``, accumulated over warm starts
        and :meth:`partial_fit` calls.
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted; the columns of :meth:`predict_proba`.
    n_features_in_ : int
        Pixels per image (``height * width``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.
    image_shape_ : tuple of (int, int)
        The ``(height, width)`` of the images the network reads.
    n_iter_ : int
        Epochs run by the last call to :meth:`fit` or :meth:`partial_fit`.
    callbacks_ : list of keras.callbacks.Callback
        The copies of ``callbacks`` the last call trained with.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : same ``early_stopping`` conventions.

    Notes
    -----
    Integer inputs are read as 8-bit intensities and divided by 255 (``uint16``
    by 65535); values outside ``[0, 255]`` raise an error. Float inputs are
    used as given; images in ``[0, 1]`` (as made by dividing 8-bit images by
    255) give the same predictions as their 8-bit originals. The network then
    standardises pixels with the mean and variance of the training images.

    Images that do not fit in memory: pass an
    :class:`~bilstm_emotion.datasets.ImageFiles` (``lazy=True`` in the
    loaders) or a memory-mapped array (``numpy.load(path, mmap_mode="r")``):
    every method reads it batch by batch (*Scaling out* in the docs).

    Examples
    --------
    >>> import numpy as np
    >>> from bilstm_emotion import BiLSTMFaceEmotionClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
    >>> y = np.array(["happy", "sad"] * 20)
    >>> X[y == "happy", 6:] = 255  # a bright "smile" at the bottom
    >>> clf = BiLSTMFaceEmotionClassifier(row_hidden=8, col_hidden=8, epochs=15,
    ...                                   batch_size=8, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = parameter_constraints()

    def __init__(
        self,
        *,
        row_hidden=64,
        col_hidden=64,
        row_layers=1,
        col_layers=1,
        patch_size=1,
        sweep_layers=0,
        sweep_hidden=32,
        stem=None,
        stem_filters=(32, 64),
        stem_stride=1,
        dropout=0.25,
        l2=0.0,
        flip=False,
        shift=0.0,
        rotation=0.0,
        zoom=0.0,
        erasing=0.0,
        optimizer="adam",
        learning_rate=1e-3,
        lr_schedule="constant",
        batch_size=64,
        epochs=20,
        label_smoothing=0.0,
        validation_fraction=0.1,
        early_stopping=False,
        patience=5,
        callbacks=None,
        class_weight=None,
        teacher=None,
        teacher_weight=0.5,
        teacher_views=0,
        test_time_flip=False,
        test_time_shift=0,
        predict_dtype="float32",
        image_shape=None,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.row_hidden = row_hidden
        self.col_hidden = col_hidden
        self.row_layers = row_layers
        self.col_layers = col_layers
        self.patch_size = patch_size
        self.sweep_layers = sweep_layers
        self.sweep_hidden = sweep_hidden
        self.stem = stem
        self.stem_filters = stem_filters
        self.stem_stride = stem_stride
        self.dropout = dropout
        self.l2 = l2
        self.flip = flip
        self.shift = shift
        self.rotation = rotation
        self.zoom = zoom
        self.erasing = erasing
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.epochs = epochs
        self.label_smoothing = label_smoothing
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.teacher = teacher
        self.teacher_weight = teacher_weight
        self.teacher_views = teacher_views
        self.test_time_flip = test_time_flip
        self.test_time_shift = test_time_shift
        self.predict_dtype = predict_dtype
        self.image_shape = image_shape
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on images ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, height * width)
            Grayscale images: 8-bit integers or floats, in memory or read
            from disk batch by batch (see Notes).
        y : array-like of shape (n_samples,)
            Class labels, integers or strings; at least two distinct.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-image weights of the loss; multiplied by ``class_weight``.

        Returns
        -------
        self : BiLSTMFaceEmotionClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train the network for one epoch over ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, height * width)
            Grayscale images, as for :meth:`fit`.
        y : array-like of shape (n_samples,)
            Class labels, all of them in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class that any call may see. Required on the first call,
            optional afterwards (it must then equal ``classes_``).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-image weights of the loss.

        Returns
        -------
        self : BiLSTMFaceEmotionClassifier
            The fitted estimator.
        """
        return self._partial_fit(X, y, classes, sample_weight)

    # ------------------------------------------------------------- predict
    def predict_proba(self, X):
        """Probability of each class for every image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, height * width)
            Grayscale images of the shape seen in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow :attr:`classes_`.
        """
        return self._predict_proba(X)

    def predict(self, X):
        """Most probable class of every image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
(n_samples, height, width, 1) or (n_samples, height * width)
            Grayscale images of the shape seen in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels taken from :attr:`classes_`.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Identical results need a fixed random_state, backend and device (cuDNN LSTMs).
        tags.non_deterministic = True
        # Tiny networks trained a few epochs miss the common checks' scores on toy data.
        tags.classifier_tags.poor_score = True
        return tags


BiLSTMFaceEmotionClassifier.__doc__ = with_parameters(BiLSTMFaceEmotionClassifier.__doc__)
