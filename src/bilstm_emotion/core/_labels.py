"""The seven emotions, and why they appear in two orders."""

import numpy as np

__all__ = ["EMOTIONS", "codes_as_names"]

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
"""The seven FER2013 emotions, in FER2013 label order (0 angry ... 6 neutral).

The one place that says why emotions appear in two orders: this tuple keeps
FER2013's label numbers, so the loaders map the CSV's ``emotion`` column and
the Kaggle folders to names with it, and so do plots that follow the data
set. A fitted classifier's ``classes_`` (and so the columns of
``predict_proba``, of the CSVs and of the JSON records) are sorted
alphabetically, as scikit-learn sorts every label set it is given.
"""


def codes_as_names(y, classes):
    """Labels ``y`` as the classifier's ``classes`` name them.

    Integer labels for a classifier of emotion names are FER2013's codes (what
    :func:`~bilstm_emotion.datasets.load_fer2013` returns, ``target_names``
    order): they become the names. Any other labels are returned as they are.
    """
    if y.dtype.kind not in "iu" or classes.dtype.kind not in "UO":
        return y
    if not set(classes.tolist()) <= set(EMOTIONS):
        return y
    if y.size and (y.min() < 0 or y.max() >= len(EMOTIONS)):
        raise ValueError(
            f"Expected integer labels to be FER2013's codes 0-{len(EMOTIONS) - 1} "
            f"({', '.join(f'{i} {e}' for i, e in enumerate(EMOTIONS))}), as the classifier's "
            f"classes are emotion names. Received: labels from {y.min()} to {y.max()}"
        )
    return np.asarray(EMOTIONS)[y]
