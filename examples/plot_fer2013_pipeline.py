"""
From the FER2013 zip to a fitted pipeline
=========================================

Load FER2013 straight from the zip as Kaggle ships it, fit a
:class:`~sklearn.pipeline.Pipeline` that goes from images to emotions, and use
it on image files and on a photo whose face must first be found.

The model here trains for under a minute on 2,000 faces (the whole example
took 51 s on two idle AMD EPYC cores), so it is only a little
better than guessing (FER2013 is hard: even people agree on about 65 % of its
labels); the point is the road from files to predictions, not the accuracy.
Where the FER2013 zip is not available, generated cartoon faces stand in for
it.
"""

# %%
# Load the zip
# ------------
# :func:`~bilstm_emotion.datasets.load_fer2013` recognises the Kaggle folder
# layout inside the zip and reads it without extracting it. Labels follow
# FER2013's order; ``split`` says which faces are PublicTest (``"test"``).
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from sklearn.metrics import classification_report
from sklearn.pipeline import make_pipeline

from bilstm_emotion import EMOTIONS, BiLSTMFaceEmotionClassifier
from bilstm_emotion.datasets import load_fer2013, make_synthetic_faces
from bilstm_emotion.preprocessing import FaceDetector, FaceNormalizer, ImageLoader

# The zip as downloaded from Kaggle; ``$BILSTM_EMOTION_FER_ZIP`` says where
# (the docs build points it at the project's copy).
zip_path = Path(os.environ.get("BILSTM_EMOTION_FER_ZIP", "fer2013.zip"))
if zip_path.is_file():
    faces = load_fer2013(zip_path)
    X, y, split = faces.data, faces.target, faces.split
    print(
        f"{len(X)} faces from {zip_path.name}:",
        {name: int((split == name).sum()) for name in np.unique(split).tolist()},
    )
else:  # no FER2013 here: generated faces, labelled like FER2013
    X, names = make_synthetic_faces(2800, random_state=0, return_X_y=True)
    y = np.array([EMOTIONS.index(n) for n in names])
    split = np.where(np.arange(len(X)) < 2100, "train", "test")
    print(f"{zip_path} not found: using {len(X)} generated faces")

fig, axes = plt.subplots(1, 7, figsize=(10, 1.9))
for label, ax in enumerate(axes):
    ax.imshow(X[np.flatnonzero(y == label)[0]], cmap="gray")
    ax.set_title(EMOTIONS[label], fontsize=9)
    ax.axis("off")

# %%
# Fit a pipeline
# --------------
# :class:`~bilstm_emotion.preprocessing.ImageLoader` accepts arrays as well as
# paths, so one pipeline serves both. A short training on 300 faces per
# emotion (fewer for the rare *disgust*), balanced class weights and random
# mirroring:
rng = np.random.default_rng(0)
train = np.concatenate(
    [rng.permutation(np.flatnonzero((split == "train") & (y == k)))[:300] for k in range(7)]
)
test = rng.permutation(np.flatnonzero(split == "test"))[:700]

pipe = make_pipeline(
    ImageLoader(),
    FaceNormalizer(output_shape=(48, 48), equalize="hist"),
    BiLSTMFaceEmotionClassifier(
        row_hidden=32,
        col_hidden=32,
        epochs=6,
        batch_size=64,
        learning_rate=3e-3,
        class_weight="balanced",
        flip=True,
        random_state=0,
    ),
)
pipe.fit(list(X[train]), y[train])
y_pred = pipe.predict(list(X[test]))
print(
    classification_report(y[test], y_pred, labels=range(7), target_names=EMOTIONS, zero_division=0)
)

# %%
# The training curve of the classifier inside the pipeline:
history = pipe[-1].history_
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(history["loss"], label="loss")
ax.plot(history["accuracy"], label="accuracy")
ax.set_xlabel("epoch")
ax.legend()

# %%
# Predict from image files
# ------------------------
# The same fitted pipeline reads files. A few test faces saved as PNG:
from PIL import Image

folder = Path(tempfile.mkdtemp())
paths = []
for i in test[:6]:
    paths.append(folder / f"face_{i}.png")
    Image.fromarray(X[i]).save(paths[-1])
proba = pipe.predict_proba(paths)
for path, p, true in zip(paths, proba, y[test[:6]], strict=True):
    print(
        f"{path.name:>16}: {EMOTIONS[pipe.classes_[p.argmax()]]:<8} "
        f"(p={p.max():.2f}, true: {EMOTIONS[true]})"
    )

# %%
# Find the face in a photo
# ------------------------
# FER2013 faces are already cropped. In a photo,
# :class:`~bilstm_emotion.preprocessing.FaceDetector` finds the face with
# scikit-image's LBP cascade first; its ``detect`` method gives the boxes.
photo = ImageLoader().transform([data.astronaut()])
box = FaceDetector().detect(photo)[0][0]
face = FaceNormalizer(equalize="hist").transform(FaceDetector().transform(photo))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 3.5))
ax1.imshow(photo[0], cmap="gray")
ax1.add_patch(
    plt.Rectangle(
        (box["col"], box["row"]), box["width"], box["height"], fill=False, color="red", linewidth=2
    )
)
ax1.axis("off")
ax2.imshow(face[0], cmap="gray")
ax2.set_title(f"predicted: {EMOTIONS[pipe[-1].predict(face)[0]]}")
ax2.axis("off")
