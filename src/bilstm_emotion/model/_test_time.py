"""Test-time views: each face as given, moved by a few pixels and mirrored, to average over.

Written once for the three places that ask for them: a NumPy batch in ``predict_proba``
(:mod:`._predicting`), a symbolic face in the exported ONNX graph (:mod:`._onnx`) and a
training batch seen by an online teacher (:mod:`._online`). The functions take their
array functions from NumPy for a NumPy array and from ``keras.ops`` for anything else
(the two share these functions' signatures): a NumPy batch stays on the host, with no
round trip through the backend's tensors before the network's own.
"""

import numpy as np

from ._keras import ops

__all__ = ["SHIFTS", "mean_over_views", "n_views", "test_time_views"]

#: Offsets (rows, columns) of the shifted views, in units of ``test_time_shift``.
SHIFTS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def n_views(*, flip, shift):
    """How many views of each face :func:`test_time_views` makes."""
    return (1 + (len(SHIFTS) if shift else 0)) * (2 if flip else 1)


def _functions(x):
    """NumPy for a NumPy array, ``keras.ops`` for a tensor of the backend or a symbolic one."""
    return np if isinstance(x, np.ndarray) else ops


def _repeat_edges(x, shift, axis):
    """``x`` with its first and last slice along ``axis`` (1: rows, 2: columns) repeated
    ``shift`` times before and after it."""
    xp = _functions(x)
    first, last = (x[:, :1], x[:, -1:]) if axis == 1 else (x[:, :, :1], x[:, :, -1:])
    before, after = xp.repeat(first, shift, axis=axis), xp.repeat(last, shift, axis=axis)
    return xp.concatenate([before, x, after], axis=axis)


def test_time_views(x, *, flip, shift):
    """The views of a batch ``x`` of shape ``(n, height, width[, channels])``, in order.

    The faces as given; with ``shift`` > 0 also moved by that many pixels up,
    down, left and right (:data:`SHIFTS`), the uncovered border filled by
    repeating the edge (as the training shifts fill it); with ``flip`` the
    mirror image of each of those. ``x`` may be a NumPy array (the views are NumPy
    arrays), a tensor of the backend or a symbolic Keras tensor; the first view is
    ``x`` itself.
    """
    views = [x]
    if shift:
        height, width = x.shape[1], x.shape[2]
        padded = _repeat_edges(_repeat_edges(x, shift, axis=1), shift, axis=2)
        for rows, cols in SHIFTS:
            top, left = shift + rows * shift, shift + cols * shift
            views.append(padded[:, top : top + height, left : left + width])
    if flip:
        views += [_functions(x).flip(view, axis=2) for view in views]
    return views


def mean_over_views(proba, views):
    """The mean of the probabilities ``proba`` of ``views`` views stacked as
    :func:`test_time_views` orders them (``views * n`` rows) for each of the ``n`` faces."""
    xp = _functions(proba)
    return xp.mean(xp.reshape(proba, (views, -1, proba.shape[-1])), axis=0)
