"""Images named by fsspec URLs (``s3://``, ``gs://``, ``file://``, ...): list, stamp, read.

A string with a protocol (``scheme://``) is a URL; fsspec (a dependency of Dask, and
of the ``parquet`` extra) opens it, with whatever filesystem package the protocol
needs (``s3fs``, ``gcsfs``, ...). Everything else is a local path, read by
:mod:`._io` without fsspec.
"""

import os
import re

from ..core._errors import ImageReadError
from ._io import MAX_IMAGE_BYTES, check_size, decode_image, is_image_name

__all__ = ["expand_url", "file_stamp", "is_url", "open_url", "read_url", "url_filesystem"]

_PROTOCOL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+://")


def is_url(path):
    """Whether ``path`` is a string with a protocol (``s3://...``), read through fsspec."""
    return isinstance(path, str) and bool(_PROTOCOL.match(path))


def url_filesystem(url):
    """The fsspec filesystem of ``url`` and the path on it.

    Parameters
    ----------
    url : str
        ``protocol://...``.

    Returns
    -------
    filesystem : fsspec.AbstractFileSystem
    path : str

    Raises
    ------
    ImportError
        Naming what to install: fsspec, or the protocol's package (s3fs, gcsfs...).
    ValueError
        For a protocol fsspec does not know.
    """
    try:
        import fsspec
    except ImportError:
        raise ImportError(
            f"Expected fsspec to read {url}. Received: it is not installed; "
            'pip install "bilstm-emotion[parquet]" (and the filesystem of the protocol, '
            "e.g. s3fs or gcsfs)"
        ) from None
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:  # the protocol's own package is missing
        raise ImportError(f"Expected the filesystem package of {url}. Received: {exc}") from None
    except ValueError as exc:  # a protocol fsspec does not know
        raise ValueError(
            f"Expected an fsspec URL (s3://, gs://, file://, ...). Received: {url} ({exc})"
        ) from None


def expand_url(url):
    """The image files a URL names, as URLs.

    Parameters
    ----------
    url : str
        A file, a folder or a glob pattern.

    Returns
    -------
    urls : list of str
        The file itself, every image file below a folder (sorted), or a glob's
        sorted matches.

    Raises
    ------
    FileNotFoundError
        Naming ``url`` when it names nothing.
    """
    from glob import has_magic

    fs, path = url_filesystem(url)
    if has_magic(path):
        found = sorted(fs.glob(path))
        if not found:
            raise FileNotFoundError(f"No file matches the pattern {url!r}")
        return [fs.unstrip_protocol(p) for p in found]
    if fs.isdir(path):
        return [fs.unstrip_protocol(p) for p in sorted(fs.find(path)) if is_image_name(p)]
    if fs.exists(path):
        return [url]
    raise FileNotFoundError(f"No such file or folder: {url}")


def file_stamp(path):
    """What a rerun compares to know a file unchanged.

    Parameters
    ----------
    path : str
        A local path or a URL.

    Returns
    -------
    size : int or None
        Its size in bytes.
    modified : str or None
        The modification time in nanoseconds for a local file; the filesystem's own
        date or version tag for a URL (``mtime``, ``LastModified``, ``updated``,
        ``created``, ``ETag``). ``(None, None)`` for a file that cannot be read (a
        rerun predicts it again).
    """
    if is_url(path):
        fs, inner = url_filesystem(path)
        try:
            info = fs.info(inner)
        except OSError:
            return None, None
        keys = ("mtime", "LastModified", "last_modified", "updated", "created", "ETag", "etag")
        modified = next((info[k] for k in keys if info.get(k) is not None), None)
        return info.get("size"), None if modified is None else str(modified)
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None, None
    return st.st_size, str(st.st_mtime_ns)


def open_url(url):
    """``url`` open for reading in binary (fsspec's file object: read in blocks, as
    asked; a context manager)."""
    fs, path = url_filesystem(url)
    return fs.open(path, "rb")


def read_url(url):
    """The image at ``url``, decoded as :func:`~._io.read_image_file` decodes a file.

    Parameters
    ----------
    url : str
        The image's URL.

    Returns
    -------
    image : ndarray
        In the file's own dtype, turned upright by its EXIF orientation.

    Raises
    ------
    ImageReadError
        Naming ``url``: over the size ceilings, not an image, unreadable.
    FileNotFoundError
        Naming ``url``, where nothing is.
    """
    fs, path = url_filesystem(url)
    try:
        size = fs.size(path)
        if size is not None:
            check_size(size, url)
        with fs.open(path, "rb") as f:
            data = f.read(MAX_IMAGE_BYTES + 1)
    except FileNotFoundError:
        raise FileNotFoundError(f"Cannot read image {url}: no such file") from None
    except IsADirectoryError:
        raise ImageReadError(f"Cannot read image {url}: it is a folder") from None
    except PermissionError:
        raise ImageReadError(f"Cannot read image {url}: permission denied") from None
    except OSError as exc:
        raise ImageReadError(f"Cannot read image {url}: {exc.strerror or exc}") from None
    check_size(len(data), url)
    return decode_image(data, url)
