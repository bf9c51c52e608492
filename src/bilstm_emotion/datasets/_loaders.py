"""The public loaders: FER2013 (CSV, folders, zips), labelled image folders, a cache."""

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..core._errors import user_stacklevel, warn_skipped
from ..core._labels import EMOTIONS
from ._fer2013 import SPLITS, decode_all, list_fer2013, read_fer2013
from ._image_files import ImageFiles
from ._io import is_image_name, open_tree

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
        faces, skipped = list_fer2013(path), []
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
        faces, skipped = read_fer2013(path, on_error, progress)
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
    warn_skipped([(i, name, why) for i, (name, why) in enumerate(skipped)], "images")


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
                stacklevel=user_stacklevel(),
            )
        if lazy:
            kept, skipped = np.arange(len(names)), []
            pixels = ImageFiles(names, source=path, image_size=image_size)
        else:
            pixels, kept, skipped = decode_all(tree, names, on_error, progress, image_size)
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
