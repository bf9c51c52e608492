"""The one pixel-scaling rule (core._pixels.to_unit_float), for arrays and pictures."""

import numpy as np
import pytest

from bilstm_emotion.core._errors import ImageReadError, PixelRangeWarning
from bilstm_emotion.core._pixels import to_unit_float


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.int64])
def test_arrays_of_any_integer_type_are_8_bit(dtype):
    pixels = np.array([[0, 51, 255]], dtype=dtype)  # e.g. np.asarray(X.tolist()) is int64
    np.testing.assert_allclose(to_unit_float(pixels), [[0, 0.2, 1]], rtol=1e-6)


def test_pictures_are_8_bit_in_small_integers_and_16_bit_in_wide_ones():
    np.testing.assert_allclose(to_unit_float(np.array([51], np.int16), image=True), [0.2])
    # Pillow's 32-bit integer mode ("I") holds 16-bit files
    np.testing.assert_allclose(to_unit_float(np.array([257], np.int32), image=True), [257 / 65535])


def test_uint16_is_16_bit_for_both():
    for image in (False, True):
        assert to_unit_float(np.array([65535], np.uint16), image=image)[0] == 1.0


def test_pictures_read_16_bit_values_in_int32_and_arrays_refuse_them():
    # Pillow decodes 16-bit PNGs as int32: a picture with values above 255 is 16-bit
    np.testing.assert_allclose(to_unit_float(np.array([0, 65535], np.int32), image=True), [0, 1])
    with pytest.raises(ValueError, match=r"8-bit intensities in \[0, 255\].*\[0, 300\]"):
        to_unit_float(np.array([0, 300], np.int32))


def test_floats_are_used_as_given_for_arrays_and_must_be_unit_for_pictures():
    standardised = np.array([-1.5, 0.0, 1.5], np.float64)
    np.testing.assert_array_equal(to_unit_float(standardised), standardised.astype(np.float32))
    with pytest.raises(ImageReadError, match=r"in \[0, 1\]. Received: values in \[-1.5, 1.5\]"):
        to_unit_float(standardised, image=True)
    with pytest.warns(PixelRangeWarning, match=r"\[0, 200\]"):
        to_unit_float(np.array([0.0, 200.0]))
