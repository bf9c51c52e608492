"""Shapes: image stacks to rows, rows to images, and the one (height, width) check."""

import warnings
from math import isqrt
from numbers import Integral

import numpy as np

from ._errors import user_stacklevel

__all__ = [
    "check_height_width",
    "as_ndarray",
    "flatten_images",
    "resolve_image_shape",
]


def check_height_width(value, name, *, channels=False):
    """``value`` as ``(height, width)`` of ints, or raise naming ``name``: the one shape check.

    With ``channels=True`` a third positive entry (the channels) is accepted too.
    """
    shape = tuple(value) if isinstance(value, (tuple, list)) else None
    lengths = (2, 3) if channels else (2,)
    if (
        shape is None
        or len(shape) not in lengths
        or not all(isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in shape)
    ):
        what = "(height, width) or (height, width, channels)" if channels else "(height, width)"
        raise ValueError(
            f"Expected `{name}` to be {what} of positive integers. Received: {name}={value!r}"
        )
    return tuple(int(d) for d in shape)


def resolve_image_shape(requested, n_features, image_shape):
    """The (height, width) to fold flat rows into: from the data, ``requested``, or a square."""
    wanted = None
    if requested is not None:
        wanted = check_height_width(requested, "image_shape")
    if image_shape is not None:
        if wanted is not None and wanted != image_shape:
            raise ValueError(
                f"Expected images of shape image_shape={wanted}. Received: images of "
                f"shape {image_shape}"
            )
        return image_shape
    if wanted is not None:
        if wanted[0] * wanted[1] != n_features:
            raise ValueError(
                f"Expected flat rows of {wanted[0]}*{wanted[1]}={wanted[0] * wanted[1]} "
                f"pixels for image_shape={wanted}. Received: {n_features} features"
            )
        return wanted
    side = isqrt(n_features)
    if side * side == n_features:
        return (side, side)
    warnings.warn(
        f"Flat rows of {n_features} features are not square images; reading each "
        f"as one row of {n_features} pixels, image_shape=(1, {n_features}). Pass "
        "image_shape=(height, width) to fold them into images.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    return (1, n_features)


def as_ndarray(X):
    """``X`` itself when it has a shape (arrays, DataFrames, sparse), else ``np.asarray(X)``."""
    return X if hasattr(X, "shape") else np.asarray(X)


def flatten_images(X):
    """Flatten 3-D / 4-D image stacks to rows; return them and the image shape.

    Other inputs (2-D rows, DataFrames, sparse matrices, 1-D mistakes) pass
    through unchanged with ``None`` so that ``validate_data`` judges them.
    """
    X = as_ndarray(X)
    ndim = len(X.shape)
    if ndim == 4:
        if X.shape[-1] != 1:
            raise ValueError(
                "Expected grayscale images with one channel, of shape (n_samples, height, "
                f"width, 1). Received: X.shape={tuple(X.shape)}. Convert colour images "
                "to grayscale first (e.g. skimage.color.rgb2gray)."
            )
        X = X[..., 0]
        ndim = 3
    if ndim == 3:
        image_shape = (int(X.shape[1]), int(X.shape[2]))
        return np.asarray(X).reshape(X.shape[0], image_shape[0] * image_shape[1]), image_shape
    if ndim > 4:
        raise ValueError(
            "Expected images as a 2-D (n_samples, height*width), 3-D (n_samples, height, "
            f"width) or 4-D (n_samples, height, width, 1) array. Received: X.shape="
            f"{tuple(X.shape)}"
        )
    return X, None
