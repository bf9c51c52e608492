"""The exceptions and warnings every layer raises about its inputs."""

import sys
import warnings

__all__ = [
    "ImageReadError",
    "MultiFrameWarning",
    "PixelRangeWarning",
    "SkippedInputsWarning",
    "UnusedParameterWarning",
    "user_stacklevel",
    "warn_skipped",
]

# Whose frames a warning looks past: the package's and the libraries that call into it.
_LIBRARIES = ("bilstm_emotion", "sklearn", "keras", "joblib", "tensorflow")
# The frames a thread of its own starts with, the server's thread pool's, or ``python -m``'s:
# no line of the user's below them.
_THREADS = (
    "threading",
    "concurrent",
    "multiprocessing",
    "loky",
    "dask",
    "distributed",
    "asyncio",
    "anyio",
    "starlette",
    "runpy",
)


def user_stacklevel():
    """The ``stacklevel`` that points a warning at the user's line.

    Called by the function that warns, it counts from that function's caller outward to
    the first frame outside the package and the libraries that call into it (a
    pipeline's, a search's, Keras' callbacks), however deep the warning is issued. Where
    this thread has no such frame (a worker thread reading batches, a search's worker
    process), the warning points at the function's caller, as ``stacklevel=2`` would.
    """
    frame, level = sys._getframe(2), 2  # the warning function's caller: stacklevel=2
    while frame is not None and _top_package(frame) in _LIBRARIES:
        frame, level = frame.f_back, level + 1
    if frame is None or _top_package(frame) in _THREADS:
        return 2  # nothing of the user's in this thread
    return level


def _top_package(frame):
    """The top-level package of the module ``frame`` runs in (``""`` for none)."""
    return frame.f_globals.get("__name__", "").split(".")[0]


class ImageReadError(ValueError):
    """An input could not be read as an image; the message names it."""


class SkippedInputsWarning(UserWarning):
    """Inputs were skipped at the user's request; ``skipped`` lists ``(index, name, reason)``."""

    def __init__(self, message, skipped):
        super().__init__(message)
        self.skipped = list(skipped)


def warn_skipped(skipped, what="inputs"):
    """Warn with the full record of what was skipped (nothing goes silently)."""
    if not skipped:
        return
    lines = "\n".join(f"  [{i}] {name}: {reason}" for i, name, reason in skipped[:20])
    more = f"\n  ... and {len(skipped) - 20} more" if len(skipped) > 20 else ""
    warnings.warn(
        SkippedInputsWarning(
            f"Skipped {len(skipped)} {what} (see the warning's .skipped):\n{lines}{more}", skipped
        ),
        stacklevel=user_stacklevel(),
    )


class MultiFrameWarning(UserWarning):
    """An animated or multi-page image file: only its first frame is read."""


class PixelRangeWarning(UserWarning):
    """Float pixels that look like 8-bit values (up to 255) where [0, 1] is expected."""


class UnusedParameterWarning(UserWarning):
    """An estimator parameter set away from its default does nothing with the others
    (``stem_filters`` with ``stem=None``, ``patience`` without early stopping); the
    message names both."""
