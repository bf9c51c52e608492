"""Input checks of the estimator: image stacks to rows, rows to images, pixels to floats."""

import warnings
from math import isqrt
from numbers import Integral

import numpy as np

__all__ = [
    "PixelRangeWarning",
    "as_ndarray",
    "flatten_images",
    "resolve_image_shape",
    "to_unit_float",
]


def resolve_image_shape(requested, n_features, image_shape):
    """The (height, width) to fold flat rows into: from the data, ``requested``, or a square."""
    wanted = None
    if requested is not None:
        wanted = tuple(requested)
        if len(wanted) != 2 or not all(
            isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in wanted
        ):
            raise ValueError(
                "Expected `image_shape` to be (height, width) of positive integers. "
                f"Received: image_shape={requested!r}"
            )
        wanted = (int(wanted[0]), int(wanted[1]))
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
        stacklevel=6,  # fit <- _fit_context <- _validate_X_y <- _fold <- here
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


class PixelRangeWarning(UserWarning):
    """Float pixels that look like 8-bit values (up to 255) where [0, 1] is expected."""


def to_unit_float(X):
    """Float32 pixels: 8-bit (and 16-bit) integers scaled to [0, 1], floats as given.

    Floats are used as they are, so standardised inputs work; but floats that
    are all >= 0 and reach beyond 2 are nearly always 8-bit values cast to
    float (``uint8.astype(float)``), which the pretrained models (and any model
    fitted on integer images) would misread: a :class:`PixelRangeWarning`,
    once per call, says so and names the range.
    """
    if X.dtype.kind not in "iu":
        X = np.asarray(X, dtype=np.float32)
        if X.size:
            lo, hi = float(np.nanmin(X)), float(np.nanmax(X))
            if lo >= 0 and hi > 2:
                warnings.warn(
                    PixelRangeWarning(
                        f"Float pixels in [{lo:g}, {hi:g}] are used as they are, while 8-bit "
                        "images are read as [0, 1] (uint8 / 255), as the pretrained models "
                        "were trained: divide these by 255 or pass them as uint8"
                    ),
                    stacklevel=5,
                )
        return X
    if X.dtype == np.uint16:
        return np.divide(X, 65535, dtype=np.float32)
    if X.size and (X.min() < 0 or X.max() > 255):
        raise ValueError(
            "Expected integer pixels to be 8-bit intensities in [0, 255]. Received: "
            f"values in [{X.min()}, {X.max()}] (dtype {X.dtype}). Pass floats to use "
            "values as they are."
        )
    return np.divide(X, 255, dtype=np.float32)
