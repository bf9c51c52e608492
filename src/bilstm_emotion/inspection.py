"""What the model looks at: occlusion maps, row and column importance, gradients.

* :func:`occlusion_sensitivity` slides a gray patch over each face and
  records how much the probability of the true (or predicted) class drops:
  one heat map per face; :func:`mean_maps_by_class` averages them per class.
* :func:`row_importance` and :func:`column_importance` cover one whole pixel
  row (or column) at a time — natural questions for a model that reads rows
  and then columns: does it rely on the eyes, the brows, the mouth?
* :func:`gradient_saliency` differentiates the class probability with respect
  to the pixels (plain gradients or integrated gradients), on every Keras
  backend.

The first three work with any fitted classifier that has ``predict_proba``
and ``classes_`` and takes ``(n, height, width)`` images; the last needs a
:class:`~bilstm_emotion.BiLSTMFaceEmotionClassifier` (its ``model_``).
"""

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .core._labels import codes_as_names

__all__ = [
    "column_importance",
    "gradient_saliency",
    "mean_maps_by_class",
    "occlusion_sensitivity",
    "row_importance",
]


def _images(X):
    X = np.asarray(X)
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim != 3:
        raise ValueError(
            "Expected faces as an array of shape (n_samples, height, width). Received: "
            f"X.shape={X.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError("Expected at least one face. Received: X with 0 faces")
    return X


def _targets(estimator, X, y):
    """Column of predict_proba to explain per face: the true class, else the predicted one."""
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    classes = np.asarray(estimator.classes_)
    if y is None:
        return proba, proba.argmax(axis=1)
    y = codes_as_names(np.asarray(y), classes)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"Expected one label per face ({X.shape[0]} faces). Received: y with "
            f"{y.shape[0]} labels"
        )
    unknown = np.setdiff1d(y, classes)
    if unknown.size:
        raise ValueError(
            f"Expected labels among classes_={classes.tolist()}. Received: unknown "
            f"labels {unknown.tolist()} in y"
        )
    return proba, np.searchsorted(classes, y)


def _fill_values(X, fill):
    if fill == "mean":
        return X.reshape(X.shape[0], -1).mean(axis=1).astype(X.dtype)
    return np.full(X.shape[0], fill, dtype=X.dtype)


def _starts(size, patch, stride):
    starts = list(range(0, max(size - patch, 0) + 1, stride))
    if starts[-1] + patch < size:
        starts.append(size - patch)  # cover the last pixels too
    return starts


def occlusion_sensitivity(estimator, X, y=None, *, patch_size=8, stride=4, fill="mean"):
    """Heat maps of how much covering each region lowers the class probability.

    Parameters
    ----------
    estimator : fitted classifier
        With ``predict_proba`` and ``classes_``, taking ``(n, height, width)``.
    X : array-like of shape (n_samples, height, width)
        Faces, in the pixel format the estimator takes.
    y : array-like of shape (n_samples,), default=None
        True labels (FER2013's codes too, as
        :func:`~bilstm_emotion.evaluation.evaluate` takes them); ``None``
        explains the predicted class.
    patch_size : int, default=8
        Side of the square gray patch, in pixels.
    stride : int, default=4
        Step between patch positions.
    fill : "mean" or float, default="mean"
        Value of the patch: the face's mean pixel, or a constant.

    Returns
    -------
    maps : ndarray of shape (n_samples, height, width)
        Per pixel, the mean drop in probability over the patches covering it
        (positive: covering it hurts the class; negative: it helps).

    Examples
    --------
    >>> import numpy as np
    >>> from bilstm_emotion.inspection import occlusion_sensitivity
    >>> class LooksAtTopLeft:  # any classifier with predict_proba and classes_
    ...     classes_ = np.array([0, 1])
    ...     def predict_proba(self, X):
    ...         p = np.asarray(X)[:, :4, :4].mean(axis=(1, 2))
    ...         return np.stack([1 - p, p], axis=1)
    >>> maps = occlusion_sensitivity(LooksAtTopLeft(), np.ones((1, 16, 16)), [1],
    ...                              patch_size=4, stride=4, fill=0.0)
    >>> maps[0, 0, 0] > 0, maps[0, 12, 12] == 0
    (np.True_, np.True_)
    """
    X = _images(X)
    if patch_size < 1 or stride < 1:
        raise ValueError(
            f"Expected positive patch_size and stride. Received: patch_size={patch_size}, "
            f"stride={stride}"
        )
    base, target = _targets(estimator, X, y)
    rows = np.arange(X.shape[0])
    base_p = base[rows, target]
    fills = _fill_values(X, fill)
    height, width = X.shape[1:]
    total = np.zeros(X.shape, dtype=np.float64)
    count = np.zeros((height, width), dtype=np.float64)
    for r in _starts(height, patch_size, stride):
        for c in _starts(width, patch_size, stride):
            covered = X.copy()
            covered[:, r : r + patch_size, c : c + patch_size] = fills[:, None, None]
            p = np.asarray(estimator.predict_proba(covered), dtype=np.float64)[rows, target]
            total[:, r : r + patch_size, c : c + patch_size] += (base_p - p)[:, None, None]
            count[r : r + patch_size, c : c + patch_size] += 1
    return total / np.maximum(count, 1)


def mean_maps_by_class(maps, y):
    """Average per-face maps over the faces of each class: ``{label: (height, width)}``."""
    maps, y = np.asarray(maps), np.asarray(y)
    if maps.shape[0] != y.shape[0]:
        raise ValueError(
            f"Expected one label per map ({maps.shape[0]} maps). Received: y with "
            f"{y.shape[0]} labels"
        )
    return {label: maps[y == label].mean(axis=0) for label in np.unique(y).tolist()}


def _line_importance(estimator, X, y, axis, fill):
    X = _images(X)
    base, target = _targets(estimator, X, y)
    rows = np.arange(X.shape[0])
    classes = np.asarray(estimator.classes_)
    truth = classes[target]
    base_acc = np.mean(classes[base.argmax(axis=1)] == truth)
    fills = _fill_values(X, fill)
    n_lines = X.shape[1 if axis == "rows" else 2]
    prob_drop, acc_drop = np.zeros(n_lines), np.zeros(n_lines)
    for i in range(n_lines):
        covered = X.copy()
        if axis == "rows":
            covered[:, i, :] = fills[:, None]
        else:
            covered[:, :, i] = fills[:, None]
        proba = np.asarray(estimator.predict_proba(covered), dtype=np.float64)
        prob_drop[i] = np.mean(base[rows, target] - proba[rows, target])
        acc_drop[i] = base_acc - np.mean(classes[proba.argmax(axis=1)] == truth)
    return Bunch(probability_drop=prob_drop, accuracy_drop=acc_drop, baseline_accuracy=base_acc)


def row_importance(estimator, X, y=None, *, fill="mean"):
    """How much covering each whole pixel row lowers the class probability and accuracy.

    Parameters
    ----------
    estimator : fitted classifier
        With ``predict_proba`` and ``classes_``, taking ``(n, height, width)``.
    X : array-like of shape (n_samples, height, width)
        Faces.
    y : array-like of shape (n_samples,), default=None
        True labels (FER2013's codes too, as
        :func:`~bilstm_emotion.evaluation.evaluate` takes them); ``None``
        explains the predicted classes.
    fill : "mean" or float, default="mean"
        Value the covered row is set to.

    Returns
    -------
    result : Bunch
        ``probability_drop`` (height,): mean drop of the class probability;
        ``accuracy_drop`` (height,): drop in accuracy (against ``y``, or
        against the unmasked predictions); ``baseline_accuracy``.
    """
    return _line_importance(estimator, X, y, "rows", fill)


def column_importance(estimator, X, y=None, *, fill="mean"):
    """As :func:`row_importance`, covering one pixel column at a time (shape ``(width,)``)."""
    return _line_importance(estimator, X, y, "columns", fill)


def _input_gradients(model, x, target):
    """d proba[target] / d x for a batch, with the active backend's autodiff."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            picked = tf.gather(model(x, training=False), target, axis=1, batch_dims=1)
        return tape.gradient(picked, x).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def picked(x):
            proba = model(x, training=False)
            return jnp.sum(jnp.take_along_axis(proba, jnp.asarray(target)[:, None], axis=1))

        return np.asarray(jax.grad(picked)(jnp.asarray(x)))
    if backend == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        proba = model(x, training=False)
        proba.gather(1, torch.as_tensor(target, device=proba.device)[:, None]).sum().backward()
        return x.grad.detach().cpu().numpy()
    raise ValueError(  # pragma: no cover
        f"Expected a JAX, TensorFlow or PyTorch Keras backend. Received: {backend}"
    )


def gradient_saliency(estimator, X, y=None, *, method="gradient", steps=32, batch_size=64):
    """Pixel attributions from gradients of the class probability.

    Parameters
    ----------
    estimator : BiLSTMFaceEmotionClassifier
        Fitted.
    X : array-like of shape (n_samples, height, width)
        Faces, as the estimator takes them.
    y : array-like of shape (n_samples,), default=None
        True labels (FER2013's codes too, as
        :func:`~bilstm_emotion.evaluation.evaluate` takes them); ``None``
        explains the predicted classes.
    method : {"gradient", "integrated"}, default="gradient"
        ``"gradient"``: absolute gradient of the probability (saliency);
        ``"integrated"``: integrated gradients from a gray image of the same
        mean (signed; they sum to the change in probability).
    steps : int, default=32
        Path steps of integrated gradients.
    batch_size : int, default=64
        Faces per gradient call.

    Returns
    -------
    maps : ndarray of shape (n_samples, height, width)
    """
    check_is_fitted(estimator)
    if not hasattr(estimator, "model_"):
        raise ValueError(
            "Expected an estimator with a Keras network (model_) to take gradients through. "
            f"Received: {type(estimator).__name__}; for a shipped model, "
            'load_pretrained(name, engine="keras"). occlusion_sensitivity, row_importance '
            "and column_importance need only predict_proba"
        )
    if method not in ("gradient", "integrated"):
        raise ValueError(
            f"Expected method='gradient' or 'integrated'. Received: method={method!r}"
        )
    _, target = _targets(estimator, _images(X), y)
    from .model._inputs import fitted_images

    x = fitted_images(estimator, X)
    out = np.zeros(x.shape, dtype=np.float64)
    for start in range(0, len(x), batch_size):
        xb, tb = x[start : start + batch_size], target[start : start + batch_size]
        if method == "gradient":
            out[start : start + len(xb)] = np.abs(_input_gradients(estimator.model_, xb, tb))
            continue
        baseline = np.broadcast_to(xb.mean(axis=(1, 2), keepdims=True), xb.shape)
        total = np.zeros(xb.shape, dtype=np.float64)
        for alpha in (np.arange(steps) + 0.5) / steps:
            point = (baseline + alpha * (xb - baseline)).astype(np.float32)
            total += _input_gradients(estimator.model_, point, tb)
        out[start : start + len(xb)] = total / steps * (xb - baseline)
    return out
