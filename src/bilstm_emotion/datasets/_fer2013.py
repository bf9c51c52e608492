"""Reading FER2013's formats: the CSV, the Kaggle folder layouts, zips of either."""

import csv
import io

import numpy as np

from ..core._errors import ImageReadError
from ..core._labels import EMOTIONS
from ._image_files import read_gray
from ._io import is_image_name, open_tree

#: Folder names (lower case) of the Kaggle releases and common variants -> FER2013 label.
EMOTION_FOLDERS = {
    **{name: i for i, name in enumerate(EMOTIONS)},
    "anger": 0,
    "disgusted": 1,
    "fearful": 2,
    "happiness": 3,
    "sadness": 4,
    "surprised": 5,
}

#: Split folder names and CSV ``Usage`` values -> the split names this package uses.
SPLITS = {
    "train": "train",
    "training": "train",
    "test": "test",
    "publictest": "test",
    "privatetest": "private_test",
    "private_test": "private_test",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
}


def _progress(total, desc, progress):
    from tqdm.auto import tqdm

    # None: a bar on interactive terminals only, and only for loads worth watching.
    disable = (not progress) if progress is not None else (total < 2000 or None)
    return tqdm(total=total, desc=desc, unit="img", disable=disable, leave=False)


def read_fer2013(path, on_error, progress):
    if path.is_file() and path.suffix.lower() == ".csv":
        # utf-8-sig: a CSV saved with a byte-order mark (Excel) reads like one without
        with open(path, newline="", encoding="utf-8-sig") as f:
            return _parse_csv(f, path.name, progress), []
    with open_tree(path) as tree:
        images = [n for n in tree.names if is_image_name(n)]
        if images:
            return _read_fer_tree(tree, images, on_error, progress)
        csvs = [n for n in tree.names if n.lower().endswith(".csv")]
        preferred = [
            n
            for n in csvs
            if n.rsplit("/", 1)[-1].lower() in ("fer2013.csv", "icml_face_data.csv")
        ]
        chosen = preferred or csvs
        if len(chosen) != 1:
            raise ValueError(
                f"Expected FER2013 images in <split>/<emotion>/ folders or one FER2013 CSV "
                f"in {path}. Received: {len(images)} images and CSV files {csvs}"
            )
        # streamed: a CSV entry is never read whole into memory
        with io.TextIOWrapper(tree.open(chosen[0]), encoding="utf-8-sig", newline="") as text:
            return _parse_csv(text, chosen[0], progress), []


def _parse_csv(f, name, progress):
    reader = csv.reader(f)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ValueError(
            f"Expected a FER2013 CSV with a header row. Received: empty {name}"
        ) from None
    if "pixels" not in header:
        raise ValueError(
            f"Expected a FER2013 CSV with columns emotion,pixels,Usage. Received: columns "
            f"{header} in {name}"
        )
    col_pixels = header.index("pixels")
    col_emotion = header.index("emotion") if "emotion" in header else None
    col_usage = header.index("usage") if "usage" in header else None
    data, target, split = [], [], []
    with _progress(35887, f"Reading {name}", progress) as bar:
        for row_number, row in enumerate(reader, start=1):
            if not row:
                continue
            where = f"{name} row {row_number}"
            try:
                pixels = np.array(row[col_pixels].split(), dtype=np.int64)
            except (IndexError, ValueError) as exc:
                raise ValueError(
                    f"Expected 2304 pixel values in [0, 255] (48x48) in {where}. Received: {exc}"
                ) from None
            if pixels.size != 48 * 48 or pixels.min() < 0 or pixels.max() > 255:
                raise ValueError(
                    f"Expected 2304 pixel values in [0, 255] (48x48) in {where}. Received: "
                    f"{pixels.size} values"
                    + (f" in [{pixels.min()}, {pixels.max()}]" if pixels.size else "")
                )
            data.append(pixels.astype(np.uint8).reshape(48, 48))
            label = -1
            if col_emotion is not None:
                text = row[col_emotion].strip()
                if not (text.isdigit() and 0 <= int(text) <= 6):
                    raise ValueError(
                        f"Expected an emotion label 0-6 in {where}. Received: {text!r}"
                    )
                label = int(text)
            target.append(label)
            usage = row[col_usage].strip().lower() if col_usage is not None else "train"
            if usage not in SPLITS:
                raise ValueError(
                    f"Expected Usage Training, PublicTest or PrivateTest in "
                    f"{where}. Received: {row[col_usage]!r}"
                )
            split.append(SPLITS[usage])
            bar.update()
    if not data:
        raise ValueError(f"Expected FER2013 rows in {name}. Received: a header only")
    return {
        "data": np.stack(data),
        "target": np.array(target, dtype=np.int64),
        "split": np.array(split),
        "filenames": np.array([f"{name}:{i}" for i in range(len(data))]),
    }


def _fer_tree_labels(tree, images):
    """FER2013 label and split of every ``<split>/<emotion>/<file>`` name."""
    labels, splits = [], []
    for name in images:
        parts = name.split("/")
        emotion = parts[-2].lower() if len(parts) >= 3 else None
        split = parts[-3].lower() if len(parts) >= 3 else None
        if emotion not in EMOTION_FOLDERS or split not in SPLITS:
            raise ValueError(
                "Expected FER2013 images laid out <split>/<emotion>/<file> with split in "
                f"train/test/validation and emotion in {list(EMOTIONS)}. Received: "
                f"{tree.display(name)}"
            )
        labels.append(EMOTION_FOLDERS[emotion])
        splits.append(SPLITS[split])
    return np.array(labels, dtype=np.int64), np.array(splits)


def _read_fer_tree(tree, images, on_error, progress):
    labels, splits = _fer_tree_labels(tree, images)
    pixels, kept, skipped = decode_all(tree, images, on_error, progress, size=(48, 48))
    return {
        "data": pixels,
        "target": labels[kept],
        "split": splits[kept],
        "filenames": np.array(images)[kept],
    }, skipped


def list_fer2013(path):
    """The FER2013 image files of a folder or zip, labelled, without decoding them."""
    if path.is_file() and path.suffix.lower() == ".csv":
        raise ValueError(
            f"Expected FER2013 as image files (folder or zip) for lazy=True. Received: the "
            f"CSV {path.name}, whose faces are text; load it with lazy=False (83 MB as uint8)"
        )
    with open_tree(path) as tree:
        images = [n for n in tree.names if is_image_name(n)]
        if not images:
            raise ValueError(
                f"Expected FER2013 images in <split>/<emotion>/ folders in {path} for "
                "lazy=True. Received: no image files"
            )
        labels, splits = _fer_tree_labels(tree, images)
    return {"target": labels, "split": splits, "filenames": np.array(images)}


def decode_all(tree, names, on_error, progress, size=None):
    """Decode images to uint8 gray; return pixels, indices kept and (name, reason) skipped."""
    pixels, kept, skipped, shapes = [], [], [], {}
    with _progress(len(names), f"Reading {tree.path.name}", progress) as bar:
        for i, name in enumerate(names):
            try:
                gray = read_gray(tree, name, size)
            except ImageReadError as exc:
                if on_error == "raise":
                    raise
                skipped.append((name, str(exc)))
            else:
                shapes.setdefault(gray.shape, name)
                pixels.append(gray)
                kept.append(i)
            bar.update()
    if len(shapes) > 1:
        examples = ", ".join(f"{s[1]}x{s[0]} ({n})" for s, n in list(shapes.items())[:3])
        raise ValueError(
            f"Expected images of one size in {tree.path}. Received: sizes {examples}; pass "
            "image_size=(48, 48) to resize them as they load"
        )
    if not pixels:
        raise ValueError(f"Expected readable images in {tree.path}. Received: none")
    return np.stack(pixels), np.array(kept, dtype=np.int64), skipped
