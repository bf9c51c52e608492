"""The seven emotions, and why they appear in two orders."""

__all__ = ["EMOTIONS"]

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
"""The seven FER2013 emotions, in FER2013 label order (0 angry ... 6 neutral).

The one place that says why emotions appear in two orders: this tuple keeps
FER2013's label numbers, so the loaders map the CSV's ``emotion`` column and
the Kaggle folders to names with it, and so do plots that follow the data
set. A fitted classifier's ``classes_`` (and so the columns of
``predict_proba``, of the CSVs and of the JSON records) are sorted
alphabetically, as scikit-learn sorts every label set it is given.
"""
