import keras
import numpy as np
import pytest

from bilstm_emotion._network import FoldRows, UnfoldRows, build_row_col_bilstm


def bilstm_params(units, n_inputs):
    """Weights of one Bi-LSTM: two directions x four gates x (kernel + recurrent + bias)."""
    return 2 * 4 * (units * (n_inputs + units) + units)


@pytest.mark.parametrize("image_shape", [(48, 48), (12, 20), (12, 20, 1)])
def test_output_shape_and_probabilities(image_shape):
    model = build_row_col_bilstm(image_shape, 7, row_hidden=3, col_hidden=2)
    assert model.input_shape == (None, *image_shape)
    assert model.output_shape == (None, 7)
    x = np.random.default_rng(0).random((5, *image_shape), dtype=np.float32)
    proba = keras.ops.convert_to_numpy(model(x, training=False))
    assert proba.shape == (5, 7)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_weight_count_matches_architecture():
    row, col, n_classes = 5, 3, 7
    model = build_row_col_bilstm((10, 8), n_classes, row_hidden=row, col_hidden=col)
    expected = (
        bilstm_params(row, 1)  # reads one pixel per step
        + bilstm_params(col, 2 * row)  # reads the row encodings
        + (2 * col + 1) * n_classes  # softmax classifier
    )
    assert model.count_params() == expected  # Normalization with given statistics: none


def test_stacking_adds_bilstm_layers():
    shallow = build_row_col_bilstm((6, 6), 2, row_hidden=2, col_hidden=2)
    deep = build_row_col_bilstm((6, 6), 2, row_hidden=2, col_hidden=2, row_layers=3, col_layers=2)
    names = [layer.name for layer in deep.layers]
    assert [n for n in names if "bilstm" in n] == [
        "row_bilstm_0",
        "row_bilstm_1",
        "row_bilstm_2",
        "col_bilstm_0",
        "col_bilstm_1",
    ]
    # Each extra level reads the 2 * units outputs of the one below it.
    extra = 2 * bilstm_params(2, 4) + bilstm_params(2, 4)
    assert deep.count_params() - shallow.count_params() == extra


def test_rows_are_read_independently():
    """Changing one row of an image changes only that row's encoding."""
    model = build_row_col_bilstm((6, 5), 3, row_hidden=2, col_hidden=2)
    row_encoder = keras.Model(model.input, model.get_layer("unfold_rows").output)
    x = np.random.default_rng(1).random((2, 6, 5), dtype=np.float32)
    x2 = x.copy()
    x2[:, 4] += 1.0
    a = keras.ops.convert_to_numpy(row_encoder(x))
    b = keras.ops.convert_to_numpy(row_encoder(x2))
    changed = np.abs(a - b).max(axis=(0, 2)) > 1e-6
    assert changed.tolist() == [False, False, False, False, True, False]


def test_fold_unfold_round_trip():
    x = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    folded = FoldRows()(x)
    assert tuple(folded.shape) == (6, 4, 1)
    unfolded = keras.ops.convert_to_numpy(UnfoldRows(3)(keras.ops.reshape(folded, (6, 4))))
    np.testing.assert_array_equal(unfolded, x)


def test_save_and_load_in_safe_mode(tmp_path):
    model = build_row_col_bilstm((6, 6), 3, row_hidden=2, col_hidden=2, input_mean=0.3)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = np.random.default_rng(2).random((3, 6, 6), dtype=np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)), rtol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_shape": (48,)}, r"Expected `image_shape`.*Received: image_shape=\(48,\)"),
        ({"image_shape": (48, 0)}, r"image_shape=\(48, 0\)"),
        ({"n_classes": 1}, r"Expected `n_classes` to be an integer >= 2. Received: n_classes=1"),
        ({"row_hidden": 0}, r"Received: row_hidden=0"),
        ({"col_layers": 1.5}, r"Received: col_layers=1.5"),
        ({"dropout": 1.0}, r"Received: dropout=1.0"),
    ],
)
def test_invalid_arguments_are_named(kwargs, match):
    args = {"image_shape": (8, 8), "n_classes": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_row_col_bilstm(args.pop("image_shape"), args.pop("n_classes"), **args)
