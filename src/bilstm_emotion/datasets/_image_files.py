"""A lazily read stack of gray images: the files of a folder or zip, decoded when asked for."""

import os
from numbers import Integral
from pathlib import Path

import numpy as np

from ..core._checks import check_height_width
from ..core._pixels import to_gray
from ._io import check_size, decode_image, open_tree

__all__ = ["ImageFiles", "read_gray"]


def read_gray(tree, name, size=None):
    """Decode file ``name`` of ``tree`` to a uint8 gray image, resized to ``size`` if given.

    Raises :class:`~bilstm_emotion.preprocessing.ImageReadError` naming the file.
    """
    from skimage.transform import resize

    shown = tree.display(name)
    # a file many times larger than an image of the expected size is not one: unread
    limit = None if size is None else 2**20 + 16 * size[0] * size[1]
    gray = to_gray(decode_image(tree.read(name, limit), shown), shown)
    if size is not None and gray.shape != size:
        gray = resize(gray, size, anti_aliasing=True, preserve_range=True)
    return np.round(gray * 255).astype(np.uint8)


class _Files:
    """Loose image files by path: what :func:`read_gray` needs of an ``open_tree`` tree."""

    @staticmethod
    def read(name, limit=None):
        check_size(Path(name).stat().st_size, name, limit)
        return Path(name).read_bytes()

    @staticmethod
    def display(name):
        return name


class ImageFiles:
    """Gray images that stay on disk until they are indexed: a lazy ``(n, height, width)`` stack.

    Pass it as ``X`` to :meth:`BiLSTMFaceEmotionClassifier.fit`,
    :meth:`~BiLSTMFaceEmotionClassifier.predict_proba` and friends to train
    and predict from files batch by batch, with memory bounded by a few
    batches whatever the number of images. Indexing with an integer returns
    one decoded image; indexing with a slice, a boolean mask or an array of
    integers returns another :class:`ImageFiles` (nothing is read), so
    cross-validation (``GridSearchCV``) splits stay lazy. :meth:`read` decodes
    a batch; ``numpy.asarray(files)`` decodes them all.

    Usually made by :func:`load_fer2013` or :func:`load_image_folder` with
    ``lazy=True``. It pickles as its file names only (workers of a Dask
    cluster or a joblib pool re-open the files, so they must see the same
    paths).

    Parameters
    ----------
    names : sequence of str
        The image files: names relative to ``source``, or paths when
        ``source`` is None.
    source : str or path-like, default=None
        A folder or ``.zip`` archive that ``names`` are relative to.
    image_size : tuple of (int, int), default=(48, 48)
        ``(height, width)`` every image is resized to as it is decoded
        (images already of that size are not touched).

    Attributes
    ----------
    shape : tuple of int
        ``(n_images, height, width)``.
    dtype : numpy.dtype
        ``uint8``, the dtype of what :meth:`read` returns.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from PIL import Image
    >>> from bilstm_emotion.datasets import ImageFiles
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     Image.fromarray(np.full((64, 64), 80 * i, np.uint8)).save(f"{folder}/{i}.png")
    >>> files = ImageFiles(["0.png", "1.png", "2.png"], source=folder)
    >>> files.shape
    (3, 48, 48)
    >>> files[1:].read(np.arange(2))[:, 0, 0]
    array([ 80, 160], dtype=uint8)
    """

    dtype = np.dtype(np.uint8)
    ndim = 3

    def __init__(self, names, *, source=None, image_size=(48, 48)):
        if isinstance(names, (str, bytes, os.PathLike)):
            raise TypeError(
                f"Expected `names` as a sequence of file names. Received: a single name {names!r}"
            )
        self.names = np.asarray([os.fspath(n) for n in names], dtype=str)
        self.source = None if source is None else Path(source)
        self.image_size = check_height_width(image_size, "image_size")
        self._tree = None

    @property
    def shape(self):
        return (len(self.names), *self.image_size)

    def __len__(self):
        return len(self.names)

    def __repr__(self):
        where = "" if self.source is None else f" from {self.source}"
        height, width = self.image_size
        return f"<ImageFiles: {len(self)} images of {height}x{width}{where}>"

    def __getitem__(self, key):
        if isinstance(key, tuple):  # scikit-learn indexes with (key, ...)
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                raise IndexError(
                    f"Expected an index along the images of ImageFiles. Received: key={key!r}"
                )
        if isinstance(key, Integral):
            return self.read([key])[0]
        if isinstance(key, slice):
            names = self.names[key]
        else:
            key = np.asarray(key)
            if key.dtype.kind not in "biu":
                raise IndexError(
                    "Expected an integer, a slice, a boolean mask or integer indices. "
                    f"Received: an index of dtype {key.dtype}"
                )
            names = self.names[key]
        subset = ImageFiles(names, source=self.source, image_size=self.image_size)
        subset._tree = self._tree
        return subset

    def read(self, indices=None):
        """Decode the images at ``indices`` (all when None) into a uint8 array.

        Parameters
        ----------
        indices : array-like of int, default=None
            Positions of the images to read.

        Returns
        -------
        images : ndarray of shape (len(indices), height, width), dtype uint8
            Raises :class:`~bilstm_emotion.preprocessing.ImageReadError` naming the
            first file that cannot be read.
        """
        positions = np.arange(len(self)) if indices is None else np.asarray(indices)
        if positions.ndim != 1:
            raise IndexError(f"Expected 1-D indices. Received: shape={positions.shape}")
        tree = self._open()
        out = np.empty((positions.shape[0], *self.image_size), dtype=np.uint8)
        for row, position in enumerate(positions):
            out[row] = read_gray(tree, self.names[position], self.image_size)
        return out

    def __array__(self, dtype=None, copy=None):
        images = self.read()
        return images if dtype is None else images.astype(dtype)

    def _open(self):
        if self._tree is None:
            self._tree = _Files() if self.source is None else open_tree(self.source)
        return self._tree

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_tree"] = None  # an open zip does not travel; the worker re-opens it
        return state
