"""Images that stay on disk (ImageFiles, memory-mapped arrays), read chunk by chunk."""

import numpy as np

from ..core._pixels import to_unit_float
from ._image_files import ImageFiles

__all__ = [
    "chunks",
    "is_lazy",
    "lazy_image_shape",
    "mean_variance",
    "read_images",
]

#: Images read at a time by the statistics pass and by prediction.
CHUNK = 1024


def is_lazy(X):
    """Whether ``X`` is read batch by batch instead of converted at once."""
    return isinstance(X, (ImageFiles, np.memmap))


def lazy_image_shape(X):
    """``(n_samples, image_shape or None, n_features)`` of a lazy stack, checked."""
    shape = tuple(int(d) for d in X.shape)
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"Expected numeric pixels. Received: a memory-mapped array of dtype {X.dtype}"
        )
    if len(shape) == 4 and shape[-1] == 1:
        shape = shape[:3]
    if len(shape) == 3:
        image_shape = (shape[1], shape[2])
    elif len(shape) == 2:
        image_shape = None
    else:
        raise ValueError(
            "Expected images as a 2-D (n_samples, height*width), 3-D (n_samples, height, "
            f"width) or 4-D (n_samples, height, width, 1) array. Received: X.shape={X.shape}"
        )
    if shape[0] < 1 or int(np.prod(shape[1:])) < 1:
        raise ValueError(f"Expected at least one image with pixels. Received: X.shape={X.shape}")
    return shape[0], image_shape, int(np.prod(shape[1:]))


def read_images(X, indices, image_shape):
    """Images ``indices`` of lazy ``X`` as float32 ``(k, height, width)``, checked."""
    indices = np.asarray(indices)
    raw = X.read(indices) if isinstance(X, ImageFiles) else np.asarray(X[indices])
    rows = raw.reshape(indices.shape[0], -1)
    if rows.dtype.kind == "f" and not np.isfinite(rows).all():
        bad = int(indices[np.flatnonzero(~np.isfinite(rows).all(axis=1))[0]])
        raise ValueError(f"Expected finite pixel values. Received: NaN or infinity in image {bad}")
    return to_unit_float(rows).reshape(indices.shape[0], *image_shape)


def chunks(indices):
    """``indices`` cut into runs of at most :data:`CHUNK`."""
    for start in range(0, len(indices), CHUNK):
        yield indices[start : start + CHUNK]


def mean_variance(X, indices, image_shape):
    """Pixel mean and variance over images ``indices``, one chunk in memory at a time."""
    total = total_sq = 0.0
    count = 0
    for chunk in chunks(indices):
        pixels = read_images(X, chunk, image_shape).astype(np.float64)
        total += pixels.sum()
        total_sq += np.square(pixels).sum()
        count += pixels.size
    mean = total / count
    return mean, max(total_sq / count - mean * mean, 0.0)
