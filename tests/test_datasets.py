import csv
import io
import os
import time
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from bilstm_emotion import EMOTIONS
from bilstm_emotion.datasets import (
    get_data_home,
    load_fer2013,
    load_image_folder,
    make_synthetic_faces,
)
from bilstm_emotion.preprocessing import ImageReadError, SkippedInputsWarning


def write_tree(root, files):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(path, files):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def decode(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


# ------------------------------------------------------------ real FER2013
@pytest.mark.slow
def test_full_zip_has_the_documented_splits_and_counts(fer_zip, tmp_path):
    start = time.perf_counter()
    faces = load_fer2013(fer_zip, data_home=tmp_path)
    first = time.perf_counter() - start
    assert faces.data.shape == (32298, 48, 48) and faces.data.dtype == np.uint8
    train = faces.target[faces.split == "train"]
    test = faces.target[faces.split == "test"]
    # ../shared/README.md, in FER2013 order: angry disgust fear happy sad surprise neutral
    assert np.bincount(train).tolist() == [3995, 436, 4097, 7215, 4830, 3171, 4965]
    assert np.bincount(test).tolist() == [467, 56, 496, 895, 653, 415, 607]
    assert faces.target_names.tolist() == list(EMOTIONS)
    assert faces.filenames[0].startswith("test/angry/PublicTest_")
    start = time.perf_counter()
    X_test, y_test = load_fer2013(
        fer_zip, data_home=tmp_path, subset="PublicTest", return_X_y=True
    )
    assert time.perf_counter() - start < first  # served from the cache
    np.testing.assert_array_equal(X_test, faces.data[faces.split == "test"])
    np.testing.assert_array_equal(y_test, test)


def test_folder_zip_csv_and_oheix_layouts_agree(fer_sample, tmp_path):
    kaggle_dir = write_tree(tmp_path / "kaggle", fer_sample)
    kaggle = load_fer2013(kaggle_dir, cache=False)
    assert sorted(set(kaggle.split.tolist())) == ["test", "train"]
    assert np.bincount(kaggle.target).tolist() == [40] * 7

    oheix = {f"images/{n.replace('test/', 'validation/', 1)}": b for n, b in fer_sample.items()}
    from_zip = load_fer2013(write_zip(tmp_path / "oheix.zip", oheix), cache=False)
    assert sorted(set(from_zip.split.tolist())) == ["train", "validation"]

    rows = [("emotion", "pixels", "Usage")]
    for name, data in sorted(fer_sample.items()):
        split, emotion = name.split("/")[:2]
        usage = "Training" if split == "train" else "PublicTest"
        rows.append((EMOTIONS.index(emotion), " ".join(map(str, decode(data).ravel())), usage))
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    csv_path = tmp_path / "fer2013.csv"
    csv_path.write_text(text.getvalue())
    from_csv = load_fer2013(csv_path, cache=False)
    csv_in_zip = load_fer2013(
        write_zip(tmp_path / "fer.zip", {"fer2013/fer2013.csv": text.getvalue()}), cache=False
    )

    # The CSV rows were written in the folder's (sorted) file order.
    for other in (from_csv, csv_in_zip):
        np.testing.assert_array_equal(other.data, kaggle.data)
        np.testing.assert_array_equal(other.target, kaggle.target)
    # The Oheix zip sorts validation/ after train/: match faces by file name.
    index = {name.rsplit("/", 1)[-1]: i for i, name in enumerate(kaggle.filenames)}
    order = [index[name.rsplit("/", 1)[-1]] for name in from_zip.filenames]
    np.testing.assert_array_equal(from_zip.data, kaggle.data[order])
    np.testing.assert_array_equal(from_zip.target, kaggle.target[order])
    assert from_csv.filenames[0] == "fer2013.csv:0"
    assert sorted(set(from_csv.split.tolist())) == ["test", "train"]


def test_subset_and_return_X_y(fer_sample, tmp_path):
    root = write_tree(tmp_path, fer_sample)
    X, y = load_fer2013(root, subset=["test"], return_X_y=True, cache=False)
    assert X.shape == (140, 48, 48) and y.shape == (140,)
    with pytest.raises(
        ValueError,
        match=r"splits of .*\['test', 'train'\]. Received: "
        r"\['validation'\]",
    ):
        load_fer2013(root, subset="validation", cache=False)
    with pytest.raises(ValueError, match=r"Received: subset='holdout'"):
        load_fer2013(root, subset="holdout", cache=False)


def test_cache_follows_changes_to_the_source(fer_sample, tmp_path):
    files = dict(list(fer_sample.items())[:30])
    source = write_zip(tmp_path / "a.zip", files)
    home = tmp_path / "home"
    assert len(load_fer2013(source, data_home=home).data) == 30
    assert len(list(home.glob("fer2013-*.npz"))) == 1
    files.pop(next(iter(files)))
    write_zip(source, files)
    os.utime(source, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert len(load_fer2013(source, data_home=home).data) == 29


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BILSTM_EMOTION_DATA", str(tmp_path / "cache"))
    assert get_data_home() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


# ------------------------------------------------------------ bad input
def test_unreadable_image_is_named_or_skipped_with_a_record(fer_sample, tmp_path):
    files = dict(list(fer_sample.items())[:10])
    bad = "train/angry/Training_broken.jpg"
    files[bad] = files[next(iter(files))][:100]  # truncated JPEG
    files["train/angry/Training_text.jpg"] = b"not an image"
    root = write_tree(tmp_path / "data", files)
    with pytest.raises(ValueError, match=r"Cannot read image .*Training_broken.jpg"):
        load_fer2013(root, cache=False)
    with pytest.warns(SkippedInputsWarning, match=r"Skipped 2 images") as record:
        faces = load_fer2013(root, cache=False, on_error="skip")
    assert len(faces.data) == 10
    assert {name for name, _ in faces.skipped} == {bad, "train/angry/Training_text.jpg"}
    assert len(record[0].message.skipped) == 2


def test_unknown_folders_and_paths(tmp_path, fer_sample):
    data = next(iter(fer_sample.values()))
    with pytest.raises(ValueError, match=r"emotion in .*Received: .*train/joy/a.jpg"):
        load_fer2013(write_tree(tmp_path / "a", {"train/joy/a.jpg": data}), cache=False)
    with pytest.raises(ValueError, match=r"split in .*Received: .*holdout/happy/a.jpg"):
        load_fer2013(write_tree(tmp_path / "b", {"holdout/happy/a.jpg": data}), cache=False)
    with pytest.raises(FileNotFoundError, match=r"No such file or folder: .*missing.zip"):
        load_fer2013(tmp_path / "missing.zip")


@pytest.mark.parametrize(
    "row, match",
    [
        (("3", "1 2 3", "Training"), r"2304 pixel values .* row 1. Received: 3 values"),
        (("9", " ".join(["0"] * 2304), "Training"), r"emotion label 0-6 in .* row 1. .*'9'"),
        (("3", " ".join(["300"] * 2304), "Training"), r"Received: 2304 values in \[300, 300\]"),
        (("3", " ".join(["x"] * 2304), "Training"), r"2304 pixel values .* row 1"),
        (("3", " ".join(["0"] * 2304), "Holdout"), r"Usage .* row 1. Received: 'Holdout'"),
    ],
)
def test_csv_errors_name_the_row(tmp_path, row, match):
    path = tmp_path / "fer2013.csv"
    path.write_text("emotion,pixels,Usage\n" + ",".join(row) + "\n")
    with pytest.raises(ValueError, match=match):
        load_fer2013(path, cache=False)


def test_csv_without_labels_gets_minus_one(tmp_path):
    path = tmp_path / "test.csv"
    path.write_text("pixels\n" + " ".join(["7"] * 2304) + "\n")
    faces = load_fer2013(path, cache=False)
    assert faces.target.tolist() == [-1] and faces.data[0, 0, 0] == 7


# --------------------------------------------------------- generic folders
@given(images=st.lists(arrays(np.uint8, (9, 7)), min_size=1, max_size=4))
def test_png_round_trip(tmp_path_factory, images):
    root = tmp_path_factory.mktemp("png")
    files = {f"label{i % 2}/img{i}.png": png_bytes(img) for i, img in enumerate(images)}
    faces = load_image_folder(write_tree(root, files))
    by_name = dict(zip(faces.filenames.tolist(), faces.data, strict=True))
    for name, img in zip(files, images, strict=True):
        np.testing.assert_array_equal(by_name[name], img)
    assert faces.target.tolist() == [n.split("/")[0] for n in faces.filenames]


def test_generic_folder_sizes_labels_and_zip(tmp_path):
    files = {
        "smile/a.png": png_bytes(np.zeros((10, 10), np.uint8)),
        "frown/deep/b.png": png_bytes(np.full((20, 16), 255, np.uint8)),
        "frown/notes.txt": b"hello",
    }
    root = write_tree(tmp_path / "root", files)
    with pytest.raises(ValueError, match=r"one size.*image_size=\(48, 48\)"):
        load_image_folder(root)
    with pytest.warns(UserWarning, match=r"Ignoring 1 files that are not images"):
        X, y = load_image_folder(
            write_zip(tmp_path / "r.zip", files), image_size=(8, 8), return_X_y=True
        )
    assert X.shape == (2, 8, 8) and sorted(y.tolist()) == ["frown", "smile"]
    write_tree(root, {"loose.png": files["smile/a.png"]})
    with pytest.raises(ValueError, match=r"inside label folders.*loose.png"):
        load_image_folder(root)


# -------------------------------------------------------- generated faces
@given(n=st.integers(1, 30), size=st.integers(8, 40), seed=st.integers(0, 1000))
def test_synthetic_shapes_dtype_and_balance(n, size, seed):
    faces = make_synthetic_faces(n, image_size=size, random_state=seed)
    assert faces.data.shape == (n, size, size) and faces.data.dtype == np.uint8
    counts = np.unique(faces.target, return_counts=True)[1]
    assert set(faces.target) <= set(EMOTIONS)
    assert counts.max() - counts.min() <= 1
    assert faces.target_names.tolist() == list(EMOTIONS)


def test_synthetic_seeded_and_varied():
    a = make_synthetic_faces(20, random_state=3, return_X_y=True)
    b = make_synthetic_faces(20, random_state=3, return_X_y=True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert len({img.tobytes() for img in a[0]}) == 20


def test_synthetic_emotions_differ_in_the_mouth_region():
    X, y = make_synthetic_faces(140, classes=("happy", "sad"), random_state=0, return_X_y=True)
    mouth = X[:, 30:42, 14:34].astype(float)
    happy, sad = mouth[y == "happy"].mean(0), mouth[y == "sad"].mean(0)
    assert np.abs(happy - sad).max() > 60


def test_synthetic_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Received: \['joy'\]"):
        make_synthetic_faces(5, classes=("happy", "joy"))
    with pytest.raises(ValueError, match=r"n_samples=0"):
        make_synthetic_faces(0)


# ------------------------------------------------------------ hostile files
def test_a_csv_with_a_byte_order_mark_keeps_its_labels(tmp_path):
    rows = "emotion,pixels,Usage\n" + "".join(
        f"{label},{' '.join(['7'] * 2304)},Training\n" for label in (3, 5)
    )
    (tmp_path / "fer2013.csv").write_bytes(b"\xef\xbb\xbf" + rows.encode())  # Excel's
    _, y = load_fer2013(tmp_path / "fer2013.csv", return_X_y=True, cache=False)
    assert y.tolist() == [3, 5]
    write_zip(tmp_path / "fer.zip", {"fer2013.csv": b"\xef\xbb\xbf" + rows.encode()})
    _, y = load_fer2013(tmp_path / "fer.zip", return_X_y=True, cache=False)
    assert y.tolist() == [3, 5]


def test_a_zip_entry_far_larger_than_a_face_is_not_read(tmp_path, monkeypatch):
    face = png_bytes(np.zeros((48, 48), np.uint8))
    path = tmp_path / "fer.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("train/happy/0.png", face)
        z.writestr("train/sad/1.png", face)
        z.writestr("train/sad/bomb.png", face + bytes(3 * 2**20))  # 3 MB of zeros: 3 KB zipped
    assert path.stat().st_size < 20_000
    read = []
    original = zipfile.ZipFile.read
    monkeypatch.setattr(
        zipfile.ZipFile, "read", lambda self, n, *a: read.append(n) or original(self, n, *a)
    )
    with pytest.raises(ImageReadError, match=r"fer.zip!train/sad/bomb.png: 3,1\d\d,\d+ bytes"):
        load_fer2013(path, cache=False)
    assert "train/sad/bomb.png" not in read


def test_fsspec_urls_are_stamped_and_read_with_errors_naming_them(tmp_path):
    import fsspec

    from bilstm_emotion.datasets._remote import file_stamp, is_url, read_url, url_filesystem

    assert is_url("s3://bucket/a.jpg") and is_url("file:///tmp/a.jpg")
    assert not is_url("/tmp/a.jpg") and not is_url("C:/photos/a.jpg") and not is_url(b"s3://")
    memory = fsspec.filesystem("memory")
    memory.pipe("/stamps/a.txt", b"one")
    size, modified = file_stamp("memory:///stamps/a.txt")
    assert size == 3 and modified is not None
    assert file_stamp("memory:///stamps/missing.txt") == (None, None)
    local = tmp_path / "a.bin"
    local.write_bytes(b"12345")
    assert file_stamp(str(local))[0] == 5 and file_stamp(str(tmp_path / "no")) == (None, None)
    with pytest.raises(ImageReadError, match=r"memory:///stamps/a\.txt: not an image file"):
        read_url("memory:///stamps/a.txt")
    with pytest.raises(ValueError, match=r"Expected an fsspec URL .* Received: nope://x"):
        url_filesystem("nope://x")
