"""Consistent distillation's pieces (bilstm_emotion.model._teacher_views)."""

import numpy as np

from bilstm_emotion.model import build_row_col_bilstm
from bilstm_emotion.model._teacher_views import (
    ViewBatches,
    augmentation_layers,
    augmented_views,
    in_units_of,
    without_augmentation,
)


def _network(**params):
    params = {"input_mean": 100.0, "input_variance": 900.0, **params}
    return build_row_col_bilstm((8, 8), 3, row_hidden=4, col_hidden=4, seed=0, **params)


def test_views_are_the_networks_own_augmentation_in_the_input_units(rng):
    X = rng.uniform(0, 255, size=(40, 8, 8)).astype(np.float32)
    views = augmented_views(_network(flip=True), X, 3, batch_size=16)
    assert views.shape == (3, 40, 8, 8)
    same = np.isclose(views, X, atol=1e-3).all(axis=(2, 3))
    mirrored = np.isclose(views, X[:, :, ::-1], atol=1e-3).all(axis=(2, 3))
    assert (same | mirrored).all()  # each view is the face or its mirror, in pixels 0-255
    assert 0 < mirrored.mean() < 1  # drawn at random...
    assert not np.array_equal(mirrored[0], mirrored[1])  # ...anew for every view
    # the same seed draws the same views
    np.testing.assert_array_equal(views, augmented_views(_network(flip=True), X, 3, batch_size=16))


def test_views_undo_a_standardisation_with_zero_variance(rng):
    # Keras divides by max(std, epsilon): undoing it with std=0 would map every pixel to the mean
    X = rng.uniform(99.5, 100.5, size=(8, 8, 8)).astype(np.float32)
    network = _network(input_variance=0.0, flip=True)
    views = augmented_views(network, X, 2)
    same = np.isclose(views, X, atol=1e-3).all(axis=(2, 3))
    mirrored = np.isclose(views, X[:, :, ::-1], atol=1e-3).all(axis=(2, 3))
    assert (same | mirrored).all() and views.std() > 0.1  # the faces, not their mean


def test_views_keep_the_shape_of_images_with_a_channel(rng):
    X = rng.uniform(0, 1, size=(5, 8, 8, 1)).astype(np.float32)
    network = build_row_col_bilstm((8, 8, 1), 3, row_hidden=4, col_hidden=4, shift=0.2, seed=0)
    views = augmented_views(network, X, 2)
    assert views.shape == (2, 5, 8, 8, 1)
    assert not np.allclose(views[0], X)  # shifted


def test_the_network_without_augmentation_shares_its_weights(rng):
    network = _network(flip=True, shift=0.1, erasing=0.5, dropout=0.0)
    assert [layer.name for layer in augmentation_layers(network)] == [
        "random_flip",
        "random_shift",
        "random_erasing",
    ]
    plain = without_augmentation(network)
    assert not augmentation_layers(plain)
    pairs = zip(plain.trainable_weights, network.trainable_weights, strict=True)
    assert all(a is b for a, b in pairs)
    X = rng.uniform(0, 255, size=(6, 8, 8)).astype(np.float32)
    # in training mode it reads the image as given, where the network would augment it
    np.testing.assert_allclose(
        np.asarray(plain(X, training=True)), np.asarray(network(X, training=False)), atol=1e-6
    )
    assert not np.allclose(np.asarray(network(X, training=True)), np.asarray(plain(X)), atol=1e-6)


def test_view_batches_serve_view_e_mod_n_in_epoch_e():
    n_views, n = 3, 10
    views = np.arange(n_views * n, dtype=np.float32).reshape(n_views, n, 1, 1)  # view v: v*10+i
    Y = np.repeat(np.arange(n_views, dtype=np.float32)[:, None, None], n, axis=1)
    batches = ViewBatches(views, Y, np.ones(n, np.float32), batch_size=4, seed=0)
    assert len(batches) == 3
    for epoch in range(5):
        seen = []
        for i in range(len(batches)):
            x, y, _ = batches[i]
            v = epoch % n_views
            assert (y == v).all() and (x // n == v).all()  # a view and its own targets
            seen.extend((x.ravel() % n).astype(int))
        assert sorted(seen) == list(range(n))  # every face once per epoch
        batches.on_epoch_end()


def test_a_view_goes_back_to_the_users_pixels():
    view = np.array([[[0.0, 0.5], [1.0, 0.25]]], dtype=np.float32)
    as_uint8 = in_units_of(view, np.zeros((3, 2, 2), np.uint8))
    assert as_uint8.dtype == np.uint8 and as_uint8.tolist() == [[[0, 128], [255, 64]]]
    as_uint16 = in_units_of(view, np.zeros((3, 4), np.uint16))  # flat rows of pixels
    assert as_uint16.dtype == np.uint16 and as_uint16.shape == (1, 4)
    assert as_uint16.max() == 65535
    as_float = in_units_of(view, [[[0.1, 0.2], [0.3, 0.4]]])  # a list of float images
    np.testing.assert_array_equal(as_float, view)
