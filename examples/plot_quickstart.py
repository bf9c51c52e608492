"""
Quick start: fit, predict and tune
==================================

Train :class:`~bilstm_emotion.BiLSTMFaceEmotionClassifier` on generated
cartoon faces, look at what it predicts, and tune two hyperparameters with
:class:`~sklearn.model_selection.GridSearchCV`. Everything runs offline in
about a minute on two CPU cores (59 s on an idle AMD EPYC; longer while the
machine does other work); real faces (FER2013) work the same way.
"""

# %%
# Generated faces
# ---------------
# :func:`~bilstm_emotion.datasets.make_synthetic_faces` draws faces whose
# mouth, eyes and brows show one of the seven emotions, with random position,
# size, brightness and noise.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split

from bilstm_emotion import BiLSTMFaceEmotionClassifier
from bilstm_emotion.datasets import make_synthetic_faces

classes = ("happy", "sad", "surprise", "angry")
X, y = make_synthetic_faces(480, image_size=32, classes=classes, random_state=0, return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

fig, axes = plt.subplots(1, 8, figsize=(10, 1.8))
for ax, image, label in zip(axes, X_train[:8], y_train[:8], strict=True):
    ax.imshow(image, cmap="gray", vmin=0, vmax=255)
    ax.set_title(label, fontsize=9)
    ax.axis("off")

# %%
# Fit and evaluate
# ----------------
# The classifier takes ``(n, height, width)`` uint8 images and string labels.
clf = BiLSTMFaceEmotionClassifier(
    row_hidden=16, col_hidden=16, epochs=20, batch_size=32, learning_rate=3e-3, random_state=0
)
clf.fit(X_train, y_train)
print(f"held-out accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# ``predict_proba`` has one column per entry of ``classes_``.
proba = clf.predict_proba(X_test[:3])
print(clf.classes_)
print(np.round(proba, 3))

# %%
# The confusion matrix shows which emotions the model mixes up.
ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, cmap="Blues")

# %%
# The training curve is in ``history_``.
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(clf.history_["loss"], label="loss")
ax.plot(clf.history_["accuracy"], label="accuracy")
ax.set_xlabel("epoch")
ax.legend()

# %%
# Tune with GridSearchCV
# ----------------------
# Every hyperparameter is a flat constructor parameter, so a grid search
# varies them one by one; ``n_jobs=2`` fits in two processes.
search = GridSearchCV(
    BiLSTMFaceEmotionClassifier(epochs=8, batch_size=32, learning_rate=3e-3, random_state=0),
    {"row_hidden": [4, 16], "col_hidden": [4, 16]},
    cv=2,
    n_jobs=2,
)
search.fit(X_train, y_train)
for mean, std, params in zip(
    search.cv_results_["mean_test_score"],
    search.cv_results_["std_test_score"],
    search.cv_results_["params"],
    strict=True,
):
    print(f"{mean:.3f} ({std:.3f}) with: {params}")
print("best:", search.best_params_)
