"""The inference copy of a network (model/_folding.py): same function, fewer layers."""

import keras
import numpy as np
import pytest
from keras import layers

from bilstm_emotion.model._inputs import fitted_images
from bilstm_emotion.model._predicting import network_in_dtype


def _randomise_batch_norms(model, rng):
    """Moving statistics and scales far from their defaults, so a wrong fold shows."""
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            weights = {
                "gamma": rng.uniform(0.5, 2.0, n),
                "beta": rng.normal(0, 1, n),
                "moving_mean": rng.normal(0, 1, n),
                "moving_variance": rng.uniform(0.2, 3.0, n),
            }
            layer.set_weights([weights[w.name] for w in layer.weights])


def _same_function(model, copy, x):
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    got = keras.ops.convert_to_numpy(copy(x, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_folds_batch_norms_fuses_activations_and_drops_training_layers():
    rng = np.random.default_rng(0)
    inputs = keras.Input((12, 12, 2))
    x = layers.RandomFlip("horizontal", name="flip")(inputs)
    x = layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv")(x)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = layers.SeparableConv2D(5, 3, strides=2, name="sep")(x)  # with a bias of its own
    x = layers.BatchNormalization(center=False, name="bn_sep")(x)
    x = layers.Flatten(name="flat")(x)
    x = layers.Dropout(0.5, name="drop")(x)
    x = layers.Dense(6, name="dense")(x)
    x = layers.BatchNormalization(scale=False, name="bn_dense")(x)
    outputs = layers.Activation("tanh", name="tanh")(x)
    model = keras.Model(inputs, outputs)
    _randomise_batch_norms(model, rng)
    model.get_layer("sep").bias.assign(rng.normal(0, 1, 5))

    copy = network_in_dtype(model, "float32", inference=True)

    assert [layer.name for layer in copy.layers] == [
        model.layers[0].name,
        "conv",
        "sep",
        "flat",
        "dense",
    ]
    assert copy.get_layer("conv").activation is keras.activations.relu
    assert copy.get_layer("dense").activation is keras.activations.tanh
    assert copy.get_layer("conv").use_bias  # the normalisation's shift became a bias
    _same_function(model, copy, rng.random((4, 12, 12, 2), dtype=np.float32))
    assert len(model.layers) == 12  # the model itself is untouched


@pytest.mark.parametrize(
    "case",
    ["activation_before_norm", "read_twice", "channels_first_norm", "shared_conv"],
)
def test_leaves_what_it_cannot_fold(case):
    rng = np.random.default_rng(1)
    inputs = keras.Input((8, 8, 3))
    if case == "activation_before_norm":  # norm after a nonlinearity: not affine in x
        conv = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
        outputs = layers.BatchNormalization(name="bn")(conv)
    elif case == "read_twice":  # the convolution's own output is needed elsewhere too
        conv = layers.Conv2D(4, 3, name="conv")(inputs)
        outputs = layers.Add()([layers.BatchNormalization(name="bn")(conv), conv])
    elif case == "channels_first_norm":  # normalises another axis than the channels
        conv = layers.Conv2D(4, 3, name="conv")(inputs)
        outputs = layers.BatchNormalization(axis=1, name="bn")(conv)
    else:  # one convolution applied twice: its kernel cannot take either norm
        shared = layers.Conv2D(3, 3, padding="same", name="conv")
        x = layers.BatchNormalization(name="bn")(shared(inputs))
        outputs = layers.BatchNormalization(name="bn2")(shared(x))
    model = keras.Model(inputs, outputs)
    _randomise_batch_norms(model, rng)

    copy = network_in_dtype(model, "float32", inference=True)

    assert "bn" in [layer.name for layer in copy.layers]
    _same_function(model, copy, rng.random((2, 8, 8, 3), dtype=np.float32))


@pytest.mark.slow
def test_conv_stem_of_the_estimator_predicts_the_same(faces, make_clf):
    X, y = faces
    clf = make_clf(stem="conv", stem_filters=(4, 6), dropout=0.3).fit(X, y)
    network = clf._prediction_network()
    kinds = {type(layer).__name__ for layer in network.layers}
    assert not kinds & {"BatchNormalization", "Activation", "Dropout", "RandomFlip"}
    x = fitted_images(clf, X[:16])
    _same_function(clf.model_, network, x)
    # bfloat16: folded as well, within bfloat16's precision of the float32 network
    low = network_in_dtype(clf.model_, "bfloat16", inference=True)
    assert "BatchNormalization" not in {type(layer).__name__ for layer in low.layers}
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(low(x, training=False)).astype(np.float32),
        keras.ops.convert_to_numpy(clf.model_(x, training=False)),
        atol=0.03,
    )
