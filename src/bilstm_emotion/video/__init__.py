"""Emotions over time in video files, live cameras and the screen (a video call).

Frames are decoded by ffmpeg (through ``imageio-ffmpeg``, the engine of
imageio's ffmpeg plugin; ``pip install "bilstm-emotion[video]"``), if asked at
a lower frame rate. Faces are searched in the whole frame once every
``detect_every`` seconds; in between, each tracked face is searched again only
in a window around where it was
(:meth:`~bilstm_emotion.preprocessing.FaceDetector.detect_near`, one small
network call per face), which is what makes 640x480 video run faster than real
time on two CPU cores. A tracker keeps one id per face across frames, by place
and, where a face moved (a call's tiles rearranged), by its :func:`appearance`.

>>> from bilstm_emotion.video import FaceTracker
>>> tracker = FaceTracker()
>>> tracker.update([{"row": 10, "col": 10, "height": 50, "width": 50}], time=0.0)
[(1, {'row': 10, 'col': 10, 'height': 50, 'width': 50})]
>>> tracker.update([{"row": 14, "col": 12, "height": 50, "width": 50}], time=0.1)[0][0]
1
"""

from ._demo_call import call_layout, demo_participants, make_demo_call
from ._tracking import (
    CALL_TILES,
    FaceTracker,
    FrameAnalyzer,
    VideoFrame,
    analyze_video,
    appearance,
    call_detector,
)
from ._video_io import Screen, make_demo_video, read_frames, video_info

__all__ = [
    "CALL_TILES",
    "FaceTracker",
    "FrameAnalyzer",
    "Screen",
    "VideoFrame",
    "analyze_video",
    "appearance",
    "call_detector",
    "call_layout",
    "demo_participants",
    "make_demo_call",
    "make_demo_video",
    "read_frames",
    "video_info",
]
