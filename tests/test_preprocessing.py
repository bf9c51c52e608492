import collections
import io
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from skimage import data
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from bilstm_emotion.datasets import make_synthetic_faces
from bilstm_emotion.preprocessing import (
    FaceDetector,
    FaceNormalizer,
    ImageLoader,
    ImageReadError,
    SkippedInputsWarning,
)


def encode(array, fmt="PNG"):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


# -------------------------------------------------------------- ImageLoader
def test_loader_reads_every_kind_of_input(tmp_path):
    gray = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10)
    (tmp_path / "a.png").write_bytes(encode(gray))
    (tmp_path / "b.jpg").write_bytes(encode(np.stack([gray] * 3, -1), "JPEG"))
    inputs = [
        str(tmp_path / "a.png"),
        tmp_path / "b.jpg",
        encode(gray),
        io.BytesIO(encode(gray)),
        gray,
        gray.astype(np.uint16) * 257,
        gray / 255.0,
        np.stack([gray] * 3 + [np.full_like(gray, 255)], -1),  # opaque RGBA
    ]
    images = ImageLoader().transform(inputs)
    assert len(images) == len(inputs)
    for i, image in enumerate(images):
        assert image.dtype == np.float32 and image.shape == (12, 10)
        tolerance = 0.05 if i == 1 else 1e-6  # JPEG is lossy
        np.testing.assert_allclose(image, gray / 255, atol=tolerance, err_msg=f"input {i}")


def test_loader_converts_colour_to_gray():
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    rgb[..., 1] = 255  # pure green
    (image,) = ImageLoader().transform([rgb])
    np.testing.assert_allclose(image, 0.7152, atol=1e-3)  # ITU-R 709 luma of green


def test_loader_names_the_bad_file(tmp_path, damaged_tiff):
    good = tmp_path / "good.png"
    good.write_bytes(encode(np.zeros((5, 5), np.uint8)))
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:30])
    (tmp_path / "notes.jpg").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "pages.tiff").write_bytes(damaged_tiff)
    cases = {
        tmp_path / "pages.tiff": (ImageReadError, r"pages.tiff: Missing dimensions"),
        tmp_path / "missing.png": (FileNotFoundError, r"missing.png: no such file"),
        truncated: (ImageReadError, r"truncated.png"),
        tmp_path / "notes.jpg": (ImageReadError, r"notes.jpg: not an image file"),
        tmp_path / "empty.png": (ImageReadError, r"empty.png: the file is empty"),
        tmp_path: (ImageReadError, r"it is a folder"),
    }
    for path, (error, match) in cases.items():
        with pytest.raises(error, match=match):
            ImageLoader().transform([good, path])


def test_every_damaged_image_is_an_unreadable_image(damaged_tiff):
    """Seeded mutations of valid files in every format: decoding gives an image or our
    one error, whatever Pillow's decoders raise inside (issue 46 found TypeError)."""
    rng = np.random.default_rng(46)
    gray = rng.integers(0, 256, (24, 32), dtype=np.uint8)
    valid = [damaged_tiff]
    formats = [("PNG", "L"), ("JPEG", "RGB"), ("GIF", "P"), ("TIFF", "L"), ("WEBP", "RGB")]
    for fmt, mode in [*formats, ("BMP", "RGB"), ("PPM", "L")]:
        buffer = io.BytesIO()
        frames = [Image.fromarray(gray).convert(mode), Image.fromarray(255 - gray).convert(mode)]
        pages = {"save_all": True, "append_images": frames[1:]}
        frames[0].save(buffer, format=fmt, **(pages if fmt in ("GIF", "TIFF", "WEBP") else {}))
        valid.append(buffer.getvalue())
    outcomes = collections.Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trial in range(4000):
            data = bytearray(valid[trial % len(valid)])
            for _ in range(rng.integers(1, 5)):  # flip, overwrite, cut or repeat bytes
                if not data:
                    break
                at = int(rng.integers(0, len(data)))
                kind = rng.integers(0, 4)
                if kind == 0:
                    data[at] ^= 1 << int(rng.integers(0, 8))
                elif kind == 1:
                    data[at : at + 4] = rng.integers(0, 256, 4, dtype=np.uint8).tobytes()
                elif kind == 2:
                    del data[at:]
                else:
                    data[at:at] = data[at : at + 16]
            try:
                (array,) = ImageLoader(color=True).transform([bytes(data)])
            except ImageReadError as exc:
                assert "input 0 (bytes)" in str(exc)
                outcomes["error"] += 1
            else:
                assert isinstance(array, np.ndarray) and array.ndim in (2, 3)
                outcomes["image"] += 1
    assert outcomes["error"] > 100 and outcomes["image"] > 100


def test_loader_names_an_image_too_large_to_decode(tmp_path, monkeypatch):
    path = tmp_path / "huge.png"
    path.write_bytes(encode(np.zeros((300, 400), np.uint8)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 120,000 px is "huge" now
    with pytest.raises(ImageReadError, match=r"huge.png: Image size \(120000 pixels\)"):
        ImageLoader().transform([path])


def test_loader_skips_with_a_full_record(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(encode(np.zeros((5, 5), np.uint8)))
    with pytest.warns(SkippedInputsWarning, match=r"Skipped 2 inputs") as record:
        images = ImageLoader(on_error="skip").transform(
            [good, tmp_path / "missing.png", b"junk", good]
        )
    assert len(images) == 2
    skipped = record[0].message.skipped
    assert [i for i, _, _ in skipped] == [1, 2]
    assert skipped[0][1].endswith("missing.png")


def test_loader_rejects_a_single_path_and_bad_arrays():
    with pytest.raises(TypeError, match=r"single str .*wrap it in a list"):
        ImageLoader().transform("face.png")
    with pytest.raises(ImageReadError, match=r"float pixels of input 0 .* in \[0, 1\]"):
        ImageLoader().transform([np.full((3, 3), 200.0)])
    with pytest.raises(ImageReadError, match=r"shape=\(3, 3, 5\)"):
        ImageLoader().transform([np.zeros((3, 3, 5))])
    with pytest.raises(ImageReadError, match=r"NaN"):
        ImageLoader().transform([np.full((3, 3), np.nan)])


def test_loader_turns_photos_upright_by_exif():
    """A phone photo stored sideways (EXIF orientation 6: turn 90 degrees clockwise)."""
    stored = np.zeros((40, 60, 3), dtype=np.uint8)
    stored[:, :10] = 255  # bright stripe on the stored image's left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    (upright,) = ImageLoader().transform([buffer.getvalue()])
    assert upright.shape == (60, 40)
    assert upright[:10].mean() > 0.9 and upright[20:].mean() < 0.1  # the stripe is on top
    (colour,) = ImageLoader(color=True).transform([buffer.getvalue()])
    assert colour.shape == (60, 40, 3)


def test_loader_keeps_colour_when_asked():
    rgba = np.zeros((4, 5, 4), dtype=np.uint8)  # transparent: blended onto white
    (rgb,) = ImageLoader(color=True).transform([rgba])
    assert rgb.shape == (4, 5, 3) and rgb.dtype == np.float32 and rgb.min() == 1.0
    (gray,) = ImageLoader(color=True).transform([np.zeros((4, 5), dtype=np.uint8)])
    assert gray.shape == (4, 5)


# ------------------------------------------------------------- FaceDetector
def test_detector_finds_the_astronauts_face():
    photo = ImageLoader().transform([data.astronaut()])
    boxes = FaceDetector().detect(photo)[0]
    face = boxes[0]  # largest first
    centre = (face["row"] + face["height"] / 2, face["col"] + face["width"] / 2)
    assert 90 < centre[0] < 160 and 180 < centre[1] < 260  # her face, in 512x512 pixels
    (crop,) = FaceDetector(margin=0.0).transform(photo)
    assert crop.shape == (round(max(face["height"], face["width"])),) * 2  # square
    (wider,) = FaceDetector(margin=0.25).transform(photo)
    assert wider.shape[0] == round(1.5 * max(face["height"], face["width"]))


def test_the_default_finds_the_astronaut_once():
    """The demo photo has one face; the LBP cascade also finds one on her helmet."""
    assert len(FaceDetector(select="all").detect([data.astronaut()])[0]) == 1
    lbp = FaceDetector(detector="lbp", select="all").detect([data.astronaut()])[0]
    assert len(lbp) == 2 and lbp[1].row > 400  # the helmet, lower right


def test_detector_parameters_are_validated_and_grid_searchable():
    detector = FaceDetector(detector="lbp", margin=0.3)
    assert clone(detector).get_params() == detector.get_params()
    assert detector.set_params(detector="blazeface").backend().name == "blazeface"
    assert detector.backend().short_range is True
    assert detector.set_params(short_range=False).backend().short_range is False
    with pytest.raises(ValueError, match=r"'short_range' parameter"):
        FaceDetector(short_range="yes").transform([np.zeros((10, 10))])
    with pytest.raises(ValueError, match=r"'detector' parameter of FaceDetector"):
        FaceDetector(detector="haar").detect([np.zeros((10, 10))])
    with pytest.raises(ValueError, match=r"'min_score' parameter"):
        FaceDetector(min_score=1.5).transform([np.zeros((10, 10))])
    with pytest.raises(ValueError, match=r"'short_range_min_score' parameter"):
        FaceDetector(short_range_min_score=-0.1).transform([np.zeros((10, 10))])


def test_detector_crops_colour_input_to_gray_faces():
    (crop,) = FaceDetector().transform([data.astronaut()])
    assert crop.ndim == 2 and crop.dtype == np.float32 and 0 <= crop.min() <= crop.max() <= 1


def test_detector_maps_boxes_back_from_a_downscaled_search():
    photo = ImageLoader().transform([data.astronaut()])[0]
    big = np.kron(photo, np.ones((4, 4), dtype=np.float32))  # 2048x2048
    small_box = FaceDetector().detect([photo])[0][0]
    big_box = FaceDetector().detect([big])[0][0]
    for key in ("row", "col", "height", "width"):
        assert abs(big_box[key] / 4 - small_box[key]) <= 0.15 * small_box["height"]


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((1, 1)),
        np.zeros((60, 80)),
        np.ones((40, 40)),
        np.zeros((3000, 4000), dtype=np.uint8),
    ],
)
def test_no_face_policies(image):
    assert FaceDetector().detect([image]) == [[]]
    (full,) = FaceDetector().transform([image])
    assert full.shape == image.shape
    with pytest.warns(SkippedInputsWarning, match=r"images without a face"):
        assert FaceDetector(on_no_face="skip").transform([image]) == []
    with pytest.raises(ValueError, match=r"Expected a face in image 0"):
        FaceDetector(on_no_face="raise").transform([image])


def test_select_all_returns_every_face():
    astronaut = data.astronaut()  # a photo of two faces: the astronaut and her mirror image
    photo = ImageLoader().transform([np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)])
    faces = FaceDetector().detect(photo)[0]
    assert sorted(face.box()["col"] < 512 for face in faces) == [False, True]  # one per half
    assert len(FaceDetector(select="all").transform(photo)) == 2
    assert len(FaceDetector().transform(photo)) == 1  # the default keeps the largest


# ----------------------------------------------------------- FaceNormalizer
@given(
    image=st.one_of(
        arrays(np.uint8, st.tuples(st.integers(1, 120), st.integers(1, 120))),
        arrays(np.uint16, st.tuples(st.integers(1, 60), st.integers(1, 60))),
        arrays(
            np.float64, st.tuples(st.integers(1, 60), st.integers(1, 60)), elements=st.floats(0, 1)
        ),
        arrays(np.bool_, st.tuples(st.integers(1, 60), st.integers(1, 60))),
        arrays(np.uint8, st.tuples(st.integers(1, 60), st.integers(1, 60), st.just(3))),
    ),
    shape=st.tuples(st.integers(1, 64), st.integers(1, 64)),
    equalize=st.sampled_from([None, "hist", "adaptive"]),
)
def test_normalizer_shape_and_range_for_any_input(image, shape, equalize):
    out = FaceNormalizer(output_shape=shape, equalize=equalize).transform([image, image])
    assert out.shape == (2, *shape) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    np.testing.assert_array_equal(out[0], out[1])


def test_normalizer_standardize():
    rng = np.random.default_rng(0)
    out = FaceNormalizer(standardize=True).transform(rng.integers(0, 256, (3, 60, 50)))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1, atol=1e-4)


def test_normalizer_keeps_48x48_faces_as_they_are():
    faces = make_synthetic_faces(3, random_state=0, return_X_y=True)[0]
    np.testing.assert_allclose(FaceNormalizer().transform(faces), faces / 255, atol=1e-6)


# ------------------------------------------------------- stateless + pipeline
@pytest.mark.parametrize("transformer", [ImageLoader(), FaceDetector(), FaceNormalizer()])
def test_transformers_are_stateless(transformer):
    faces = list(make_synthetic_faces(4, random_state=0, return_X_y=True)[0])
    before = transformer.transform(faces)
    state = dict(vars(transformer))
    after = transformer.fit(faces).transform(faces)
    assert vars(transformer) == state
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert clone(transformer).get_params() == transformer.get_params()


@pytest.fixture(scope="module")
def face_files(tmp_path_factory):
    """Generated faces pasted into larger PNG 'photos', and their labels."""
    root = tmp_path_factory.mktemp("photos")
    X, y = make_synthetic_faces(
        40, image_size=32, classes=("happy", "surprise"), random_state=0, return_X_y=True
    )
    paths = []
    for i, face in enumerate(X):
        photo = np.full((64, 80), 90, dtype=np.uint8)
        photo[16:48, 24:56] = face
        paths.append(root / f"{i}.png")
        paths[-1].write_bytes(encode(photo))
    return [str(p) for p in paths], y


@pytest.mark.slow
def test_pipeline_from_file_paths(face_files, make_clf):
    paths, y = face_files
    pipe = Pipeline(
        [
            ("load", ImageLoader()),
            ("detect", FaceDetector()),
            ("normalize", FaceNormalizer(output_shape=(16, 16))),
            ("clf", make_clf(epochs=1)),
        ]
    )
    pipe.fit(paths, y)
    assert pipe.predict(paths).shape == (40,)
    assert set(pipe.predict(paths)) <= {"happy", "surprise"}
    proba = pipe.predict_proba(paths[:3])
    np.testing.assert_allclose(proba.sum(axis=1), 1)


@pytest.mark.slow
def test_pipeline_in_grid_search(face_files, make_clf):
    paths, y = face_files
    pipe = Pipeline(
        [
            ("load", ImageLoader()),
            ("normalize", FaceNormalizer(output_shape=(8, 8))),
            ("clf", make_clf(epochs=1)),
        ]
    )
    search = GridSearchCV(pipe, {"normalize__equalize": [None, "hist"]}, cv=2).fit(paths, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


# ------------------------------------------------------------ huge and odd files
def _jpeg(array, quality=90):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def test_large_photos_are_decoded_reduced_and_the_ceiling_is_named(tmp_path, monkeypatch):
    from bilstm_emotion.datasets import _io
    from bilstm_emotion.preprocessing import MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE

    assert MAX_IMAGE_PIXELS < Image.MAX_IMAGE_PIXELS and MAX_IMAGE_SIDE >= 1024
    # the same rule at a smaller scale: 2,000 px sides instead of 4,096, 1 MP instead of 64
    monkeypatch.setattr(_io, "MAX_IMAGE_SIDE", 500)
    monkeypatch.setattr(_io, "MAX_IMAGE_PIXELS", 1_000_000)
    gradient = np.tile(np.linspace(0, 255, 2000).astype(np.uint8), (1500, 1))
    (tmp_path / "big.jpg").write_bytes(_jpeg(gradient))  # 3 MP, over the ceiling
    (tmp_path / "big.png").write_bytes(encode(gradient))
    (tmp_path / "mid.png").write_bytes(encode(gradient[:600, :800]))  # under it, over 500 px
    from PIL import JpegImagePlugin

    drafted = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original_draft(self, mode, size)
        drafted.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    big, mid = ImageLoader().transform([tmp_path / "big.jpg", tmp_path / "mid.png"])
    assert big.shape == (375, 500) and mid.shape == (375, 500)
    assert drafted[0] == (500, 375)  # the JPEG decoder itself ran at 1/4 size
    np.testing.assert_allclose(big[10, ::50], gradient[40, ::200] / 255, atol=0.03)
    with pytest.raises(ImageReadError, match=r"big.png: 2000x1500 pixels \(3 million\) is above"):
        ImageLoader().transform([tmp_path / "big.png"])
    assert _io.image_size((tmp_path / "big.jpg").read_bytes()) == (1500, 2000)


def test_a_file_too_large_to_be_an_image_is_not_read(tmp_path, monkeypatch):
    from bilstm_emotion.datasets import _io

    monkeypatch.setattr(_io, "MAX_IMAGE_BYTES", 10_000)
    (tmp_path / "big.png").write_bytes(encode(np.zeros((5, 5), np.uint8)) + bytes(20_000))
    with pytest.raises(ImageReadError, match=r"big.png: 20,\d+ bytes is more than the 10,000"):
        ImageLoader().transform([tmp_path / "big.png"])


def test_only_the_first_frame_of_an_animation_is_read_and_that_is_said(tmp_path):
    from bilstm_emotion.preprocessing import MultiFrameWarning

    frames = [Image.new("L", (8, 8), color=c) for c in (0, 128, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.warns(MultiFrameWarning, match=r"anim.gif holds 3 frames.*reading the first"):
        (image,) = ImageLoader().transform([tmp_path / "anim.gif"])
    assert image.max() == 0
