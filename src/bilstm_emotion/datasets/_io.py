"""Reading image files from disk, folders and zip archives, under documented ceilings."""

import contextlib
import errno
import io
import os
import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ..core._errors import ImageReadError, MultiFrameWarning, user_stacklevel

__all__ = [
    "IMAGE_EXTENSIONS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "decode_image",
    "image_size",
    "open_tree",
    "probe_image",
]

#: File name endings read as images (case-insensitive).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm")


#: Photos whose longer side exceeds this many pixels are decoded at a reduced size, the
#: longer side scaled to it (JPEGs straight from the file at 1/2, 1/4 or 1/8 of their
#: size): a face detector and a 48x48 classifier need no more, and memory stays bounded.
MAX_IMAGE_SIDE = 2048

#: The most pixels decoded from one file: larger images are refused with an error
#: naming them (JPEGs count at the size they are decoded at). Below Pillow's own
#: decompression-bomb limits (89 million pixels warn, 179 million refuse).
MAX_IMAGE_PIXELS = 64_000_000

#: The largest file (or zip entry, by its declared size) read as one image.
MAX_IMAGE_BYTES = 256 * 2**20


def decode_image(data, name):
    """Decode encoded image bytes with Pillow into an array in the file's own dtype.

    Turned upright by the EXIF orientation; reduced to :data:`MAX_IMAGE_SIDE`
    on the longer side when larger (see :func:`image_size` for the size
    before). Raises :class:`ImageReadError` naming ``name`` for empty,
    truncated, non-image or too large data, whatever Pillow raised; warns with
    :class:`MultiFrameWarning` that only the first frame of an animation or
    a multi-page file is read.
    """
    from PIL import Image, ImageOps

    with _reading(data, name) as image:
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            warnings.warn(
                MultiFrameWarning(multi_frame_note(name, frames)), stacklevel=user_stacklevel()
            )
        _plan_reduced(image)
        _check_pixels(image, name)
        image.load()
        if max(image.size) > MAX_IMAGE_SIDE:
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.BILINEAR)
        image = ImageOps.exif_transpose(image)  # phone photos are stored rotated
        if image.mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "1"):
            image = image.convert("RGBA" if "A" in image.mode or image.mode == "P" else "RGB")
        if image.mode == "LA":
            image = image.convert("L")  # the alpha of a gray image carries no face
        array = np.asarray(image)
    if array.ndim == 2 and image.mode.startswith("I;16"):
        array = array.astype(np.uint16)
    return array


def probe_image(data, name):
    """``(pixels, frames)`` of encoded image bytes, read from the header (nothing decoded).

    ``pixels`` is what :func:`decode_image` decodes (a large JPEG counts at the
    reduced size it is decoded at), ``frames`` the frames or pages the file
    holds. Raises :class:`ImageReadError` as :func:`decode_image` does for data
    that is not an image.
    """
    with _reading(data, name) as image:
        frames = getattr(image, "n_frames", 1)
        _plan_reduced(image)
        width, height = image.size
    return width * height, frames


def multi_frame_note(name, frames):
    """What is said of a file of ``frames`` frames or pages: only the first is read."""
    return f"{name} holds {frames} frames (an animation or a multi-page file); reading the first"


@contextlib.contextmanager
def _reading(data, name):
    """The opened (not decoded) image of ``data``; any failure of Pillow's, at opening
    or inside the block, becomes an :class:`ImageReadError` naming ``name``."""
    from PIL import UnidentifiedImageError

    if not data:
        raise ImageReadError(f"Cannot read image {name}: the file is empty")
    try:
        with _open_image(io.BytesIO(data)) as image:
            yield image
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"Cannot read image {name}: not an image file") from None
    except MemoryError:
        raise ImageReadError(f"Cannot read image {name}: out of memory decoding it") from None
    except Exception as exc:
        # Pillow's decoders raise OSError, SyntaxError, ValueError, its own
        # DecompressionBombError, and on damaged files also TypeError ("Missing
        # dimensions": a TIFF page without ImageWidth), struct.error, IndexError,
        # ...: whatever a damaged file makes it raise, the file is unreadable
        raise ImageReadError(f"Cannot read image {name}: {exc}") from None


def _plan_reduced(image):
    """Ask the decoder of ``image`` (opened, not loaded) for a reduced size where it can
    (JPEG only: the smallest of 1/2, 1/4, 1/8 still at least MAX_IMAGE_SIDE long)."""
    width, height = image.size
    longest = max(width, height)
    if longest > MAX_IMAGE_SIDE:
        ratio = MAX_IMAGE_SIDE / longest
        image.draft(None, (max(1, round(width * ratio)), max(1, round(height * ratio))))


def _check_pixels(image, name):
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageReadError(
            f"Cannot read image {name}: {width}x{height} pixels "
            f"({width * height / 1e6:.0f} million) is above the {MAX_IMAGE_PIXELS / 1e6:.0f} "
            "million pixels decoded from one file (JPEGs larger than that are read at a "
            "reduced size; save it as JPEG or shrink it first)"
        )


def image_size(source):
    """``(height, width)`` of an image file (path or encoded bytes) as :func:`decode_image`
    turns it upright, before any reduction (read from the header: nothing is decoded)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    with _open_image(source) as image:
        width, height = image.size
        turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    return (width, height) if turned else (height, width)


def _open_image(source):
    """``PIL.Image.open`` without Pillow's decompression-bomb warning: our own ceiling
    (MAX_IMAGE_PIXELS) is checked at the size an image is decoded at."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(source)


def read_image_file(path):
    """Read and decode one image file; errors name the file and say what is wrong with it."""
    path = os.fspath(path)
    try:
        # O_NONBLOCK: opening a named pipe nobody writes to returns at once (it
        # would wait forever); the kind of file is then read from the open file
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(path)
            kind = _not_a_file(mode)
            if kind:
                raise ImageReadError(f"Cannot read image {path}: {kind}, not a file")
            check_size(os.fstat(f.fileno()).st_size, path)
            data = f.read(MAX_IMAGE_BYTES + 1)  # counted as read: the size may have changed
            check_size(len(data), path)
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            raise ImageReadError(
                f"Cannot read image {path}: a symbolic link to {target}, which does not exist"
            ) from None
        raise FileNotFoundError(f"Cannot read image {path}: no such file") from None
    except IsADirectoryError:
        raise ImageReadError(f"Cannot read image {path}: {_folder_problem(path)}") from None
    except PermissionError:
        raise ImageReadError(f"Cannot read image {path}: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageReadError(f"Cannot read image {path}: a symbolic link loop") from None
        raise ImageReadError(f"Cannot read image {path}: {exc.strerror or exc}") from None
    return decode_image(data, path)


def _not_a_file(mode):
    """What a file that is not a regular file is (``""`` for a regular file)."""
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), "")


def check_size(n_bytes, name, limit=None):
    """Refuse to read an image file of more than ``limit`` bytes (:data:`MAX_IMAGE_BYTES`)."""
    limit = MAX_IMAGE_BYTES if limit is None else limit
    if n_bytes > limit:
        raise ImageReadError(
            f"Cannot read image {name}: {n_bytes:,} bytes is more than the {limit:,} bytes "
            "read as one image"
        )


def is_loop(path):
    """Whether ``path`` is a link to a folder that holds it (walking it would never end)."""
    real, parent = os.path.realpath(path), os.path.realpath(os.path.dirname(path) or ".")
    return os.path.islink(path) and (parent == real or parent.startswith(real + os.sep))


def _folder_problem(path):
    if is_loop(path):
        return f"a symbolic link loop (back to {os.path.realpath(path)})"
    try:
        with os.scandir(path):
            pass
    except PermissionError:
        return "a folder that cannot be listed (permission denied)"
    except OSError as exc:
        return f"a folder that cannot be listed ({exc.strerror or exc})"
    return "it is a folder"


class _Tree:
    """The files of a folder or of a zip archive, by relative POSIX name."""

    def __init__(self, path):
        self.path = Path(path)
        self._zip = None
        if self.path.is_dir():
            root = self.path
            self.names = sorted(
                p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
            )
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            self.names = sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        elif not self.path.exists():
            raise FileNotFoundError(f"No such file or folder: {self.path}")
        else:
            raise ValueError(f"Expected a folder or a .zip archive. Received: {self.path}")

    def read(self, name, limit=None):
        """The bytes of file ``name``; one of over ``limit`` bytes (by the size a zip
        declares: zipfile reads no more than that) is refused unread."""
        if self._zip is not None:
            check_size(self._zip.getinfo(name).file_size, self.display(name), limit)
            return self._zip.read(name)
        check_size((self.path / name).stat().st_size, self.display(name), limit)
        return (self.path / name).read_bytes()

    def open(self, name):
        """File ``name`` open for reading in binary, streamed (not read whole)."""
        if self._zip is not None:
            return self._zip.open(name)
        return (self.path / name).open("rb")

    def display(self, name):
        return f"{self.path}/{name}" if self._zip is None else f"{self.path}!{name}"

    def close(self):
        if self._zip is not None:
            self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_tree(path):
    """Open a folder or a zip archive for reading its files by relative name."""
    return _Tree(path)


def is_image_name(name):
    """Whether a file name looks like an image (and is not macOS resource fork junk)."""
    base = name.rsplit("/", 1)[-1]
    return (
        base.lower().endswith(IMAGE_EXTENSIONS)
        and not base.startswith("._")
        and "__MACOSX/" not in name
    )
