import keras
import numpy as np

from bilstm_emotion.model._layers import FoldRows, Patchify, UnfoldRows


def test_fold_unfold_round_trip():
    x = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    folded = FoldRows()(x)
    assert tuple(folded.shape) == (6, 4, 1)
    unfolded = keras.ops.convert_to_numpy(UnfoldRows(3)(keras.ops.reshape(folded, (6, 4))))
    np.testing.assert_array_equal(unfolded, x)


def test_patchify_matches_numpy_and_pads_without_dropping():
    x = np.arange(2 * 5 * 6 * 1, dtype="float32").reshape(2, 5, 6, 1) + 1
    out = keras.ops.convert_to_numpy(Patchify(2)(x))
    assert out.shape == (2, 3, 3, 4)
    # Top-left patch of the first image, in row-major order inside the patch.
    np.testing.assert_array_equal(
        out[0, 0, 0], [x[0, 0, 0, 0], x[0, 0, 1, 0], x[0, 1, 0, 0], x[0, 1, 1, 0]]
    )
    # The fifth (last) row is kept, padded with zeros below it.
    np.testing.assert_array_equal(out[0, 2, 1], [x[0, 4, 2, 0], x[0, 4, 3, 0], 0, 0])
    # Every input pixel appears exactly once.
    assert sorted(out[out > 0].tolist()) == sorted(x.ravel().tolist())
