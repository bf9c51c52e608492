import numpy as np
import pytest

from bilstm_emotion.monitoring import (
    BOX_FIELDS,
    FacePredictor,
    draw_faces,
    expand_paths,
    image_date,
    iter_images,
    predict_images,
    summarize,
)

CLASSES = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


def test_expand_paths_folders_globs_and_files(photo_folder):
    files = expand_paths([photo_folder])
    names = [f.rsplit("/", 1)[-1] for f in files]
    # recursive, sorted, images only (the .txt is not picked up inside folders)
    assert names == ["astronaut.jpg", "broken.jpg", "head.png", "wall.png"]
    assert expand_paths([f"{photo_folder}/*/*.png"]) == [
        f"{photo_folder}/b/head.png",
        f"{photo_folder}/b/wall.png",
    ]
    # an explicit file is kept whatever its extension; duplicates are dropped
    txt = str(photo_folder / "b" / "notes.txt")
    assert expand_paths([txt, txt]) == [txt]


def test_expand_paths_names_what_is_missing(photo_folder):
    with pytest.raises(FileNotFoundError, match=r"nope\.jpg"):
        expand_paths([photo_folder / "nope.jpg"])
    with pytest.raises(FileNotFoundError, match=r"\*\.gif"):
        expand_paths([f"{photo_folder}/*.gif"])


def test_predict_images_records_every_input(photo_folder, pretrained):
    files = expand_paths([photo_folder])
    records = predict_images(files, pretrained)
    by_file = {}
    for r in records:
        by_file.setdefault(r["source"].rsplit("/", 1)[-1], []).append(r)
    assert set(by_file) == {"astronaut.jpg", "broken.jpg", "head.png", "wall.png"}
    assert by_file["broken.jpg"][0]["status"].startswith("error: Cannot read image")
    assert "broken.jpg" in by_file["broken.jpg"][0]["status"]
    assert by_file["wall.png"] == [
        {
            "source": files[3],
            "face": 0,
            **dict.fromkeys(BOX_FIELDS),
            "label": "",
            "score": None,
            **dict.fromkeys(CLASSES),
            "status": "no face",
        }
    ]
    face = by_file["astronaut.jpg"][0]
    assert face["label"] == "happy" and face["status"] == "ok"
    assert abs(sum(face[c] for c in CLASSES) - 1) < 1e-3
    assert face["score"] == max(face[c] for c in CLASSES)
    # her face is in the upper middle of the 512x512 photo
    assert 40 < face["row"] < 140 and 140 < face["col"] < 240 and face["height"] > 60


def test_predict_images_can_raise_and_validates(photo_folder, pretrained):
    with pytest.raises(ValueError, match=r"broken\.jpg"):
        predict_images([photo_folder / "b" / "broken.jpg"], pretrained, on_error="raise")
    with pytest.raises(ValueError, match="on_error='skip'"):
        predict_images([], pretrained, on_error="skip")


def test_no_detect_treats_each_image_as_a_face(pretrained):
    faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    records = predict_images(list(faces), pretrained, detect=False)
    assert [r["face"] for r in records] == [1, 1, 1]
    assert [(r["height"], r["width"]) for r in records] == [(48, 48)] * 3
    expected = pretrained.predict_proba(faces / 255.0)
    got = np.array([[r[c] for c in CLASSES] for r in records])
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_face_predictor_classifies_given_boxes(pretrained):
    from skimage import data

    from bilstm_emotion.preprocessing import ImageLoader

    gray = ImageLoader().transform([data.astronaut()])[0]
    predictor = FacePredictor(pretrained)
    boxes = predictor.boxes(gray)
    assert len(boxes) >= 1
    assert predictor.classify(gray, []).shape == (0, 7)
    assert predictor.classify(gray, boxes[:1]).shape == (1, 7)
    faces = predictor.faces(gray, boxes[:1])  # what classify gives the estimator
    assert faces.shape == (1, 48, 48) and faces.dtype == np.float32
    np.testing.assert_allclose(
        predictor.classify(gray, boxes[:1]), pretrained.predict_proba(faces), atol=1e-6
    )


def test_draw_faces_marks_the_box_only(pretrained):
    image = np.zeros((100, 120), dtype=np.uint8)
    record = {
        "face": 1,
        "row": 30,
        "col": 40,
        "height": 40,
        "width": 30,
        "label": "happy",
        "score": 0.9,
    }
    out = draw_faces(image, [record, {"label": ""}], color=(255, 0, 0))
    assert out.shape == (100, 120, 3) and out.dtype == np.uint8
    assert tuple(out[70, 55]) == (255, 0, 0)  # bottom edge of the box
    assert tuple(out[50, 55]) == (0, 0, 0)  # inside: untouched
    assert tuple(out[95, 5]) == (0, 0, 0)


def test_summarize_counts_and_shares():
    def rec(source, label, status="ok"):
        return {"source": source, "label": label, "status": status}

    records = [
        rec("a/1.jpg", "happy"),
        rec("a/1.jpg", "sad"),
        rec("a/2.jpg", "happy"),
        rec("b/3.jpg", "", "no face"),
        rec("b/4.jpg", "", "error: broken"),
    ]
    (overall,) = summarize(records, CLASSES)
    assert overall["faces"] == 3 and overall["images"] == 4
    assert overall["no_face"] == 1 and overall["errors"] == 1
    assert overall["happy"] == pytest.approx(2 / 3, abs=1e-4) and overall["dominant"] == "happy"
    groups = summarize(records, CLASSES, by=lambda r: r["source"].split("/")[0])
    assert [g["group"] for g in groups] == ["a", "b"]
    assert groups[1]["faces"] == 0 and groups[1]["dominant"] == "" and groups[1]["happy"] == 0


def test_image_date_prefers_exif(tmp_path):
    from PIL import Image

    img = Image.new("RGB", (8, 8))
    exif = Image.Exif()
    exif[306] = "2024:03:05 10:11:12"
    img.save(tmp_path / "exif.jpg", exif=exif)
    img.save(tmp_path / "plain.png")
    assert image_date(tmp_path / "exif.jpg") == "2024-03-05"
    assert len(image_date(tmp_path / "plain.png")) == 10  # the file's own date


def test_a_photo_decoded_reduced_keeps_its_boxes_in_its_own_pixels(
    tmp_path, pretrained, monkeypatch
):
    from PIL import Image
    from skimage import data

    from bilstm_emotion.datasets import _io
    from bilstm_emotion.monitoring import decoded_scale

    Image.fromarray(data.astronaut()).resize((1024, 1024)).save(tmp_path / "big.png")
    (full,) = predict_images([tmp_path / "big.png"], pretrained)
    monkeypatch.setattr(_io, "MAX_IMAGE_SIDE", 400)  # 1024 px is "large" now: read at 400
    ((source, _, pixels, (reduced,)),) = iter_images(
        [tmp_path / "big.png"], FacePredictor(pretrained)
    )
    assert pixels.shape[:2] == (400, 400) and decoded_scale(source, pixels) == 1024 / 400
    for key in BOX_FIELDS:  # in the file's pixels, within what 400 px can resolve
        assert abs(reduced[key] - full[key]) <= 8, key
    assert reduced["label"] == full["label"] == "happy"
    drawn = draw_faces(pixels, [reduced], scale=1 / decoded_scale(source, pixels))
    row, col = round(reduced["row"] * 400 / 1024), round(reduced["col"] * 400 / 1024)
    near_top = drawn[row - 1 : row + 2, col + 5 : col + 6].reshape(-1, 3)
    assert ((near_top == (255, 200, 0)).all(axis=1)).any()  # the box's top edge, where it is


def test_fsspec_urls_are_listed_and_read_like_paths(photo_folder, pretrained):
    import fsspec

    url = f"file://{photo_folder}"
    files = expand_paths([url])
    assert files == [f"file://{p}" for p in expand_paths([photo_folder])]
    by_url = predict_images(files, pretrained)
    by_path = predict_images(expand_paths([photo_folder]), pretrained)
    assert [{**r, "source": r["source"].removeprefix("file://")} for r in by_url] == [
        {**r, "status": r["status"].replace(str(photo_folder), url)} for r in by_path
    ]
    # an in-memory filesystem: fsspec's, nothing on disk
    memory = fsspec.filesystem("memory")
    memory.pipe("/posts/day1/a.jpg", (photo_folder / "a" / "astronaut.jpg").read_bytes())
    memory.pipe("/posts/day1/notes.txt", b"not an image")
    assert expand_paths(["memory://posts/"]) == ["memory:///posts/day1/a.jpg"]
    [face] = predict_images(["memory:///posts/day1/a.jpg"], pretrained)
    assert face["label"] == "happy" and face["source"] == "memory:///posts/day1/a.jpg"
    [missing] = predict_images(["memory:///posts/day2/b.jpg"], pretrained)
    assert missing["status"] == "error: Cannot read image memory:///posts/day2/b.jpg: no such file"
    with pytest.raises(FileNotFoundError, match="memory://nowhere/"):
        expand_paths(["memory://nowhere/"])


def _parquet_rows(path):
    from bilstm_emotion.monitoring import read_records

    classes, rows = read_records(path)
    return classes, _sorted(rows)


def _sorted(records):
    return sorted(records, key=lambda r: (r["source"], r["face"]))


def test_predict_to_parquet_resumes_what_changed_or_failed(tmp_path, photo_folder, pretrained):
    import shutil

    from PIL import Image

    from bilstm_emotion.monitoring import predict_to_parquet

    posts = tmp_path / "posts"
    shutil.copytree(photo_folder, posts)
    files = expand_paths([posts])
    out = tmp_path / "faces"
    first = predict_to_parquet(files, out, pretrained, partition_size=1)
    assert (first["predicted"], first["partitions"], first["failed"]) == (4, 4, 1)
    classes, rows = _parquet_rows(out)
    assert classes == CLASSES
    assert rows == sorted(
        predict_images(files, pretrained), key=lambda r: (r["source"], r["face"])
    )
    # Nothing changed: nothing predicted, but the unreadable file is tried again.
    again = predict_to_parquet(files, out, pretrained, resume=True)
    assert (again["skipped"], again["predicted"], again["failed"]) == (3, 1, 1)
    # A photo replaced by another: its old rows go, its new ones come, once.
    wall = posts / "b" / "wall.png"
    Image.open(posts / "b" / "head.png").save(wall)
    (posts / "b" / "broken.jpg").write_bytes((posts / "b" / "head.png").read_bytes())
    third = predict_to_parquet(files, out, pretrained, resume=True)
    assert (third["skipped"], third["predicted"], third["failed"]) == (2, 2, 0)
    _, rows = _parquet_rows(out)
    assert rows == sorted(
        predict_images(files, pretrained), key=lambda r: (r["source"], r["face"])
    )
    assert [r["status"] for r in rows if r["source"] == str(wall)] == ["ok"]  # a face now


def test_predict_to_parquet_refuses_what_it_would_spoil(tmp_path, photo_folder, pretrained):
    from bilstm_emotion.monitoring import FacePredictor, predict_to_parquet, run_settings

    files = expand_paths([photo_folder / "a"])
    out = tmp_path / "faces"
    predict_to_parquet(files, out, pretrained)
    with pytest.raises(FileExistsError, match=r"or --resume.*holds 1 partition\(s\)"):
        predict_to_parquet(files, out, pretrained)
    with pytest.raises(ValueError, match=r"--resume .* or --overwrite .*, not both"):
        predict_to_parquet(files, out, pretrained, resume=True, overwrite=True)
    other = {**run_settings(FacePredictor(pretrained)), "model": "bilstm"}
    with pytest.raises(ValueError, match=r"Expected the same model.*'bilstm'.*'conv-xl-flip'"):
        predict_to_parquet(files, out, pretrained, resume=True, settings=other)
    assert predict_to_parquet(files, out, pretrained, overwrite=True)["predicted"] == 1
    assert len(list(out.iterdir())) == 1
    # a folder of something else is not written into
    with pytest.raises(FileExistsError, match=r"holds astronaut\.jpg"):
        predict_to_parquet(files, photo_folder / "a", pretrained)
    # a partition left half-written by a killed run is cleared, not read
    (out / f".part-000001.parquet.{'0' * 32}.tmp").write_bytes(b"half a partition")
    assert predict_to_parquet(files, out, pretrained, resume=True)["skipped"] == 1
    assert sorted(p.name for p in out.iterdir()) == ["part-000000.parquet"]


def test_a_photo_is_the_same_however_its_path_is_written(
    tmp_path, photo_folder, pretrained, monkeypatch
):
    from bilstm_emotion.monitoring import predict_to_parquet

    out = tmp_path / "faces"
    monkeypatch.chdir(photo_folder)
    predict_to_parquet(expand_paths(["a", "b"]), out, pretrained)
    # the same photos named from elsewhere, absolutely: nothing to do but the broken one
    monkeypatch.chdir(tmp_path)
    again = predict_to_parquet(expand_paths([photo_folder]), out, pretrained, resume=True)
    assert (again["skipped"], again["predicted"]) == (3, 1)
    _, rows = _parquet_rows(out)
    assert len([r for r in rows if r["source"].endswith("broken.jpg")]) == 1


def test_a_parquet_output_in_an_object_store_without_folders(tmp_path, photo_folder, pretrained):
    import fsspec

    from bilstm_emotion.monitoring import predict_to_parquet, read_records

    memory = fsspec.filesystem("memory")
    url = "memory://bucket/faces/2026-12-07"
    assert not memory.exists("/bucket/faces/2026-12-07")  # a prefix nothing is under yet
    files = expand_paths([photo_folder / "a"])
    assert predict_to_parquet(files, url, pretrained)["partitions"] == 1
    assert predict_to_parquet(files, url, pretrained, resume=True)["skipped"] == 1
    _, rows = read_records(url)
    assert [r["label"] for r in rows] == ["happy"]


def test_onnxruntime_threads_follow_omp_num_threads(monkeypatch):
    from bilstm_emotion.core._onnxruntime import environment_threads

    for value, expected in [("1", 1), (" 3 ", 3), ("0", None), ("many", None), ("", None)]:
        monkeypatch.setenv("OMP_NUM_THREADS", value)
        assert environment_threads() == expected
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert environment_threads() is None


def test_predict_to_parquet_takes_files_once_each(tmp_path, photo_folder, pretrained, monkeypatch):
    from bilstm_emotion.monitoring import predict_to_parquet

    monkeypatch.chdir(photo_folder)
    files = [str(photo_folder / "a" / "astronaut.jpg"), "./a/astronaut.jpg", "a/astronaut.jpg"]
    report = predict_to_parquet(files, tmp_path / "faces", pretrained)
    assert (report["predicted"], report["skipped"]) == (1, 2)
    _, rows = _parquet_rows(tmp_path / "faces")
    assert [r["source"] for r in rows] == [files[0]]
    with pytest.raises(TypeError, match="Received: ndarray at position 1"):
        predict_to_parquet([files[0], np.zeros((48, 48))], tmp_path / "other", pretrained)
