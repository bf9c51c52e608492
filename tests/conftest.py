import importlib.util
import os
import sys
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from bilstm_emotion import BiLSTMFaceEmotionClassifier
from bilstm_emotion.datasets import make_synthetic_faces

# "dev" explores more; "ci" keeps the suite inside its time budget.
settings.register_profile(
    "ci", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    "ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev")
)

#: Parameters that make a fit take about a second: for tests, not for accuracy.
FAST_PARAMS = dict(row_hidden=4, col_hidden=4, epochs=2, batch_size=16, random_state=0)


def fast_clf(**params):
    return BiLSTMFaceEmotionClassifier(**{**FAST_PARAMS, **params})


@pytest.fixture(scope="session")
def make_clf():
    """Factory of fast classifiers: ``make_clf(epochs=3)``."""
    return fast_clf


def _load_script(path):
    """A script of the repository (``tools/``, ``benchmarks/``) as a module, its folder on
    ``sys.path`` while it loads, as when it runs (its own helpers import from there)."""
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


@pytest.fixture(scope="session")
def load_script():
    """Loader of the repository's scripts: ``load_script(ROOT / "tools" / "x.py")``."""
    return _load_script


@pytest.fixture(scope="session")
def faces():
    """60 generated 16x16 faces of three emotions, uint8."""
    return make_synthetic_faces(
        60, image_size=16, classes=("happy", "sad", "surprise"), random_state=0, return_X_y=True
    )


@pytest.fixture(scope="session")
def fitted(faces):
    X, y = faces
    return fast_clf().fit(X, y)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


FER_ZIP = Path(
    os.environ.get("BILSTM_EMOTION_FER_ZIP")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "fer2013-dev.zip"
)


@pytest.fixture(scope="session")
def fer_zip():
    """The real FER2013 zip from ../shared (skipped, with the reason, where it is absent)."""
    if not FER_ZIP.is_file():
        pytest.skip(f"FER2013 zip not found at {FER_ZIP} (set BILSTM_EMOTION_FER_ZIP)")
    return FER_ZIP


@pytest.fixture(scope="session")
def fer_sample(fer_zip):
    """A few hundred real faces: {relative name: jpeg bytes}, 20 per emotion per split."""
    with zipfile.ZipFile(fer_zip) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".jpg"))
        by_folder = {}
        for name in names:
            by_folder.setdefault(name.rsplit("/", 1)[0], []).append(name)
        chosen = [n for folder in sorted(by_folder) for n in by_folder[folder][:20]]
        return {name: z.read(name) for name in chosen}


def astronaut_head():
    """Eileen Collins' head and shoulders from scikit-image's astronaut photo (RGB uint8):
    the first of the package's demo participants, as she is."""
    from bilstm_emotion.video import demo_participants

    return demo_participants(1)[0]


def write_face_video(path, *, seconds=2.0, fps=10, size=(320, 240), face=True):
    from bilstm_emotion.video import make_demo_video

    return make_demo_video(path, seconds=seconds, fps=fps, size=size, face=face)


@pytest.fixture(scope="session")
def face_video(tmp_path_factory):
    """A 2-second 320x240 10 fps mp4 with one moving face (20 frames)."""
    return write_face_video(tmp_path_factory.mktemp("video") / "face.mp4")


@pytest.fixture(scope="session")
def photo_folder(tmp_path_factory):
    """posts/{a,b}/ with two astronaut photos, a faceless image and a broken file."""
    from PIL import Image
    from skimage import data

    root = tmp_path_factory.mktemp("photos") / "posts"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    Image.fromarray(data.astronaut()).save(root / "a" / "astronaut.jpg")
    Image.fromarray(astronaut_head()).save(root / "b" / "head.png")
    Image.new("L", (120, 90), color=128).save(root / "b" / "wall.png")
    (root / "b" / "broken.jpg").write_bytes(b"this is not a jpeg")
    (root / "b" / "notes.txt").write_text("not an image, not picked up in folders")
    return root


@pytest.fixture(scope="session")
def pretrained():
    from bilstm_emotion import load_pretrained

    return load_pretrained()


@pytest.fixture(scope="session")
def damaged_tiff():
    """384 bytes: a gray TIFF of two 8x8 pages, the second page's ImageWidth tag renamed
    (Pillow raises TypeError, "Missing dimensions", while counting its pages)."""
    import io
    import struct

    from PIL import Image

    buffer = io.BytesIO()
    first, second = Image.new("L", (8, 8), 10), Image.new("L", (8, 8), 200)
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])
    data = bytearray(buffer.getvalue())
    (first_ifd,) = struct.unpack_from("<I", data, 4)
    (entries,) = struct.unpack_from("<H", data, first_ifd)
    (second_ifd,) = struct.unpack_from("<I", data, first_ifd + 2 + 12 * entries)
    (entries,) = struct.unpack_from("<H", data, second_ifd)
    for entry in range(second_ifd + 2, second_ifd + 2 + 12 * entries, 12):
        if struct.unpack_from("<H", data, entry) == (256,):  # ImageWidth
            struct.pack_into("<H", data, entry, 0x9999)  # a tag nobody knows
    assert len(data) == 384
    return bytes(data)


class _Sneaky:
    """A pickle that runs code when loaded: it creates the file it names."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def evil_pickle(tmp_path):
    """A joblib file, ``evil.joblib``, that creates ``code-ran`` beside it if loaded.

    Returns ``(file, marker)``: a test asserts ``not marker.exists()``.
    """
    import joblib

    marker = tmp_path / "code-ran"
    joblib.dump(_Sneaky(marker), tmp_path / "evil.joblib")
    return tmp_path / "evil.joblib", marker
