"""Training and predicting from images that stay on disk: ImageFiles, lazy loaders, memmaps."""

import pickle
import zipfile

import numpy as np
import pytest
from PIL import Image
from sklearn.model_selection import GridSearchCV

from bilstm_emotion.datasets import ImageFiles, _streaming, load_fer2013, load_image_folder
from bilstm_emotion.preprocessing import ImageReadError


def write_faces(root, X, y):
    """Save faces as PNG files root/<label>/<i>.png; return the relative names."""
    names = []
    for i, (face, label) in enumerate(zip(X, y, strict=True)):
        (root / label).mkdir(parents=True, exist_ok=True)
        names.append(f"{label}/{i:03d}.png")
        Image.fromarray(face).save(root / names[-1])
    return names


@pytest.fixture
def face_folder(faces, tmp_path):
    X, y = faces
    write_faces(tmp_path / "faces", X, y)
    return tmp_path / "faces"


@pytest.fixture
def lazy(face_folder):
    """The 60 generated faces as a lazy stack, with labels, in the folder's order."""
    bunch = load_image_folder(face_folder, image_size=(16, 16), lazy=True)
    return bunch.data, bunch.target


@pytest.fixture
def read_sizes(monkeypatch):
    """Every number of images ImageFiles.read is asked for, in order."""
    sizes = []
    original = ImageFiles.read

    def spy(self, indices=None):
        sizes.append(len(self) if indices is None else len(indices))
        return original(self, indices)

    monkeypatch.setattr(ImageFiles, "read", spy)
    return sizes


def normalization_mean(clf):
    return clf.model_.get_layer("standardize").get_config()["mean"]


# ------------------------------------------------------------------ ImageFiles
def test_image_files_index_like_an_array_without_reading(face_folder, faces, read_sizes):
    X, y = faces
    files = load_image_folder(face_folder, image_size=(16, 16), lazy=True).data
    assert files.shape == (60, 16, 16) and len(files) == 60 and files.dtype == np.uint8
    subsets = [files[10:20], files[np.arange(5)], files[files.names != files.names[0]]]
    subsets.append(files[np.array([3, 1]), ...])  # how scikit-learn's _safe_indexing asks
    assert [len(s) for s in subsets] == [10, 5, 59, 2]
    assert all(isinstance(s, ImageFiles) for s in subsets)
    assert read_sizes == []  # indexing with slices, masks and arrays reads nothing
    order = np.argsort(files.names)  # the loader lists files sorted; map back to X's order
    eager = np.asarray(files)
    assert read_sizes == [60]
    pairs = enumerate(zip(X, y, strict=True))
    by_name = {f"{label}/{i:03d}.png": face for i, (face, label) in pairs}
    np.testing.assert_array_equal(eager[order], np.stack([by_name[n] for n in files.names[order]]))
    np.testing.assert_array_equal(files[7], eager[7])
    np.testing.assert_array_equal(files[np.array([3, 1]), ...].read(), eager[[3, 1]])


def test_image_files_resize_pickle_and_zip(face_folder, tmp_path):
    files = load_image_folder(face_folder, image_size=(24, 20), lazy=True).data
    assert files.read([0]).shape == (1, 24, 20)
    with zipfile.ZipFile(tmp_path / "faces.zip", "w") as z:
        for path in sorted(face_folder.rglob("*.png")):
            z.write(path, path.relative_to(face_folder).as_posix())
    zipped = load_image_folder(tmp_path / "faces.zip", image_size=(24, 20), lazy=True).data
    np.testing.assert_array_equal(zipped.read([4, 2]), files.read([4, 2]))
    zipped.read([0])  # opens the archive ...
    clone = pickle.loads(pickle.dumps(zipped))  # ... which does not travel with it
    assert clone._tree is None and len(pickle.dumps(zipped)) < 10_000
    np.testing.assert_array_equal(clone.read([4, 2]), files.read([4, 2]))


def test_image_files_bad_arguments_are_named(face_folder, tmp_path):
    files = load_image_folder(face_folder, image_size=(16, 16), lazy=True).data
    with pytest.raises(IndexError, match="dtype <U"):
        files[np.array(["a"])]
    with pytest.raises(IndexError, match="along the images"):
        files[0, 1]
    with pytest.raises(TypeError, match="single name"):
        ImageFiles("face.png")
    with pytest.raises(ValueError, match=r"image_size=\(0, 48\)"):
        ImageFiles(["a.png"], image_size=(0, 48))
    with pytest.raises(ValueError, match="image_size=None"):
        load_image_folder(face_folder, lazy=True)
    (face_folder / "happy" / "broken.png").write_bytes(b"not a png")
    broken = load_image_folder(face_folder, image_size=(16, 16), lazy=True).data
    position = int(np.flatnonzero(broken.names == "happy/broken.png")[0])
    with pytest.raises(ImageReadError, match=r"broken\.png"):
        broken.read([position])
    loose = ImageFiles([str(face_folder / "happy" / "broken.png")])
    assert "from" not in repr(loose)
    with pytest.raises(ImageReadError, match=r"broken\.png"):
        loose[0]


def test_lazy_fer2013_lists_what_the_eager_loader_decodes(fer_sample, tmp_path):
    with zipfile.ZipFile(tmp_path / "fer.zip", "w") as z:
        for name, data in fer_sample.items():
            z.writestr(name, data)
    eager = load_fer2013(tmp_path / "fer.zip", subset="test", cache=False)
    lazy = load_fer2013(tmp_path / "fer.zip", subset="test", lazy=True)
    assert isinstance(lazy.data, ImageFiles) and lazy.data.shape == eager.data.shape
    np.testing.assert_array_equal(lazy.target, eager.target)
    np.testing.assert_array_equal(lazy.filenames, eager.filenames)
    np.testing.assert_array_equal(np.asarray(lazy.data), eager.data)
    (tmp_path / "fer.csv").write_text("emotion,pixels,Usage\n")
    with pytest.raises(ValueError, match=r"fer\.csv.*lazy=False"):
        load_fer2013(tmp_path / "fer.csv", lazy=True)


# ------------------------------------------------------------------ estimator
@pytest.mark.slow
def test_fit_from_disk_reads_batches_only(lazy, read_sizes, monkeypatch, make_clf):
    X, y = lazy
    monkeypatch.setattr(_streaming, "CHUNK", 32)
    monkeypatch.setattr(ImageFiles, "__array__", None)  # nothing may decode everything at once
    clf = make_clf(epochs=2, batch_size=16).fit(X, y)
    # one statistics pass in chunks, then batches for 2 epochs (and the batch or two Keras
    # reads ahead to learn the input signature): never more than a chunk in memory
    assert read_sizes[:2] == [32, 28]
    batches = read_sizes[2:]
    assert max(batches) <= 16 and 2 * 60 <= sum(batches) <= 2 * 60 + 2 * 16
    read_sizes.clear()
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 3) and max(read_sizes) <= 32 and sum(read_sizes) == 60
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.slow
def test_fit_from_disk_matches_fit_in_memory(lazy, make_clf):
    X, y = lazy
    pixels = np.asarray(X)
    streamed = make_clf().fit(X, y)
    again = make_clf().fit(X, y)
    in_memory = make_clf().fit(pixels, y)
    # same statistics, same shapes, same predictions for the same network on both inputs
    assert normalization_mean(streamed) == pytest.approx(normalization_mean(in_memory), rel=1e-6)
    assert streamed.image_shape_ == in_memory.image_shape_ == (16, 16)
    assert streamed.n_features_in_ == 256
    np.testing.assert_allclose(
        streamed.predict_proba(X), streamed.predict_proba(pixels), atol=1e-6
    )
    # the shuffling is seeded: a second streamed fit gives the same network
    np.testing.assert_array_equal(streamed.predict_proba(X), again.predict_proba(X))


@pytest.mark.slow
def test_memory_mapped_arrays_are_streamed(faces, tmp_path, monkeypatch, make_clf):
    X, y = faces
    np.save(tmp_path / "faces.npy", X)
    mapped = np.load(tmp_path / "faces.npy", mmap_mode="r")
    assert isinstance(mapped, np.memmap)
    monkeypatch.setattr(_streaming, "CHUNK", 16)
    clf = make_clf().fit(mapped, y)
    reference = make_clf().fit(X, y)
    assert normalization_mean(clf) == pytest.approx(normalization_mean(reference), rel=1e-6)
    np.testing.assert_allclose(clf.predict_proba(mapped), clf.predict_proba(X), atol=1e-6)
    flat = np.lib.format.open_memmap(tmp_path / "flat.npy", "w+", np.float32, (60, 256))
    flat[:] = X.reshape(60, 256) / 255
    assert make_clf().fit(flat, y).image_shape_ == (16, 16)
    # a refit on a memory map forgets the column names of an earlier DataFrame fit
    import pandas as pd

    named = make_clf().fit(pd.DataFrame(flat, columns=[f"p{i}" for i in range(256)]), y)
    assert hasattr(named, "feature_names_in_")
    assert not hasattr(named.fit(flat, y), "feature_names_in_")
    flat[5, 7] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity in image 5"):
        make_clf().fit(flat, y)


@pytest.mark.slow
def test_streamed_early_stopping_partial_fit_and_warm_start(lazy, make_clf):
    X, y = lazy
    clf = make_clf(early_stopping=True, validation_fraction=0.25, epochs=3).fit(X, y)
    assert len(clf.history_["val_loss"]) == clf.n_iter_ >= 1
    online = make_clf().partial_fit(X[:30], y[:30], classes=np.unique(y))
    online.partial_fit(X[30:], y[30:])
    assert online.n_iter_ == 1 and online.predict(X[:5]).shape == (5,)


@pytest.mark.slow
def test_grid_search_splits_stay_on_disk(lazy, monkeypatch, make_clf):
    X, y = lazy
    monkeypatch.setattr(ImageFiles, "__array__", None)  # splits must not decode everything
    search = GridSearchCV(make_clf(epochs=1), {"row_hidden": [2, 4]}, cv=2).fit(X, y)
    assert search.best_params_["row_hidden"] in (2, 4)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.slow
def test_lazy_input_errors_name_the_culprit(lazy, faces, tmp_path, make_clf):
    X, y = lazy
    with pytest.raises(ValueError, match=r"60 labels.*59 labels"):
        make_clf().fit(X, y[:-1])
    clf = make_clf().fit(X, y)
    wrong = load_image_folder(X.source, image_size=(20, 16), lazy=True).data
    with pytest.raises(ValueError, match=r"shape \(16, 16\).*\(60, 20, 16\)"):
        clf.predict(wrong)
    np.save(tmp_path / "text.npy", np.array([["a"] * 4] * 3))
    with pytest.raises(ValueError, match="dtype <U1"):
        make_clf().fit(np.load(tmp_path / "text.npy", mmap_mode="r"), ["a", "b", "a"])
