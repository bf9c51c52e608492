"""Pixels: the one scaling rule to [0, 1] floats, and gray / RGB conversions."""

import warnings

import numpy as np

from ._errors import ImageReadError, PixelRangeWarning, user_stacklevel

__all__ = ["to_gray", "to_rgb", "to_rgb_uint8", "to_uint8", "to_unit_float"]


def to_gray(image, name="image"):
    """Any 2-D gray or 3-D RGB(A) image as a float32 2-D array in [0, 1].

    Integers are intensities of their bit depth (``uint8`` / 255, ``uint16`` /
    65535; other integers up to 255 as 8-bit, up to 65535 as 16-bit); booleans
    are 0 or 1; floats must already lie in [0, 1]. RGB is converted with the
    ITU-R 709 luma weights of :func:`skimage.color.rgb2gray`; RGBA is first
    blended onto white.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] not in (2, 3, 4)):
        raise ImageReadError(
            f"Expected {name} as a 2-D gray or (height, width, 3|4) colour image. "
            f"Received: shape={image.shape}"
        )
    if min(image.shape[:2]) < 1:
        raise ImageReadError(
            f"Expected {name} with at least 1x1 pixels. Received: shape={image.shape}"
        )
    pixels = to_unit_float(image, name=name, image=True)
    if pixels.ndim == 2:
        return pixels
    from skimage.color import rgb2gray, rgba2rgb

    if pixels.shape[-1] == 2:  # gray + alpha
        return np.ascontiguousarray(pixels[..., 0])
    if pixels.shape[-1] == 4:
        pixels = rgba2rgb(pixels)
    return rgb2gray(pixels).astype(np.float32)


def to_rgb(image, name="image"):
    """Like :func:`to_gray`, but colour stays ``(height, width, 3)`` RGB in [0, 1].

    Gray images (and gray + alpha) stay 2-D; RGBA is blended onto white.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        return to_gray(image, name)
    if min(image.shape[:2]) < 1:
        raise ImageReadError(
            f"Expected {name} with at least 1x1 pixels. Received: shape={image.shape}"
        )
    pixels = to_unit_float(image, name=name, image=True)
    if pixels.shape[-1] == 4:
        from skimage.color import rgba2rgb

        pixels = rgba2rgb(pixels)
    return np.ascontiguousarray(pixels, dtype=np.float32)


def to_rgb_uint8(image):
    """A gray or RGB(A) image, uint8 or [0, 1] floats, as contiguous ``(h, w, 3)`` uint8.

    Floats are scaled by 255 and rounded; integers are taken as 8-bit values;
    an alpha channel is dropped. For drawing and for networks that read bytes.
    """
    array = np.asarray(image)
    if array.dtype.kind == "f":
        array = _bytes(array)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3], dtype=np.uint8)


def _bytes(floats):
    """[0, 1] floats as the nearest uint8 values (scaled by 255, rounded, clipped)."""
    return np.clip(np.asarray(floats, dtype=np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)


def to_uint8(X, *, name="X"):
    """Pixels that :func:`to_unit_float` made (floats in [0, 1]) as the uint8 values they
    stand for, to the nearest: exact for 8-bit pixels divided by 255. For graphs that
    read bytes; values outside [0, 1] (beyond half a step) are refused, not clipped."""
    X = np.asarray(X)
    if X.size:
        lo, hi = float(np.min(X)), float(np.max(X))
        if not (lo >= -0.5 / 255 and hi <= 1 + 0.5 / 255):  # NaN fails both
            raise ValueError(
                f"Expected the pixels of {name} as uint8 or as floats in [0, 1] (the ONNX "
                f"graph reads 8-bit pixels). Received: floats in [{lo:g}, {hi:g}]"
            )
    return _bytes(X)


def to_unit_float(X, *, name="X", image=False):
    """Pixels as float32 in [0, 1]: the package's one scaling rule.

    Integers are intensities of their bit depth: ``uint16`` / 65535, other
    integers in [0, 255] / 255; booleans are 0 or 1. Two kinds of input differ
    only where they must:

    * ``image=False``, arrays given to an estimator: other integers outside
      [0, 255] are refused, and floats are used as given (so standardised
      inputs work), with a :class:`PixelRangeWarning` when they are all >= 0
      and reach beyond 2 (nearly always 8-bit values cast to float, which the
      pretrained models would misread);
    * ``image=True``, one picture (decoded files or an array standing for
      one): integers up to 65535 are read as 16-bit (Pillow gives 16-bit
      files as ``int32``), floats must be finite and lie in [0, 1].
    """
    kind = X.dtype.kind
    if kind == "b":
        return X.astype(np.float32)
    if kind in "iu":
        if X.dtype == np.uint16:
            return np.divide(X, 65535, dtype=np.float32)
        lo, hi = (int(X.min()), int(X.max())) if X.size else (0, 0)
        if not image and (lo < 0 or hi > 255):
            raise ValueError(
                "Expected integer pixels to be 8-bit intensities in [0, 255]. Received: "
                f"values in [{lo}, {hi}] (dtype {X.dtype}). Pass floats to use "
                "values as they are."
            )
        if lo < 0 or hi > 65535:
            raise ImageReadError(
                f"Expected integer pixels of {name} in [0, 255] or [0, 65535]. Received: "
                f"values in [{lo}, {hi}]"
            )
        eight_bit = not image or (hi <= 255 and X.itemsize <= 2)
        return np.divide(X, 255 if eight_bit else 65535, dtype=np.float32)
    if image and kind != "f":
        raise ImageReadError(f"Expected numeric pixels in {name}. Received: dtype={X.dtype}")
    X = np.asarray(X, dtype=np.float32)
    if not X.size:
        return X
    if image:
        if not np.all(np.isfinite(X)):
            raise ImageReadError(f"Expected finite pixels in {name}. Received: NaN or inf")
        lo, hi = float(X.min()), float(X.max())
        if lo < 0 or hi > 1:
            raise ImageReadError(
                f"Expected float pixels of {name} in [0, 1]. Received: values in "
                f"[{lo:g}, {hi:g}] (divide 8-bit values by 255)"
            )
        return X
    lo, hi = float(np.nanmin(X)), float(np.nanmax(X))
    if lo >= 0 and hi > 2:
        warnings.warn(
            PixelRangeWarning(
                f"Float pixels in [{lo:g}, {hi:g}] are used as they are, while 8-bit "
                "images are read as [0, 1] (uint8 / 255), as the pretrained models "
                "were trained: divide these by 255 or pass them as uint8"
            ),
            stacklevel=user_stacklevel(),
        )
    return X
