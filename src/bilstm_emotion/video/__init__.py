"""Emotions over time in video files and live camera streams.

Frames are decoded by ffmpeg (through ``imageio-ffmpeg``, the engine of
imageio's ffmpeg plugin; ``pip install "bilstm-emotion[video]"``), straight to
gray pixels and, if asked, at a lower frame rate. Faces are searched in the
whole frame once every ``detect_every`` seconds; in between, each tracked face
is searched again only in a window around where it was
(:meth:`~bilstm_emotion.preprocessing.FaceDetector.detect_near`, one small
network call per face), which is what makes 640x480 video run faster than real
time on two CPU cores. A tracker keeps one id per face across frames.

>>> from bilstm_emotion.video import FaceTracker
>>> tracker = FaceTracker()
>>> tracker.update([{"row": 10, "col": 10, "height": 50, "width": 50}], time=0.0)
[(1, {'row': 10, 'col': 10, 'height': 50, 'width': 50})]
>>> tracker.update([{"row": 14, "col": 12, "height": 50, "width": 50}], time=0.1)[0][0]
1
"""

from ._tracking import FaceTracker, FrameAnalyzer, VideoFrame, analyze_video
from ._video_io import make_demo_video, read_frames, video_info

__all__ = [
    "FaceTracker",
    "FrameAnalyzer",
    "VideoFrame",
    "analyze_video",
    "make_demo_video",
    "read_frames",
    "video_info",
]
