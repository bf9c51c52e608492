"""What the stateless transformers of :mod:`bilstm_emotion.preprocessing` share."""

import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context

from ..core._docs import DocLinkMixin
from ..core._pixels import to_gray

__all__ = ["StatelessTransformer", "as_list", "gray_images"]


class StatelessTransformer(TransformerMixin, DocLinkMixin, BaseEstimator):
    """Shared by the transformers here: ``fit`` only validates the parameters."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters; nothing is learned from ``X``.

        Parameters
        ----------
        X : list of images
            Ignored.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer.
        """
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def as_list(X, what):
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(
            f"Expected a list of {what}. Received: a single {type(X).__name__} {X!r:.80}; "
            "wrap it in a list"
        )
    if isinstance(X, np.ndarray) and X.ndim in (2,) and X.dtype.kind not in "OUS":
        raise ValueError(
            f"Expected a list of {what} or an (n_images, height, width) array. Received: a "
            f"2-D array of shape {X.shape}; wrap one image as X[np.newaxis]"
        )
    return list(X)


def gray_images(X):
    """Every image of ``X`` as a float32 gray array in [0, 1]."""
    return [to_gray(img, f"image {i}") for i, img in enumerate(as_list(X, "images"))]
