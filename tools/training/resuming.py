"""What a training run resumed across sessions (``tools/train_fer2013.py --resume DIR``) keeps
beside its checkpoint, so that the later processes neither redo nor forget the earlier ones.

- :func:`recorded_teacher`: the teacher's probabilities on the training faces, computed by
  the first process and saved (``DIR-teacher.npz``); a resumed process reads them and does not
  even load the teachers (asking a vote of several shipped models with their views takes
  minutes).
- :class:`EpochLog`: every finished epoch's logs and wall time (``DIR-epochs.json``), so the
  record of a run spread over several processes has its whole history and training time.
"""

import json
import os
import time

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class RecordedTeacher(ClassifierMixin, BaseEstimator):
    """A fitted teacher's probabilities on one set of faces, and nothing else.

    ``predict_proba(X)`` returns them for exactly those faces (as the classifier passes them
    to its teacher) and refuses any other ``X``.
    """

    def __init__(self, faces=None, proba=None, classes=None):
        self.faces = faces
        self.proba = proba
        self.classes = classes

    def fit(self, X=None, y=None):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        X = np.asarray(X)
        faces = np.asarray(self.faces)
        if X.shape[0] != faces.shape[0] or not np.array_equal(
            X.reshape(len(X), -1), faces.reshape(len(faces), -1)
        ):
            raise ValueError(
                "Expected the training faces the teacher's probabilities were recorded on. "
                f"Received: X of shape {X.shape} that differs from them (shape {faces.shape})"
            )
        return self.proba


def recorded_teacher(ask, X, path, key):
    """A teacher's probabilities on ``X``, read from ``path`` or computed and saved there.

    ``ask()`` builds the fitted teacher, called only when ``path`` does not hold them yet;
    ``key`` (a string naming the teacher) is saved with them and must match when read.
    Returns ``(frozen RecordedTeacher, seconds the asking took)``, in whichever process
    asked (saved with the probabilities).
    """
    from sklearn.frozen import FrozenEstimator

    if os.path.exists(path):
        with np.load(path) as saved:
            proba, classes, saved_key = saved["proba"], saved["classes"], str(saved["key"])
            seconds = float(saved["seconds"]) if "seconds" in saved else None  # older files
        if proba.shape[0] != len(X) or saved_key != key:
            raise ValueError(
                f"Expected the probabilities of {key} on {len(X)} faces in {path}. "
                f"Received: those of {saved_key} on {proba.shape[0]} faces (another run's: "
                "remove the file or give another --resume DIR)"
            )
        print(f"teacher's probabilities read from {path}")
    else:
        start = time.perf_counter()
        teacher = ask()
        proba, classes = np.asarray(teacher.predict_proba(X)), np.asarray(teacher.classes_)
        seconds = time.perf_counter() - start
        np.savez(path, proba=proba, classes=classes, key=np.str_(key), seconds=seconds)
        print(f"teacher asked in {seconds / 60:.1f} min; its probabilities saved to {path}")
    recorded = RecordedTeacher(faces=X, proba=proba, classes=classes).fit()
    return FrozenEstimator(recorded), seconds


class EpochLog(keras.callbacks.Callback):
    """Append every finished epoch (its 0-based index, logs and seconds) to a JSON file.

    ``fresh=True`` (a run that starts from epoch 0) removes an earlier run's log first.
    """

    def __init__(self, path, fresh=False):
        super().__init__()
        self.path = path
        if fresh and os.path.exists(path):
            os.remove(path)

    def epochs(self):
        """Every epoch logged so far, by this process and the ones before it."""
        if not os.path.exists(self.path):
            return []
        with open(self.path) as f:
            return json.load(f)

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        done = [e for e in self.epochs() if e["epoch"] != epoch]
        entry = {"epoch": epoch, "seconds": time.perf_counter() - self.start}
        entry.update({k: float(v) for k, v in (logs or {}).items()})
        with open(self.path, "w") as f:
            json.dump([*done, entry], f)
