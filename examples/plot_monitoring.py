"""
Monitoring emotions in a video and in a folder of posts
=======================================================

The study's last aim: watch emotions in real material, a video chat or the
photos of social media posts. This example makes its own material offline
(a short video of the astronaut's face from scikit-image's sample photo, and a
small folder of "posts"), then runs what ``bilstm-emotion video`` and
``bilstm-emotion summary`` run, from Python.
"""

# %%
# A video: track the faces, classify every frame
# ----------------------------------------------
# :func:`~bilstm_emotion.video.make_demo_video` writes a 4-second clip of a
# face sliding across the frame. :func:`~bilstm_emotion.video.analyze_video`
# yields one :class:`~bilstm_emotion.video.VideoFrame` per frame, with a
# record per face: a tracker id, the box and the emotion probabilities.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image
from skimage import data

from bilstm_emotion import load_pretrained
from bilstm_emotion.monitoring import draw_faces, expand_paths, predict_images, summarize
from bilstm_emotion.plotting import plot_emotion_shares, plot_emotion_timeline
from bilstm_emotion.video import analyze_video, make_demo_video

workdir = Path(tempfile.mkdtemp())
video = make_demo_video(workdir / "call.mp4", seconds=4, fps=10, size=(320, 240))
clf = load_pretrained()

frames = list(analyze_video(video, clf, color=True))
records = [r for f in frames for r in f.records]
print(
    f"{len(frames)} frames, {len(records)} face records, "
    f"face ids: {sorted({r['face'] for r in records})}"
)

# %%
# The timeline: the mean probability of each emotion over time.
fig = plot_emotion_timeline(records, [str(c) for c in clf.classes_])

# %%
# Three annotated frames (``--annotate`` writes all of them to a video).
fig, axes = plt.subplots(1, 3, figsize=(9, 2.6), layout="constrained")
for ax, frame in zip(axes, frames[::15], strict=False):
    ax.imshow(draw_faces(frame.rgb, frame.records))
    ax.set_title(f"t = {frame.time:.1f} s")
    ax.axis("off")

# %%
# A folder of posts: the share of each emotion per sub-folder
# -----------------------------------------------------------
# Two "accounts", each with photos; one photo has no face. Every face
# becomes a record; the image without a face gets a record saying so.
posts = workdir / "posts"
astronaut = data.astronaut()
for account, crops in {
    "alice": [astronaut, astronaut[:300, 60:420]],
    "bob": [astronaut[:260, 100:340], np.full((200, 200, 3), 120, np.uint8)],
}.items():
    (posts / account).mkdir(parents=True)
    for i, image in enumerate(crops):
        Image.fromarray(image).save(posts / account / f"post{i}.jpg")

records = predict_images(expand_paths([posts]), clf)
for r in records:
    print(f"{Path(r['source']).relative_to(posts)!s:18} {r['label'] or '-':8} {r['status']}")

# %%
# Grouped per account (``bilstm-emotion summary posts/``):
classes = [str(c) for c in clf.classes_]
table = summarize(records, classes, by=lambda r: Path(r["source"]).parent.name)
for row in table:
    print(
        row["group"], row["images"], "images,", row["faces"], "faces, dominant:", row["dominant"]
    )
fig = plot_emotion_shares(table, classes)
