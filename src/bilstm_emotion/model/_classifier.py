"""The scikit-learn estimator around the row/column Bi-LSTM.

``fit`` and ``partial_fit`` share one training run (:meth:`_train`), which reads top
to bottom: validate the data and parameters, build the network (or keep the fitted
one), make the targets (a distillation strategy of :mod:`._distillation`), train,
record. Prediction runs the network's inference copy in batches
(:mod:`._predicting`); pickling stores the network as its ``.keras`` archive.
"""

import contextlib
import copy
from dataclasses import asdict

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..core._backend import PREDICT_DTYPE_CHOICES
from ..core._docs import DocLinkMixin
from ..datasets._streaming import chunks, is_lazy, mean_variance, read_images
from ._config import NetworkConfig
from ._distillation import Examples, Settings, distillation_for
from ._inputs import check_images, check_images_and_labels, check_images_on_disk
from ._keras import keras
from ._keras_archive import network_from_bytes, network_to_bytes
from ._network import build_row_col_bilstm
from ._parameters import idle, parameter_constraints, warn_unused_parameters
from ._predicting import inference_network, predict_in_batches, resolve_dtype
from ._training import label_indices, make_optimizer, sample_weights

__all__ = ["BiLSTMFaceEmotionClassifier"]


@contextlib.contextmanager
def _kept_if_refused(estimator):
    """Put every attribute of ``estimator`` back as it was if the block raises: a fit
    refused while it is prepared (the images, the teacher's targets) leaves a fitted
    estimator whole, its image shape beside its network, and an unfitted one unfitted."""
    before = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(before)
        raise


class BiLSTMFaceEmotionClassifier(ClassifierMixin, DocLinkMixin, BaseEstimator):
    """Face emotion classifier: a row/column stacked bidirectional LSTM.

    A Bi-LSTM with ``row_hidden`` units per direction reads every pixel row of
    a face, left to right and right to left, and encodes it as one vector; a
    second Bi-LSTM with ``col_hidden`` units reads those row encodings from top
    to bottom. Both levels can be stacked (``row_layers``, ``col_layers``).
    Dropout and a softmax over the classes seen in ``y`` close the network,
    which is built with Keras 3 and runs on JAX, TensorFlow or PyTorch.

    Parameters
    ----------
    row_hidden : int, default=64
        Units per direction of the row-level Bi-LSTM(s).
    col_hidden : int, default=64
        Units per direction of the column-level Bi-LSTM(s).
    row_layers : int, default=1
        Number of stacked Bi-LSTMs at the row level.
    col_layers : int, default=1
        Number of stacked Bi-LSTMs at the column level.
    patch_size : int, default=1
        Side of the square patch of pixels the row level reads per time step.
        ``1`` reads pixel by pixel, as in the original row/column model;
        ``4`` reads a 48x48 face as 12 rows of 12 patches of 16 pixels, which
        trains about four times faster.
    sweep_layers : int, default=0
        Number of ReNet layers before the row level. Each runs a Bi-LSTM
        along every row and then along every column of the (patch) grid and
        keeps a 2-D feature map, so that every position has seen the whole
        face. Purely recurrent; no convolution.
    sweep_hidden : int, default=32
        Units per direction of the ReNet Bi-LSTMs; unused with ``sweep_layers=0``.
    stem : {None, "conv", "separable"}, default=None
        ``"conv"`` puts convolutional blocks before the recurrent levels
        (two 3x3 convolutions, batch normalisation, ReLU, then 2x2 max
        pooling); ``"separable"`` makes every convolution but the first
        depthwise-separable (fewer weights and multiplications).
    stem_filters : tuple of int, default=(32, 64)
        Filters of each convolutional block of the stem; each block halves
        the height and width of the map. Unused with ``stem=None``.
    stem_stride : int, default=1
        Stride of the stem's first convolution: ``2`` halves the face first,
        a quarter of the stem's work (as the shipped ``"conv-lite"`` does).
        Unused with ``stem=None``.
    dropout : float, default=0.25
        Dropout rate applied to the image encoding before the classifier.
    l2 : float, default=0.0
        L2 penalty on the LSTM and classifier weights.
    flip : bool, default=False
        Augment training images with random left-right mirroring.
    shift : float, default=0.0
        Augment training images with random shifts of up to this share of
        their height and width (e.g. ``0.1``).
    rotation : float, default=0.0
        Augment training images with random rotations of up to this many degrees.
    zoom : float, default=0.0
        Augment training images with random zooms of up to this share.
    erasing : float, default=0.0
        Augment training images by blanking, with this probability, a random
        rectangle covering 2 to 33 % of the face (random erasing).
        Augmentation runs inside the network during :meth:`fit` only;
        prediction sees the images unchanged.
    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"}, default="adam"
        Keras optimizer used for training.
    learning_rate : float, default=0.001
        Learning rate of the optimizer (its starting value with a schedule).
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` decays the learning rate to zero along a cosine over the
        ``epochs`` of :meth:`fit` (over ``epochs`` calls of
        :meth:`partial_fit`).
    batch_size : int, default=64
        Images per gradient step (and per prediction batch).
    epochs : int, default=20
        Passes over the training data made by :meth:`fit` (an upper bound
        when ``early_stopping=True``). :meth:`partial_fit` always makes one.
    label_smoothing : float, default=0.0
        Label smoothing of the cross-entropy loss, in ``[0, 1)``.
    validation_fraction : float, default=0.1
        Share of the training data set aside (stratified when possible) to
        decide when to stop when ``early_stopping=True``; unused otherwise
        (and with ``epochs=1``, as in :meth:`partial_fit`).
        With ``0.0``, early stopping watches the training loss instead.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience``
        epochs, and restore the weights of the best epoch. Acts in :meth:`fit`
        with ``epochs`` > 1 only.
    patience : int, default=5
        Epochs without improvement tolerated by early stopping; unused without it
        (and with ``epochs=1``, as in :meth:`partial_fit`).
    callbacks : list of keras.callbacks.Callback or None, default=None
        Keras callbacks for every ``fit`` of the network (after early
        stopping), e.g. ``keras.callbacks.CSVLogger``. Each call trains with
        deep copies, kept in ``callbacks_`` (not saved with the estimator), so
        :func:`~sklearn.base.clone` and ``GridSearchCV`` may reuse the given.
    class_weight : dict, "balanced" or None, default=None
        Weights per class label, multiplied into ``sample_weight``.
        ``"balanced"`` weighs classes inversely to their frequency, which
        helps the rare ``disgust`` class of FER2013.
    teacher : fitted classifier or None, default=None
        Knowledge distillation: a fitted classifier with ``predict_proba`` and
        the same classes, e.g. a soft vote of pretrained models. :meth:`fit`
        and :meth:`partial_fit` train the network towards ``(1 -
        teacher_weight) * one_hot(y) + teacher_weight * teacher.predict_proba``
        (of ``X``, or see ``teacher_views``). Wrap it in
        :class:`~sklearn.frozen.FrozenEstimator` so that
        :func:`~sklearn.base.clone` (and ``GridSearchCV``) keeps it fitted.
        Early stopping still watches the true labels.
    teacher_weight : float, default=0.5
        Share of the teacher's probabilities in the training targets, in
        ``[0, 1]``; unused with ``teacher=None``.
    teacher_views : int or "online", default=0
        Consistent distillation (function matching): the teacher scores the
        augmented image the network trains on. ``"online"``: every batch, in
        the training step (a teacher of this class, or a soft
        ``VotingClassifier`` of them). ``n``: ``n`` augmented copies of each
        face, scored before training; epoch ``e`` trains on copy ``e % n``
        (``X`` in memory, ``n`` times over). ``0``: the faces as given.
        Unused without a teacher, and without augmentation (the copies would
        be the faces themselves: the teacher is asked once).
    test_time_flip : bool, default=False
        Average the predictions for each face and its mirror image. Costs
        twice the prediction time; usually worth a point of accuracy for
        models trained with ``flip=True``.
    test_time_shift : int, default=0
        Also average the predictions for each face moved by this many pixels
        up, down, left and right (edges repeated): five times the prediction
        time (ten with ``test_time_flip``). Suits models trained with
        ``shift``: 2 pixels added 0.5 to 1.2 points to most conv models.
    predict_dtype : {"float32", "bfloat16", "auto"}, default="float32"
        Arithmetic of :meth:`predict_proba` (training is float32).
        ``"bfloat16"`` predicts with a copy of the network under Keras'
        ``mixed_bfloat16`` policy: up to 2.2x the throughput on processors
        with bfloat16 units (Intel AMX), slower elsewhere (*Benchmarks*).
        ``"auto"``: bfloat16 with TensorFlow on such a processor, else float32.
    image_shape : tuple of (int, int) or None, default=None
        How to fold flat rows of ``n_features`` pixels into images. ``None``
        folds a perfect square (2304 pixels to 48x48, as in the FER2013 CSV)
        and reads any other width as one row of ``n_features`` pixels, with a
        warning. 3-D and 4-D image arrays must agree with it, when given.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout, augmentation and the
        validation split (:func:`keras.utils.set_random_seed` and explicit
        layer seeds): an int gives identical predictions on the same backend
        and device, even while other threads draw from :mod:`random`.
    verbose : int, default=0
        Keras progress output during fit: 0 silent, 1 progress bar, 2 one
        line per epoch.
    warm_start : bool, default=False
        Continue training the fitted network on the next call to :meth:`fit`
        instead of starting again. The architecture parameters, the image
        shape and the classes may not change between such calls.

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
        first = not (self.warm_start and hasattr(self, "model_"))
        return self._train(
            X, y, sample_weight, classes=None, epochs=self.epochs, first=first, new_optimizer=True
        )

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
        first = not hasattr(self, "model_")
        if first and classes is None:
            raise ValueError(
                "Expected `classes` on the first call to partial_fit, listing every "
                "class label any call may see. Received: classes=None"
            )
        if classes is not None:
            classes = np.unique(column_or_1d(classes))
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"Expected `classes` equal to classes_={self.classes_.tolist()} "
                    f"from the first call. Received: classes={classes.tolist()}"
                )
        return self._train(
            X,
            y,
            sample_weight,
            classes=classes if first else None,  # later calls keep classes_ as it is
            epochs=1,
            first=first,
            new_optimizer=first,
        )

    def _train(self, X, y, sample_weight, *, classes, epochs, first, new_optimizer):
        """One training run of ``epochs`` epochs: a new network when ``first``, else
        the fitted one, with a new optimizer (fit) or its own (partial_fit)."""
        with _kept_if_refused(self):  # until training starts, a refusal changes nothing
            # 1. Validate: the parameters, the images and labels, the teacher.
            params = {**self.get_params(deep=False), "epochs": epochs}
            warn_unused_parameters(params)
            config = NetworkConfig.from_params(params)
            if not first:
                self._check_same_architecture(config)
            X_raw = X
            X, y = check_images_and_labels(self, X, y, reset=first)
            if classes is None:
                classes = np.unique(y) if first else self.classes_
            y_idx = label_indices(y, classes)
            weights = sample_weights(X, y_idx, sample_weight, classes, self.class_weight)
            distillation = distillation_for(
                params, epochs=epochs, classes=classes, image_shape=self.image_shape_
            )
            distillation.check(X)
            early_stopping = not idle("patience", params)  # the table's rule: epochs > 1
            rng = check_random_state(self.random_state)
            seed = int(rng.randint(np.iinfo(np.int32).max))
            keras.utils.set_random_seed(seed)  # the shuffles and random layers of fit

            # 2. Build: a new network standardising pixels as the training images are.
            network = self._build_network(X, len(classes), config, seed) if first else self.model_

            # 3. Targets: the labels, or the labels mixed with a teacher's probabilities.
            examples = Examples(
                X, X_raw, np.eye(len(classes), dtype=np.float32)[y_idx], y_idx, weights, classes
            )
            settings = Settings(
                image_shape=self.image_shape_,
                batch_size=self.batch_size,
                validation_fraction=self.validation_fraction if early_stopping else 0,
                label_smoothing=self.label_smoothing,
                rng=rng,
            )
            run = distillation.run(network, examples, settings)

            # 4. Train: the callbacks and the optimizer first (either may refuse), then the
            # estimator holds the network being trained.
            callbacks = []
            if early_stopping:
                callbacks.append(
                    keras.callbacks.EarlyStopping(
                        monitor="val_loss" if run.validation_data is not None else "loss",
                        patience=self.patience,
                        restore_best_weights=True,
                    )
                )
            own_callbacks = copy.deepcopy(list(self.callbacks or []))
            self._compile(network, run, new_optimizer=new_optimizer)
        self.model_, self.classes_, self.callbacks_ = network, classes, own_callbacks
        self._architecture = asdict(config)  # plain data: skops stores it
        if first:
            self.history_ = {}
        history = run.network.fit(
            **run.inputs,
            epochs=epochs,
            validation_data=run.validation_data,
            callbacks=callbacks + run.callbacks + self.callbacks_,
            verbose=int(min(self.verbose, 2)),
        )

        # 5. Record: the metrics of every epoch.
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        self.n_iter_ = len(history.history.get("loss", []))
        return self

    def _check_same_architecture(self, config):
        old = NetworkConfig.from_params(self._architecture)
        for param, before, now in old.changes(config):
            raise ValueError(
                f"Expected {param}={before!r} as in the fitted model, which "
                f"warm_start=True and partial_fit keep training. Received: "
                f"{param}={now!r}. Use fit with warm_start=False for a new network."
            )

    def _build_network(self, X, n_classes, config, seed):
        if is_lazy(X):
            mean, var = mean_variance(X, np.arange(X.shape[0]), self.image_shape_)
        else:
            mean, var = float(X.mean(dtype=np.float64)), float(X.var(dtype=np.float64))
        return build_row_col_bilstm(
            self.image_shape_,
            n_classes,
            config,
            input_mean=mean,
            input_variance=var if var > 0 else 1.0,
            seed=seed,  # not Python's global random, which other threads may draw from
        )

    def _compile(self, network, run, *, new_optimizer):
        """Compile ``network``, the estimator's network to be (so that it predicts and
        trains on alone) and, when the run trains a graph around it, that graph, both with
        one optimizer: a new one, or the one ``network`` trained with (``partial_fit``
        goes on from its state; a network read from a file has none and gets a new one)."""
        keep = not new_optimizer and network.compiled
        if keep and run.network is network:
            return
        if keep:
            optimizer = network.optimizer
        else:
            steps = self.epochs * -(-run.n_train // self.batch_size)
            optimizer = make_optimizer(
                self.optimizer, self.learning_rate, schedule=self.lr_schedule, decay_steps=steps
            )
        if run.network is not network:  # first: refused there, ``network`` is as it was
            run.network.compile(optimizer=optimizer, loss=run.loss, metrics=[run.metric])
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=self.label_smoothing)
        network.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])

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
        check_is_fitted(self)
        if is_lazy(X):  # read from disk one chunk at a time
            check_images_on_disk(self, X, reset=False)
            batches = (
                read_images(X, rows, self.image_shape_) for rows in chunks(np.arange(len(X)))
            )
        else:
            batches = [check_images(self, X, reset=False)]
        proba = np.concatenate([self._predict_batches(batch) for batch in batches])
        proba = proba.astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def _predict_batches(self, X):
        return predict_in_batches(
            self._prediction_network(),
            X,
            n_classes=len(self.classes_),
            batch_size=self.batch_size,
            flip=self.test_time_flip,
            shift=self.test_time_shift,
        )

    def _prediction_network(self):
        """``model_``'s inference copy in ``predict_dtype`` (:func:`inference_network`)."""
        if self.predict_dtype not in PREDICT_DTYPE_CHOICES:
            raise ValueError(
                f"Expected predict_dtype to be one of {list(PREDICT_DTYPE_CHOICES)}. "
                f"Received: predict_dtype={self.predict_dtype!r}"
            )
        return inference_network(self.model_, resolve_dtype(self.predict_dtype))

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

    @classmethod
    def from_network(cls, model, *, classes, image_shape, history=None, params=None):
        """An estimator fitted with ``model``, a trained network of this estimator's kind.

        Parameters
        ----------
        model : keras.Model
            The network, as built by :func:`~bilstm_emotion.model.build_row_col_bilstm`
            from ``params`` (its output columns follow ``classes``).
        classes : array-like of shape (n_classes,)
            The class labels, sorted.
        image_shape : tuple of (int, int)
            The ``(height, width)`` the network reads.
        history : dict or None, default=None
            Per-epoch training metrics, as in ``history_``.
        params : dict or None, default=None
            The estimator's parameters (the ones left out take their defaults).

        Returns
        -------
        estimator
            Fitted: ``predict`` works, and ``warm_start=True`` continues training.
        """
        estimator = cls(**(params or {}))
        estimator.model_ = model
        estimator.classes_ = np.asarray(classes)
        estimator.image_shape_ = (int(image_shape[0]), int(image_shape[1]))
        estimator.n_features_in_ = estimator.image_shape_[0] * estimator.image_shape_[1]
        estimator.history_ = dict(history or {})
        estimator.n_iter_ = len(estimator.history_.get("loss", []))
        estimator._architecture = asdict(
            NetworkConfig.from_params(estimator.get_params(deep=False))
        )
        return estimator

    # ------------------------------------------------------------- storage
    def __getstate__(self):
        # The network travels as its .keras archive: pickle would otherwise use Keras'
        # own reduce (read back with safe_mode=False), and skops cannot walk a Keras
        # model at all.
        state = dict(super().__getstate__())  # a copy: it may be the instance's __dict__
        if "model_" in state:
            state["model_"] = network_to_bytes(state["model_"])
        state.pop("callbacks_", None)  # copies of Keras callbacks: not ours to store
        return state

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("model_"), (bytes, bytearray)):
            state["model_"] = network_from_bytes(bytes(state["model_"]))
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # image stacks (n, height, width)
        # Identical results need a fixed random_state, backend and device (cuDNN LSTMs).
        tags.non_deterministic = True
        # Tiny networks trained a few epochs miss the common checks' scores on toy data.
        tags.classifier_tags.poor_score = True
        return tags
