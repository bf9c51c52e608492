import numpy as np
import pytest

from bilstm_emotion.video import FaceTracker, analyze_video, read_frames, video_info

from .conftest import write_face_video


def test_video_info_and_frames(face_video):
    info = video_info(face_video)
    assert info["size"] == (320, 240) and info["fps"] == pytest.approx(10)
    assert info["n_frames"] == 20
    frames = list(read_frames(face_video))
    assert len(frames) == 20
    index, time, gray, rgb = frames[5]
    assert (index, time, rgb) == (5, 0.5, None)
    assert gray.shape == (240, 320) and gray.dtype == np.float32 and 0 <= gray.min() <= 1


def test_read_frames_resamples_and_gives_colour(face_video):
    frames = list(read_frames(face_video, fps=5, color=True))
    assert len(frames) == 10
    _, time, gray, rgb = frames[1]
    assert time == pytest.approx(0.2) and rgb.shape == (240, 320, 3) and rgb.dtype == np.uint8
    # the gray frame is the colour one's luminance
    assert abs(float(gray[0, 0]) - rgb[0, 0] @ [0.2125, 0.7154, 0.0721] / 255) < 1e-4


def test_read_errors_name_the_file(tmp_path, face_video):
    with pytest.raises(FileNotFoundError, match=r"missing\.mp4"):
        list(read_frames(tmp_path / "missing.mp4"))
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(ValueError, match=r"Cannot read video .*notes\.mp4"):
        list(read_frames(text))
    with pytest.raises(IsADirectoryError, match="folder"):
        video_info(tmp_path)


def test_tracker_keeps_ids_and_retires_lost_faces():
    tracker = FaceTracker(max_missing=0.5)
    a = {"row": 0, "col": 0, "height": 40, "width": 40}
    b = {"row": 0, "col": 100, "height": 40, "width": 40}
    assert [i for i, _ in tracker.update([a, b], 0.0)] == [1, 2]
    moved = {**a, "col": 5}
    assert [i for i, _ in tracker.update([b, moved], 0.1)] == [2, 1]
    assert [i for i, _ in tracker.update([], 0.4)] == []
    assert [i for i, _ in tracker.update([moved], 0.5)] == [1]  # 0.4 s unseen: kept
    assert [i for i, _ in tracker.update([b], 1.2)] == [3]  # 2 retired after 1.1 s
    far = {"row": 200, "col": 200, "height": 40, "width": 40}
    assert [i for i, _ in tracker.update([far], 1.3)] == [4]
    # a bigger box around a tracked face is a duplicate detection, not a new face
    around = {"row": 180, "col": 180, "height": 90, "width": 90}
    assert tracker.update([around, {**far, "col": 202}], 1.4) == [(4, {**far, "col": 202})]


def test_analyze_video_tracks_one_face_through_the_clip(face_video, pretrained):
    frames = list(analyze_video(face_video, pretrained, detect_every=1.0))
    assert [f.index for f in frames] == list(range(20))
    seen = [f for f in frames if f.records]
    assert len(seen) >= 18  # found (or tracked) in nearly every frame
    ids = {r["face"] for f in seen for r in f.records if r["label"] == "happy"}
    assert ids == {1}
    cols = [f.records[0]["col"] for f in seen if f.records[0]["face"] == 1]
    assert cols[-1] - cols[0] > 100  # the box followed her across the frame
    record = seen[0].records[0]
    assert record["time"] == seen[0].time and record["frame"] == seen[0].index
    assert record["status"] == "ok" and record["score"] > 0.5


def test_analyze_video_without_faces_yields_empty_frames(tmp_path, pretrained):
    path = write_face_video(tmp_path / "empty.mp4", seconds=1.0, face=False)
    frames = list(analyze_video(path, pretrained))
    assert len(frames) == 10 and all(f.records == [] for f in frames)
