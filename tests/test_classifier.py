import pickle
import random
import threading
import time

import joblib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from bilstm_emotion import BiLSTMFaceEmotionClassifier
from bilstm_emotion.datasets import make_synthetic_faces


# ---------------------------------------------------------------- learning
@pytest.mark.slow
def test_learns_generated_faces(make_clf):
    X, y = make_synthetic_faces(
        200, image_size=16, classes=("happy", "surprise"), random_state=0, return_X_y=True
    )
    X_test, y_test = make_synthetic_faces(
        60, image_size=16, classes=("happy", "surprise"), random_state=1, return_X_y=True
    )
    clf = make_clf(row_hidden=8, col_hidden=8, epochs=15, learning_rate=5e-3).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.9
    assert len(clf.history_["loss"]) == 15
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]


@pytest.mark.slow
def test_fitted_attributes(fitted):
    assert fitted.classes_.tolist() == ["happy", "sad", "surprise"]
    assert fitted.n_features_in_ == 16 * 16
    assert fitted.image_shape_ == (16, 16)
    assert fitted.n_iter_ == 2
    assert set(fitted.history_) == {"loss", "accuracy"}
    assert fitted.model_.output_shape == (None, 3)


def test_predict_proba_columns_follow_classes(fitted, faces):
    X, _ = faces
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[proba.argmax(axis=1)])


@pytest.mark.slow
def test_integer_and_string_labels_give_the_same_model(faces, make_clf):
    X, y = faces
    names, codes = np.unique(y, return_inverse=True)
    by_name = make_clf().fit(X, y)
    by_code = make_clf().fit(X, codes + 10)
    assert by_code.classes_.tolist() == [10, 11, 12]
    np.testing.assert_array_equal(by_code.predict_proba(X), by_name.predict_proba(X))
    np.testing.assert_array_equal(names[by_code.predict(X) - 10], by_name.predict(X))


# ------------------------------------------------------------ input layouts
def test_all_input_layouts_agree(fitted, faces):
    X, _ = faces
    expected = fitted.predict_proba(X)
    np.testing.assert_array_equal(fitted.predict_proba(X[..., np.newaxis]), expected)
    np.testing.assert_array_equal(fitted.predict_proba(X.reshape(len(X), -1)), expected)
    np.testing.assert_array_equal(fitted.predict_proba(X.tolist()), expected)


@pytest.mark.slow
def test_fit_on_flat_rows_equals_fit_on_images(faces, make_clf):
    X, y = faces
    flat = make_clf().fit(X.reshape(len(X), -1), y)
    assert flat.image_shape_ == (16, 16)
    np.testing.assert_array_equal(flat.predict_proba(X), make_clf().fit(X, y).predict_proba(X))


@pytest.mark.slow
def test_image_shape_folds_flat_rows(faces, make_clf):
    X, y = faces
    clf = make_clf(image_shape=(8, 32)).fit(X.reshape(len(X), -1), y)
    assert clf.image_shape_ == (8, 32)
    assert clf.model_.input_shape == (None, 8, 32)


@pytest.mark.parametrize("files", [["a.jpg", "b.jpg"], np.array(["a.jpg"]), [b"\xff\xd8\xff"]])
def test_file_names_get_told_how_to_read_them(fitted, faces, files):
    """Issue 47: paths given to the estimator got sklearn's 'Expected 2D array'."""
    y = faces[1][: len(files)]
    for call in (fitted.predict, fitted.predict_proba, lambda f: clone(fitted).fit(f, y)):
        with pytest.raises(
            ValueError,
            match=r"Expected faces as pixels.*Received: files or "
            r"bytes .*ImageLoader, FaceDetector and FaceNormalizer",
        ):
            call(files)


@pytest.mark.slow
def test_non_square_rows_are_read_as_one_row_with_a_warning(make_clf, rng):
    X, y = rng.random((20, 6)), np.arange(20) % 2
    with pytest.warns(UserWarning, match=r"not square.*image_shape=\(1, 6\)") as record:
        clf = make_clf().fit(X, y)
    assert {w.filename for w in record if "not square" in str(w.message)} == {__file__}
    assert clf.image_shape_ == (1, 6)
    assert clf.predict(X).shape == (20,)


@pytest.mark.slow
def test_dataframe_keeps_feature_names(faces, make_clf):
    pd = pytest.importorskip("pandas")
    X, y = faces
    df = pd.DataFrame(X.reshape(len(X), -1), columns=[f"px{i}" for i in range(256)])
    clf = make_clf().fit(df, y)
    assert clf.feature_names_in_[0] == "px0"
    np.testing.assert_array_equal(clf.predict(df), clf.predict(X))


@given(
    images=arrays(np.uint8, st.tuples(st.integers(1, 5), st.just(16), st.just(16))),
    as_float=st.sampled_from([np.float32, np.float64]),
)
def test_integer_and_unit_float_pixels_agree(fitted, images, as_float):
    """An 8-bit image and the same image divided by 255 get the same answer."""
    floats = images.astype(as_float) / as_float(255)
    np.testing.assert_allclose(
        fitted.predict_proba(images), fitted.predict_proba(floats), atol=1e-5
    )
    np.testing.assert_array_equal(
        fitted.predict_proba(images), fitted.predict_proba(images.astype(np.int64))
    )


@given(
    images=arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.just(16), st.just(16)),
        elements=st.floats(-2, 2),
    )
)
def test_predict_proba_is_the_networks_softmax(fitted, images):
    """The network's own output is a distribution (predict_proba's renormalisation only
    removes float32 rounding, so its sum alone would prove nothing), and predict_proba is it."""
    proba = fitted.predict_proba(images)
    assert proba.shape == (len(images), len(fitted.classes_))
    raw = np.asarray(fitted.model_.predict_on_batch(images.astype(np.float32)))
    assert np.all(raw >= 0) and np.all(raw <= 1)
    np.testing.assert_allclose(raw.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(proba, raw, atol=1e-5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(fitted.predict(images)) <= set(fitted.classes_)


def test_predictions_do_not_depend_on_batch_composition(fitted, faces):
    X, _ = faces
    full = fitted.predict_proba(X)
    np.testing.assert_allclose(fitted.predict_proba(X[7:9]), full[7:9], atol=1e-6)
    order = np.random.default_rng(3).permutation(len(X))
    np.testing.assert_allclose(fitted.predict_proba(X[order]), full[order], atol=1e-6)


# --------------------------------------------------------------- seeding
@pytest.mark.slow
def test_same_seed_same_model_other_seed_other_model(faces, make_clf):
    X, y = faces
    a = make_clf(random_state=7).fit(X, y).predict_proba(X)
    b = make_clf(random_state=7).fit(X, y).predict_proba(X)
    c = make_clf(random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.slow
def test_a_seeded_fit_ignores_another_thread_drawing_from_python_random(faces, make_clf):
    # As a Dask worker's event loop, or a web server's, does while the fit runs.
    X, y = faces
    expected = make_clf(random_state=7).fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()
            time.sleep(1e-4)

    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    try:
        fits = [make_clf(random_state=7).fit(X, y).predict_proba(X) for _ in range(2)]
    finally:
        stop.set()
        thread.join()
    for proba in fits:
        np.testing.assert_array_equal(proba, expected)


@pytest.mark.slow
def test_random_state_instance_is_not_replaced(faces, make_clf):
    X, y = faces
    state = np.random.RandomState(0)
    clf = make_clf(random_state=state).fit(X, y)
    assert clf.random_state is state


# ---------------------------------------------------- persistence and clone
def test_pickle_and_joblib_round_trip(fitted, faces, tmp_path):
    X, _ = faces
    expected = fitted.predict_proba(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    joblib.dump(fitted, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(X), expected)
    assert restored.history_ == fitted.history_


def test_clone_is_unfitted_with_same_params(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "model_")


@pytest.mark.slow
def test_grid_search_in_two_processes(faces, make_clf):
    X, y = faces
    grid = {"row_hidden": [2, 4], "col_hidden": [2, 4]}
    search = GridSearchCV(make_clf(epochs=1), grid, cv=2, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_ in search.cv_results_["params"]
    assert (
        search.best_estimator_.model_.get_layer("row_bilstm_0").forward_layer.units
        == (search.best_params_["row_hidden"])
    )


def test_image_shape_with_bad_entries_is_named(faces):
    X, y = faces
    with pytest.raises(ValueError, match=r"Expected `image_shape`.*image_shape=\(16, -16\)"):
        BiLSTMFaceEmotionClassifier(image_shape=(16, -16)).fit(X.reshape(60, -1), y)


# ------------------------------------------------------------------ docs
def test_the_html_repr_links_to_the_api_page():
    """Issue 47: the "?" of scikit-learn's HTML repr opens our page, under its public name."""
    from bilstm_emotion.preprocessing import FaceDetector

    docs = "https://bilstm-emotion.readthedocs.io/en/latest/generated/"  # pyproject: Documentation
    for estimator, page in [
        (BiLSTMFaceEmotionClassifier(), "bilstm_emotion.BiLSTMFaceEmotionClassifier.html"),
        (FaceDetector(), "bilstm_emotion.preprocessing.FaceDetector.html"),
    ]:
        assert estimator._get_doc_link() == docs + page
        assert f'href="{docs + page}"' in estimator._repr_html_()
