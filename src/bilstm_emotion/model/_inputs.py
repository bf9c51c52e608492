"""What the estimator accepts as images: arrays, image stacks, and stacks read from disk.

Functions of the estimator, as scikit-learn's ``validate_data`` is: in-memory inputs
(2-D rows, 3-D / 4-D image stacks) go through ``validate_data``; lazy ones
(:class:`~bilstm_emotion.datasets.ImageFiles`, memory maps) are only checked for shape,
and read later batch by batch.
"""

import os

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, column_or_1d, validate_data

from ..core._checks import as_ndarray, flatten_images, resolve_image_shape
from ..core._pixels import to_unit_float
from ..datasets._streaming import is_lazy, lazy_image_shape

__all__ = ["check_images", "check_images_and_labels", "check_images_on_disk", "fitted_images"]


def check_images_and_labels(estimator, X, y, *, reset):
    """``(X, y)`` validated for ``estimator``'s fit: images as float32 in [0, 1] folded to
    its ``image_shape_`` (or, on disk, checked for shape only), ``y`` as 1-D labels.

    With ``reset=True`` records ``n_features_in_`` (and ``feature_names_in_``, as
    scikit-learn's ``validate_data`` does) and ``image_shape_`` on ``estimator``; else
    checks ``X`` against them.
    """
    if is_lazy(X):
        y = column_or_1d(y, warn=True)
        check_images_on_disk(estimator, X, reset=reset, n_labels=y.shape[0])
        check_classification_targets(y)
        return X, y
    if y is not None:
        n_x, n_y = _num_samples(as_ndarray(X)), _num_samples(y)
        if n_x != n_y:
            raise ValueError(
                f"Expected y with one label per image ({n_x} labels). "
                f"Received: y with {n_y} labels"
            )
    X, image_shape = _flatten(estimator, X, reset=reset)
    X, y = validate_data(estimator, X, y, reset=reset, dtype="numeric", y_numeric=False)
    check_classification_targets(y)
    return _fold(estimator, X, image_shape, reset=reset), y


def check_images(estimator, X, *, reset):
    """In-memory images ``X`` validated for ``estimator``, as float32 in [0, 1] folded to
    its ``image_shape_`` (``reset`` as for :func:`check_images_and_labels`)."""
    X, image_shape = _flatten(estimator, X, reset=reset)
    X = validate_data(estimator, X, reset=reset, dtype="numeric")
    return _fold(estimator, X, image_shape, reset=reset)


def check_images_on_disk(estimator, X, *, reset, n_labels=None):
    """Check the shape of images read from disk (:class:`~bilstm_emotion.datasets.ImageFiles`,
    memory maps); with ``reset=True`` record it, as ``validate_data`` does."""
    n, image_shape, n_features = lazy_image_shape(X)
    if n_labels is not None and n_labels != n:
        raise ValueError(
            f"Expected y with one label per image ({n} labels). Received: y with {n_labels} labels"
        )
    if reset:
        estimator.n_features_in_ = n_features
        estimator.__dict__.pop("feature_names_in_", None)  # no column names on disk
        estimator.image_shape_ = resolve_image_shape(
            estimator.image_shape, n_features, image_shape
        )
    elif n_features != estimator.n_features_in_ or image_shape not in (
        None,
        estimator.image_shape_,
    ):
        raise ValueError(
            f"Expected images of shape {estimator.image_shape_}, as in fit. Received: "
            f"X.shape={tuple(X.shape)}"
        )


def _flatten(estimator, X, *, reset):
    """Flatten image stacks; after fit, insist on the fitted image shape."""
    _reject_files(X)
    X, image_shape = flatten_images(X)
    if not reset and image_shape is not None and image_shape != estimator.image_shape_:
        raise ValueError(
            f"Expected images of shape {estimator.image_shape_}, as in fit. "
            f"Received: images of shape {image_shape}"
        )
    return X, image_shape


def _fold(estimator, X, image_shape, *, reset):
    """Rescale validated flat rows to float32 and fold them into images."""
    if reset:
        estimator.image_shape_ = resolve_image_shape(
            estimator.image_shape, X.shape[1], image_shape
        )
    return to_unit_float(X).reshape((X.shape[0], *estimator.image_shape_))


def _reject_files(X):
    """File names or encoded bytes are not images yet: say how to read them."""
    first = None
    if isinstance(X, (str, bytes, os.PathLike)):
        first = X
    elif isinstance(X, (list, tuple)) and X and isinstance(X[0], (str, bytes, os.PathLike)):
        first = X[0]
    elif isinstance(X, np.ndarray) and X.dtype.kind in "US" and X.size:
        first = X.flat[0]
    if first is not None:
        shown = repr(first if len(repr(first)) < 60 else f"{str(first)[:50]}...")
        raise ValueError(
            "Expected faces as pixels: an array of shape (n_faces, height, width) or "
            f"(n_faces, height * width). Received: files or bytes ({shown}, ...); read them "
            "first with bilstm_emotion.preprocessing's ImageLoader, FaceDetector and "
            "FaceNormalizer (in a Pipeline), or give bilstm_emotion.datasets.ImageFiles"
        )


def fitted_images(estimator, X):
    """``X`` as the fitted ``estimator``'s network reads it: validated, [0, 1] floats,
    folded to ``image_shape_`` (for tools that run the network themselves)."""
    return np.asarray(check_images(estimator, X, reset=False), dtype=np.float32)
