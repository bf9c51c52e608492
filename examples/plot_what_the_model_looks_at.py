"""
Evaluate the pretrained model and see what it looks at
======================================================

One call scores the shipped model on the FER2013 PublicTest faces
(:func:`~bilstm_emotion.evaluation.evaluate`), one call per picture draws the
result (:mod:`bilstm_emotion.plotting`), and :mod:`bilstm_emotion.inspection`
shows which parts of a face drive each emotion: occlusion maps averaged per
class, the importance of each pixel row and column, and gradient saliency.

Where the FER2013 zip is not available, generated cartoon faces stand in (the
pictures then say little about real faces).
"""

# %%
# Score the model on PublicTest
# -----------------------------
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bilstm_emotion import EMOTIONS, load_pretrained
from bilstm_emotion.datasets import load_fer2013, make_synthetic_faces
from bilstm_emotion.evaluation import evaluate
from bilstm_emotion.inspection import (
    column_importance,
    gradient_saliency,
    mean_maps_by_class,
    occlusion_sensitivity,
    row_importance,
)
from bilstm_emotion.plotting import plot_confident_mistakes, plot_confusion_matrix

zip_path = Path(os.environ.get("BILSTM_EMOTION_FER_ZIP", "fer2013.zip"))
if zip_path.is_file():
    X, y = load_fer2013(zip_path, subset="test", return_X_y=True)
    y = np.asarray(EMOTIONS)[y]
else:  # no FER2013 here
    X, y = make_synthetic_faces(700, random_state=0, return_X_y=True)

# its Keras network (a backend extra), not the ONNX graph load_pretrained gives by
# default: gradient saliency differentiates it, and its test-time views change below
clf = load_pretrained("conv-bilstm", engine="keras")
report = evaluate(clf, X, y, batch_sizes=(256,))
print(report.classification_report())
print(report.to_markdown())

# %%
# The confusion matrix and the most confident mistakes are one call each
# (they return matplotlib figures; ``fig.savefig("cm.png")`` saves them).
plot_confusion_matrix(report)

# %%
plot_confident_mistakes(clf, X, y, n=16)

# %%
# Occlusion: what covering each region costs
# -------------------------------------------
# A gray 8x8 patch slides over 12 faces of each emotion (stride 4); each map
# shows how much the probability of the true emotion drops when a region is
# covered. Averaged per emotion and drawn over the mean face.
clf.set_params(test_time_flip=False)  # half the cost; the maps barely change
rng = np.random.default_rng(0)
chosen = np.concatenate(
    [rng.choice(np.flatnonzero(y == label), 12, replace=False) for label in clf.classes_]
)
maps = occlusion_sensitivity(clf, X[chosen], y[chosen], patch_size=8, stride=4)
per_class = mean_maps_by_class(maps, y[chosen])
limit = max(np.abs(m).max() for m in per_class.values())
fig, axes = plt.subplots(1, 7, figsize=(12, 2.3))
for ax, (label, heat) in zip(axes, per_class.items(), strict=True):
    ax.imshow(X[chosen][y[chosen] == label].mean(axis=0), cmap="gray")
    ax.imshow(heat, cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.6)
    ax.set_title(label)
    ax.axis("off")
fig.suptitle("Probability drop when a region is covered (red: the region matters)")

# %%
# Rows and columns
# ----------------
# The row/column model reads rows, then the sequence of rows. Covering one
# whole pixel row (or column) at a time, on 200 faces, shows which the model
# relies on.
subset = rng.choice(len(X), 200, replace=False)
rows = row_importance(clf, X[subset], y[subset])
cols = column_importance(clf, X[subset], y[subset])
fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(11, 3.2))
ax0.imshow(X[subset].mean(axis=0), cmap="gray")
ax0.set_title("mean face")
ax0.axis("off")
ax1.barh(np.arange(48), rows.probability_drop, color="tab:red")
ax1.invert_yaxis()
ax1.set(title="covering one row", xlabel="probability drop", ylabel="row (top = 0)")
ax2.bar(np.arange(48), cols.probability_drop, color="tab:blue")
ax2.set(title="covering one column", ylabel="probability drop", xlabel="column")
fig.tight_layout()
print("most important rows:", np.argsort(-rows.probability_drop)[:5].tolist())
print("most important columns:", np.argsort(-cols.probability_drop)[:5].tolist())

# %%
# Gradient saliency
# -----------------
# The absolute gradient of the true emotion's probability with respect to
# each pixel, averaged per emotion (computed with the Keras backend's own
# automatic differentiation).
saliency = mean_maps_by_class(gradient_saliency(clf, X[chosen], y[chosen]), y[chosen])
fig, axes = plt.subplots(1, 7, figsize=(12, 2.3))
for ax, (label, heat) in zip(axes, saliency.items(), strict=True):
    ax.imshow(heat, cmap="magma")
    ax.set_title(label)
    ax.axis("off")
plt.show()
