"""Test-time views (model/_test_time.py): one implementation for predict, the ONNX
graph and online teachers."""

import keras
import numpy as np
from keras import ops

# the module, not its names: pytest would collect a function called test_time_views
from bilstm_emotion.model import _test_time

mean_over_views, n_views = _test_time.mean_over_views, _test_time.n_views
views_of = _test_time.test_time_views


def _numpy(views):
    return [ops.convert_to_numpy(view) for view in views]


def test_views_shift_by_whole_pixels_and_repeat_the_edge():
    faces = np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)
    views = _numpy(views_of(faces, flip=True, shift=2))
    assert len(views) == n_views(flip=True, shift=2) == 10
    assert all(v.shape == faces.shape for v in views)
    original, down, up, right, left = views[:5]  # named by where the face moves
    np.testing.assert_array_equal(original, faces)
    # row r of "down" is row r-2 of the face; the top two rows repeat row 0
    np.testing.assert_array_equal(down[:, 2:], faces[:, :-2])
    np.testing.assert_array_equal(down[:, :2], faces[:, :1].repeat(2, axis=1))
    np.testing.assert_array_equal(up[:, :-2], faces[:, 2:])
    np.testing.assert_array_equal(up[:, -2:], faces[:, -1:].repeat(2, axis=1))
    np.testing.assert_array_equal(right[:, :, 2:], faces[:, :, :-2])
    np.testing.assert_array_equal(right[:, :, :2], faces[:, :, :1].repeat(2, axis=2))
    np.testing.assert_array_equal(left[:, :, :-2], faces[:, :, 2:])
    for view, mirror in zip(views[:5], views[5:], strict=True):
        np.testing.assert_array_equal(mirror, view[:, :, ::-1])
    assert len(views_of(faces, flip=False, shift=0)) == n_views(flip=False, shift=0) == 1
    assert n_views(flip=True, shift=0) == 2 and n_views(flip=False, shift=1) == 5


def test_numpy_tensors_and_a_graph_get_the_same_views():
    """predict_proba makes them of NumPy batches (NumPy views: no round trip through the
    backend); the ONNX export and the online teachers build them into a graph."""
    faces = np.random.default_rng(0).integers(0, 256, size=(3, 7, 9, 1)).astype("uint8")
    on_host = views_of(faces, flip=True, shift=1)
    assert all(isinstance(view, np.ndarray) for view in on_host)
    expected = np.concatenate(on_host)
    assert expected.dtype == np.uint8 and expected.shape == (30, 7, 9, 1)
    tensors = views_of(ops.convert_to_tensor(faces), flip=True, shift=1)
    np.testing.assert_array_equal(np.concatenate(_numpy(tensors)), expected)
    x = keras.Input((7, 9, 1), dtype="uint8")
    graph = keras.Model(x, ops.concatenate(views_of(x, flip=True, shift=1), axis=0))
    np.testing.assert_array_equal(ops.convert_to_numpy(graph(faces)), expected)


def test_the_mean_is_over_the_views_of_each_face():
    # 2 faces, 3 views, stacked view by view: rows 0-1 view 0, rows 2-3 view 1, ...
    proba = np.array([[1, 0], [0, 1], [0, 1], [0, 1], [1, 0], [0, 1]], dtype="float32")
    expected = [[2 / 3, 1 / 3], [0, 1]]
    on_host = mean_over_views(proba, 3)
    assert isinstance(on_host, np.ndarray) and on_host.dtype == np.float32
    np.testing.assert_allclose(on_host, expected, atol=1e-7)
    tensor = mean_over_views(ops.convert_to_tensor(proba), 3)
    np.testing.assert_allclose(ops.convert_to_numpy(tensor), expected, atol=1e-7)
