"""Face data sets: FER2013 in its real formats, any folder of labelled images, generated faces."""

import csv
import hashlib
import io
import os
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._classifier import EMOTIONS
from ._image_files import ImageFiles, read_gray
from ._io import ImageReadError, is_image_name, open_tree, warn_skipped
from ._synthetic import make_synthetic_faces

__all__ = [
    "ImageFiles",
    "get_data_home",
    "load_fer2013",
    "load_image_folder",
    "make_synthetic_faces",
]

#: Folder names (lower case) of the Kaggle releases and common variants -> FER2013 label.
EMOTION_FOLDERS = {
    **{name: i for i, name in enumerate(EMOTIONS)},
    "anger": 0, "disgusted": 1, "fearful": 2, "happiness": 3, "sadness": 4, "surprised": 5,
}  # fmt: skip

#: Split folder names and CSV ``Usage`` values -> the split names this package uses.
SPLITS = {
    "train": "train", "training": "train",
    "test": "test", "publictest": "test",
    "privatetest": "private_test", "private_test": "private_test",
    "validation": "validation", "val": "validation", "valid": "validation",
}  # fmt: skip

_CACHE_VERSION = "1"


def get_data_home(data_home=None):
    """Folder for cached data sets.

    ``data_home`` if given, else ``$BILSTM_EMOTION_DATA``, else ``~/bilstm_emotion_data``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use; created when missing.

    Returns
    -------
    data_home : pathlib.Path
        The folder.
    """
    home = data_home or os.environ.get("BILSTM_EMOTION_DATA") or "~/bilstm_emotion_data"
    home = Path(home).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _progress(total, desc, progress):
    from tqdm.auto import tqdm

    # None: a bar on interactive terminals only, and only for loads worth watching.
    disable = (not progress) if progress is not None else (total < 2000 or None)
    return tqdm(total=total, desc=desc, unit="img", disable=disable, leave=False)


def load_fer2013(
    path,
    *,
    subset=None,
    return_X_y=False,
    cache=True,
    data_home=None,
    on_error="raise",
    progress=None,
    lazy=False,
):
    """Load FER2013 from the CSV, a Kaggle folder layout, or a zip of either.

    The format is recognised from ``path``:

    * the FER2013 CSV (``emotion,pixels,Usage``; ``icml_face_data.csv`` too),
      or a zip holding it;
    * a folder or zip laid out ``<split>/<emotion>/<image>`` as the Kaggle
      image releases are: ``train/`` + ``test/`` (PublicTest), or ``train/`` +
      ``validation/`` (the Oheix re-split), at any depth (e.g. ``images/``).

    Labels follow FER2013's order whatever the source: 0 angry, 1 disgust,
    2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral (:data:`~bilstm_emotion.EMOTIONS`).

    Parameters
    ----------
    path : str or path-like
        The CSV file, folder or ``.zip`` archive.
    subset : str or list of str, default=None
        Splits to return: ``"train"``, ``"test"`` (PublicTest),
        ``"private_test"`` or ``"validation"``; CSV ``Usage`` names such as
        ``"Training"`` or ``"PublicTest"`` are accepted too. ``None`` returns
        every face.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a :class:`~sklearn.utils.Bunch`.
    cache : bool, default=True
        Keep the decoded faces as a compressed array in
        :func:`get_data_home`, keyed on the source's path, size and
        modification time, so the next load takes a fraction of a second.
    data_home : str or path-like, default=None
        Folder of the cache (see :func:`get_data_home`).
    on_error : {"raise", "skip"}, default="raise"
        What an unreadable image does: raise an error naming it, or be
        skipped with a :class:`SkippedInputsWarning` that lists it (and
        ``skipped`` in the result).
    progress : bool or None, default=None
        Show a progress bar; ``None`` shows one on a terminal for long loads.
    lazy : bool, default=False
        Only list the image files: ``data`` is an :class:`ImageFiles` that the
        estimator reads batch by batch (training from disk with bounded
        memory). Needs the image layouts, not the CSV; no cache is used and an
        unreadable image raises when it is read (``on_error`` does not apply).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 48, 48) uint8 faces (an :class:`ImageFiles` if
        ``lazy``); ``target`` (n,) int labels;
        ``target_names`` the seven emotions; ``split`` (n,) the split of each
        face; ``filenames`` (n,) where each face came from (file inside the
        folder or zip, or ``"<csv name>:<row>"``); ``skipped`` a list of
        ``(filename, reason)``.
    (data, target) : tuple
        When ``return_X_y=True``.

    Examples
    --------
    >>> from bilstm_emotion.datasets import load_fer2013
    >>> faces = load_fer2013("fer2013-dev.zip", subset="test")  # doctest: +SKIP
    >>> faces.data.shape, faces.target_names[faces.target[0]]   # doctest: +SKIP
    ((3589, 48, 48), 'angry')
    """
    _check_on_error(on_error)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such file or folder: {path}")
    wanted = _normalise_subset(subset)
    cache_file = _cache_file(path, data_home) if cache and not lazy else None
    if lazy:
        faces, skipped = _list_fer2013(path), []
    elif cache_file is not None and cache_file.exists():
        with np.load(cache_file, allow_pickle=False) as stored:
            faces = {key: stored[key] for key in stored.files}
        skipped = list(
            zip(
                faces.pop("skipped_names").tolist(),
                faces.pop("skipped_reasons").tolist(),
                strict=True,
            )
        )
    else:
        faces, skipped = _read_fer2013(path, on_error, progress)
        if cache_file is not None and (not skipped or on_error == "skip"):
            _store(cache_file, faces, skipped)
    if skipped:
        _warn_skipped_files(skipped)
    if wanted is not None:
        available = sorted(set(faces["split"].tolist()))
        missing = sorted(set(wanted) - set(available))
        if missing:
            raise ValueError(
                f"Expected subset among the splits of {path.name}: {available}. Received: "
                f"{missing}"
            )
        keep = np.isin(faces["split"], wanted)
        faces = {key: value[keep] for key, value in faces.items()}
    if lazy:
        faces["data"] = ImageFiles(faces["filenames"], source=path, image_size=(48, 48))
    if return_X_y:
        return faces["data"], faces["target"]
    return Bunch(
        **faces,
        target_names=np.array(EMOTIONS),
        skipped=skipped,
        DESCR="FER2013 facial expressions, 48x48 gray faces, 7 emotions.",
    )


def _check_on_error(on_error):
    if on_error not in ("raise", "skip"):
        raise ValueError(f"Expected on_error='raise' or 'skip'. Received: on_error={on_error!r}")


def _warn_skipped_files(skipped):
    """Warn with every skipped ``(filename, reason)``, numbered in skipping order."""
    warn_skipped([(i, name, why) for i, (name, why) in enumerate(skipped)], "images", stacklevel=4)


def _normalise_subset(subset):
    if subset is None:
        return None
    names = [subset] if isinstance(subset, str) else list(subset)
    out = []
    for name in names:
        key = str(name).strip().lower()
        if key not in SPLITS:
            raise ValueError(
                f"Expected subset among {sorted(set(SPLITS.values()))} (or CSV Usage names "
                f"Training, PublicTest, PrivateTest). Received: subset={name!r}"
            )
        out.append(SPLITS[key])
    return out


def _cache_file(path, data_home):
    if path.is_dir():  # a folder's own mtime misses edits deep inside: sum its files'
        files = [p.stat() for p in path.rglob("*") if p.is_file()]
        size, mtime = sum(s.st_size for s in files), max((s.st_mtime_ns for s in files), default=0)
    else:
        stat = path.stat()
        size, mtime = stat.st_size, stat.st_mtime_ns
    key = f"{_CACHE_VERSION}|{path.resolve()}|{size}|{mtime}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return get_data_home(data_home) / f"fer2013-{digest}.npz"


def _store(cache_file, faces, skipped):
    names = np.array([name for name, _ in skipped], dtype=str)
    reasons = np.array([why for _, why in skipped], dtype=str)
    tmp = cache_file.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **faces, skipped_names=names, skipped_reasons=reasons)
    os.replace(tmp, cache_file)  # atomic: a parallel reader never sees half a file


def _read_fer2013(path, on_error, progress):
    if path.is_file() and path.suffix.lower() == ".csv":
        with open(path, newline="") as f:
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
        text = io.TextIOWrapper(io.BytesIO(tree.read(chosen[0])), newline="")
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
    pixels, kept, skipped = _decode_all(tree, images, on_error, progress, size=(48, 48))
    return {
        "data": pixels,
        "target": labels[kept],
        "split": splits[kept],
        "filenames": np.array(images)[kept],
    }, skipped


def _list_fer2013(path):
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


def _decode_all(tree, names, on_error, progress, size=None):
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


def load_image_folder(
    path, *, image_size=None, return_X_y=False, on_error="raise", progress=None, lazy=False
):
    """Load gray faces from any ``root/<label>/<image>`` tree, as a folder or a zip.

    Every image file below ``root/<label>/`` (at any depth) gets the label
    ``<label>``. Colour images are converted to gray.

    Parameters
    ----------
    path : str or path-like
        The root folder or a ``.zip`` archive of it.
    image_size : tuple of (int, int) or None, default=None
        Resize every image to ``(height, width)`` as it loads. ``None``
        requires all images to share one size.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a :class:`~sklearn.utils.Bunch`.
    on_error : {"raise", "skip"}, default="raise"
        Raise on an unreadable image, naming it, or skip it with a
        :class:`SkippedInputsWarning` that lists it.
    progress : bool or None, default=None
        Show a progress bar; ``None`` shows one on a terminal for long loads.
    lazy : bool, default=False
        Only list the files: ``data`` is an :class:`ImageFiles` the estimator
        reads batch by batch. ``image_size`` is then required (the sizes are
        not known before decoding) and an unreadable image raises when it is
        read.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n, height, width) uint8 (an :class:`ImageFiles` if
        ``lazy``), ``target`` (n,) str labels, ``target_names`` the sorted
        labels, ``filenames`` (n,) relative to the root, ``skipped`` a list
        of ``(filename, reason)``.
    (data, target) : tuple
        When ``return_X_y=True``.
    """
    _check_on_error(on_error)
    if image_size is not None:
        image_size = tuple(int(d) for d in image_size)
    elif lazy:
        raise ValueError(
            "Expected `image_size` (height, width) with lazy=True: image sizes are only "
            "known once decoded. Received: image_size=None"
        )
    with open_tree(path) as tree:
        names = [n for n in tree.names if is_image_name(n)]
        loose = [n for n in names if "/" not in n]
        if loose:
            raise ValueError(
                f"Expected images inside label folders, root/<label>/<image>. Received: "
                f"{tree.display(loose[0])} directly under the root"
            )
        others = [
            n
            for n in tree.names
            if not is_image_name(n)
            and not n.rsplit("/", 1)[-1].startswith(".")
            and "__MACOSX/" not in n
        ]
        if others:
            warnings.warn(
                f"Ignoring {len(others)} files that are not images in {path}, e.g. {others[:3]}",
                UserWarning,
                stacklevel=2,
            )
        if lazy:
            kept, skipped = np.arange(len(names)), []
            pixels = ImageFiles(names, source=path, image_size=image_size)
        else:
            pixels, kept, skipped = _decode_all(tree, names, on_error, progress, image_size)
    if skipped:
        _warn_skipped_files(skipped)
    target = np.array([n.split("/", 1)[0] for n in names])[kept]
    if return_X_y:
        return pixels, target
    return Bunch(
        data=pixels,
        target=target,
        target_names=np.unique(target),
        filenames=np.array(names)[kept],
        skipped=skipped,
    )
