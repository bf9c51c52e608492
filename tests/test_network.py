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


def test_patchify_matches_numpy_and_pads_without_dropping():
    from bilstm_emotion._network import Patchify

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


def test_patches_shorten_the_row_sequences():
    model = build_row_col_bilstm((48, 48), 7, row_hidden=3, col_hidden=2, patch_size=4)
    assert model.get_layer("fold_rows").output.shape == (None, 12, 16)
    assert model.get_layer("unfold_rows").output.shape == (None, 12, 6)
    # 16 inputs per step instead of 1
    assert model.get_layer("row_bilstm_0").count_params() == bilstm_params(3, 16)


def test_sweep_keeps_a_feature_map_that_sees_the_whole_image():
    """After one ReNet sweep, a change in one corner reaches every position."""
    model = build_row_col_bilstm(
        (8, 8), 3, row_hidden=2, col_hidden=2, patch_size=2, sweep_layers=1, sweep_hidden=3
    )
    feature_map = keras.Model(model.input, model.get_layer("sweep_0_to_rows").output)
    assert feature_map.output.shape == (None, 4, 4, 6)
    x = np.random.default_rng(3).random((1, 8, 8), dtype=np.float32)
    x2 = x.copy()
    x2[0, 0, 0] += 1.0
    diff = np.abs(keras.ops.convert_to_numpy(feature_map(x2) - feature_map(x)))
    assert (diff.max(axis=-1) > 1e-7).all()


def test_sweep_has_no_convolution_and_conv_stem_has():
    pure = build_row_col_bilstm(
        (16, 16), 3, row_hidden=2, col_hidden=2, patch_size=2, sweep_layers=2
    )
    assert not [layer for layer in pure.layers if "conv" in layer.__class__.__name__.lower()]
    stem = build_row_col_bilstm(
        (48, 48), 3, row_hidden=2, col_hidden=2, stem="conv", stem_filters=(4, 8, 8)
    )
    convs = [layer for layer in stem.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 6
    # three blocks halve 48 three times: 6 rows of 6 positions with 8 channels
    assert stem.get_layer("fold_rows").output.shape == (None, 6, 8)


def test_strided_and_separable_stems():
    plain = build_row_col_bilstm(
        (48, 48), 3, row_hidden=2, col_hidden=2, stem="conv", stem_filters=(4, 8, 8)
    )
    strided = build_row_col_bilstm(
        (48, 48), 3, row_hidden=2, col_hidden=2, stem="conv", stem_filters=(4, 8, 8),
        stem_stride=2,
    )  # fmt: skip
    # the first convolution halves 48 to 24 before the three pooling blocks: 3 rows of 3
    assert strided.get_layer("stem_conv_0_0").output.shape == (None, 24, 24, 4)
    assert strided.get_layer("fold_rows").output.shape == (None, 3, 8)
    assert strided.count_params() == plain.count_params()
    separable = build_row_col_bilstm(
        (48, 48), 3, row_hidden=2, col_hidden=2, stem="separable", stem_filters=(4, 8, 8)
    )
    kinds = [type(layer).__name__ for layer in separable.layers if "Conv" in type(layer).__name__]
    assert kinds == ["Conv2D"] + ["SeparableConv2D"] * 5
    assert separable.get_layer("fold_rows").output.shape == (None, 6, 8)
    assert separable.count_params() < plain.count_params()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"patch_size": 0}, "patch_size"),
        ({"sweep_layers": -1}, "sweep_layers"),
        ({"stem": "resnet"}, "stem"),
        ({"stem": "conv", "stem_filters": ()}, "stem_filters"),
        ({"stem": "conv", "stem_filters": (8, 0)}, "stem_filters"),
        ({"stem": "separable", "stem_stride": 0}, "stem_stride"),
    ],
)
def test_front_end_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_row_col_bilstm((8, 8), 2, **kwargs)


def test_every_front_end_saves_and_loads_in_safe_mode(tmp_path):
    model = build_row_col_bilstm(
        (12, 12), 3, row_hidden=2, col_hidden=2, patch_size=2, sweep_layers=1, sweep_hidden=2,
        stem="separable", stem_filters=(2, 2), stem_stride=2, flip=True,
    )  # fmt: skip
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.random.default_rng(4).random((2, 12, 12), dtype=np.float32)
    # training=False: the augmentation layers (flip) are random when called in training mode
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x, training=False)),
        keras.ops.convert_to_numpy(model(x, training=False)),
        rtol=1e-5,
    )
