"""What an estimator whose fitted network is ``model_`` runs: fit, warm starts, predict, storage.

:class:`NetworkFitMixin` sits left of ``BaseEstimator`` in the classifier's
bases; the classifier itself holds only its public face (parameters,
docstrings, constraints and tags).
"""

import copy
from dataclasses import asdict

import keras
import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..core._backend import PREDICT_DTYPE_CHOICES
from ..datasets._streaming import chunks, is_lazy, mean_variance, read_images
from ._config import NetworkConfig
from ._keras_archive import network_from_bytes, network_to_bytes
from ._network import build_row_col_bilstm
from ._online import distillation_loss, online_trainer, teacher_networks
from ._parameters import idle, warn_unused_parameters
from ._predicting import inference_network, predict_in_batches, resolve_dtype
from ._training import (
    fit_data,
    label_indices,
    make_optimizer,
    sample_weights,
    split_validation,
    teacher_proba,
)
from ._views import (
    ViewBatches,
    ViewOfEpoch,
    augmented_views,
    in_units_of,
    without_augmentation,
)

__all__ = ["NetworkFitMixin"]


class NetworkFitMixin:
    """Training and prediction of a Keras network built from the estimator's parameters."""

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
        estimator._architecture = asdict(estimator._network_config())
        return estimator

    def _network_config(self):
        return NetworkConfig.from_params(self.get_params(deep=False))

    def _check_same_architecture(self):
        old = NetworkConfig.from_params(self._architecture)
        for param, before, now in old.changes(self._network_config()):
            raise ValueError(
                f"Expected {param}={before!r} as in the fitted model, which "
                f"warm_start=True and partial_fit keep training. Received: "
                f"{param}={now!r}. Use fit with warm_start=False for a new network."
            )

    def _fit(self, X, y, sample_weight):
        warn_unused_parameters(self.get_params(deep=False))
        first = not (self.warm_start and hasattr(self, "model_"))
        if not first:
            self._check_same_architecture()
        X_raw = X
        X, y = self._validate_X_y(X, y, reset=first)
        classes = np.unique(y) if first else self.classes_
        return self._train(
            X, y, sample_weight, classes, epochs=self.epochs, first=first, X_raw=X_raw
        )

    def _partial_fit(self, X, y, classes, sample_weight):
        warn_unused_parameters({**self.get_params(deep=False), "epochs": 1})
        first = not hasattr(self, "model_")
        if not first:
            self._check_same_architecture()
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
        X_raw = X
        X, y = self._validate_X_y(X, y, reset=first)
        classes = classes if first else self.classes_
        return self._train(
            X, y, sample_weight, classes, epochs=1, first=first, compile_=first, X_raw=X_raw
        )

    def _train(self, X, y, sample_weight, classes, *, epochs, first, X_raw, compile_=True):
        y_idx = label_indices(y, classes)
        config = self._network_config()
        # the teacher scores augmented views unless the table's rule says teacher_views
        # does nothing here (no teacher, or no augmentation: the teacher is asked once)
        teach = not idle("teacher_views", self.get_params(deep=False))
        online = teach and self.teacher_views == "online"
        n_views = min(self.teacher_views, epochs) if teach and not online else 0
        if n_views and is_lazy(X):
            raise ValueError(
                "Expected X in memory with teacher_views > 0 (the augmented views are made "
                "before training). Received: images on disk and "
                f"teacher_views={self.teacher_views}"
            )
        members = teacher_networks(self.teacher, classes, self.image_shape_) if online else ()
        # Knowledge distillation: unless it scores the augmented views, the teacher sees
        # the images as the user gave them, once.
        ask_once = self.teacher is not None and not (n_views or online)
        soft = teacher_proba(self.teacher, X_raw, classes) if ask_once else None
        weights = sample_weights(X, y_idx, sample_weight, classes, self.class_weight)

        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        keras.utils.set_random_seed(seed)  # the shuffles and random layers of fit

        if first:
            self.classes_ = classes
            self.history_ = {}
            if is_lazy(X):
                mean, var = mean_variance(X, np.arange(X.shape[0]), self.image_shape_)
            else:
                mean, var = float(X.mean(dtype=np.float64)), float(X.var(dtype=np.float64))
            self.model_ = build_row_col_bilstm(
                self.image_shape_,
                len(classes),
                config,
                input_mean=mean,
                input_variance=var if var > 0 else 1.0,
                seed=seed,  # not Python's global random, which other threads may draw from
            )
        Y = np.eye(len(classes), dtype=np.float32)[y_idx]
        use_validation = self.early_stopping and self.validation_fraction > 0 and epochs > 1
        fraction = self.validation_fraction if use_validation else 0
        network = self.model_
        if n_views:
            network = without_augmentation(self.model_)
            inputs, validation_data, n_train = self._view_data(
                X, X_raw, Y, y_idx, weights, classes, n_views, fraction, rng
            )
        else:
            w = self.teacher_weight
            Y_fit = Y if soft is None else (1 - w) * Y + w * soft
            if online:  # the teacher's share rides as a last column: w, or 0 to validate
                network = online_trainer(self.model_, members, classes)
                share = np.full((len(Y), 1), w, dtype=Y.dtype)
                Y_fit, Y = np.hstack([Y, share]), np.hstack([Y, 0 * share])
            inputs, validation_data, n_train = fit_data(
                X, Y_fit, Y, y_idx, weights, image_shape=self.image_shape_,
                batch_size=self.batch_size, validation_fraction=fraction, rng=rng,
            )  # fmt: skip
        if compile_ or network is not self.model_:
            optimizer = self.model_.optimizer if not compile_ else make_optimizer(
                self.optimizer, self.learning_rate, schedule=self.lr_schedule,
                decay_steps=self.epochs * -(-n_train // self.batch_size),
            )  # fmt: skip
            loss = keras.losses.CategoricalCrossentropy(label_smoothing=self.label_smoothing)
            self.model_.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
            metric = "accuracy"
            if online:
                loss, metric = distillation_loss(len(classes), self.label_smoothing)
            if network is not self.model_:
                network.compile(optimizer=optimizer, loss=loss, metrics=[metric])
        callbacks = []
        if self.early_stopping and epochs > 1:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss" if use_validation else "loss",
                    patience=self.patience,
                    restore_best_weights=True,
                )
            )
        if n_views:  # the view of the epoch fit is in, also when a run is resumed
            callbacks.append(ViewOfEpoch(inputs["x"]))
        self.callbacks_ = copy.deepcopy(list(self.callbacks or []))
        callbacks += self.callbacks_
        history = network.fit(
            **inputs,
            epochs=epochs,
            validation_data=validation_data,
            callbacks=callbacks,
            verbose=int(min(self.verbose, 2)),
        )
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        self.n_iter_ = len(history.history.get("loss", []))
        self._architecture = asdict(config)  # plain data: skops stores it
        return self

    def _view_data(self, X, X_raw, Y, y_idx, weights, classes, n_views, fraction, rng):
        """``fit_data``'s result for consistent distillation: augmented views, each scored."""
        rows, validation_data = np.arange(X.shape[0]), None
        if fraction > 0:
            rows, val, *_ = split_validation(
                rows, Y, y_idx, weights, validation_fraction=fraction, rng=rng
            )
            validation_data = (X[val], Y[val])
        views = augmented_views(self.model_, X[rows], n_views)
        w = self.teacher_weight
        Y_fit = np.stack(
            [
                (1 - w) * Y[rows] + w * teacher_proba(self.teacher, in_units_of(v, X_raw), classes)
                for v in views
            ]
        )
        seed = int(rng.randint(np.iinfo(np.int32).max))
        batches = ViewBatches(views, Y_fit, weights[rows], batch_size=self.batch_size, seed=seed)
        return {"x": batches}, validation_data, len(rows)

    def _prediction_network(self):
        """``model_``'s inference copy in ``predict_dtype`` (:func:`inference_network`)."""
        if self.predict_dtype not in PREDICT_DTYPE_CHOICES:
            raise ValueError(
                f"Expected predict_dtype to be one of {list(PREDICT_DTYPE_CHOICES)}. "
                f"Received: predict_dtype={self.predict_dtype!r}"
            )
        dtype = resolve_dtype(self.predict_dtype)
        return inference_network(self.model_, dtype)

    def _predict_batches(self, X):
        return predict_in_batches(
            self._prediction_network(), X, n_classes=len(self.classes_),
            batch_size=self.batch_size, flip=self.test_time_flip, shift=self.test_time_shift,
        )  # fmt: skip

    def _predict_proba(self, X):
        check_is_fitted(self)
        if is_lazy(X):  # read from disk one chunk at a time
            self._check_lazy(X, reset=False)
            proba = np.concatenate(
                [
                    self._predict_batches(read_images(X, rows, self.image_shape_))
                    for rows in chunks(np.arange(len(X)))
                ]
            )
        else:
            proba = self._predict_batches(self._validate_X(X, reset=False))
        proba = proba.astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

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
