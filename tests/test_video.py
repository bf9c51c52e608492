import numpy as np
import pytest

from bilstm_emotion.monitoring import FacePredictor
from bilstm_emotion.video import (
    FaceTracker,
    FrameAnalyzer,
    analyze_video,
    appearance,
    call_detector,
    call_layout,
    demo_participants,
    make_demo_call,
    read_frames,
    video_info,
)

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


def _unit(*values):
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_tracker_remembers_a_face_by_its_looks_where_it_turns_up():
    tracker = FaceTracker(max_missing=0.5, remember=10.0)
    a = {"row": 0, "col": 0, "height": 40, "width": 40}
    b = {"row": 0, "col": 100, "height": 40, "width": 40}
    look_a, look_b, look_c = _unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)
    assert [i for i, _ in tracker.update([a, b], 0.0, [look_a, look_b])] == [1, 2]
    # the two swap places (tiles moved): each keeps its id, by its looks
    assert [i for i, _ in tracker.update([a, b], 0.1, [look_b, look_a])] == [2, 1]
    # someone else in a's place is not a
    assert [i for i, _ in tracker.update([a], 0.2, [look_c])] == [3]
    # 1 and 2 unseen past max_missing, then back somewhere else: their ids again
    far = {"row": 300, "col": 300, "height": 60, "width": 60}
    assert [i for i, _ in tracker.update([far], 5.0, [_unit(0.1, 1, 0)])] == [2]
    # forgotten after `remember` seconds
    assert [i for i, _ in tracker.update([b], 20.0, [look_a])] == [4]
    # without `remember`, places alone: the swap swaps the ids
    plain = FaceTracker(max_missing=0.5, remember=0)
    plain.update([a, b], 0.0, [look_a, look_b])
    assert [i for i, _ in plain.update([a, b], 0.1, [look_b, look_a])] == [1, 2]


def _box(col, row=0, side=40):
    return {"row": row, "col": col, "height": side, "width": side}


def test_a_face_back_from_gone_gets_its_own_id_before_any_other():
    b, x = _unit(1, 0, 0), _unit(0.85, 0.527, 0)  # two alike faces (0.85)
    tracker = FaceTracker(max_missing=0.5)
    assert [i for i, _ in tracker.update([_box(0), _box(100)], 0.0, [b, x])] == [1, 2]
    tracker.update([_box(100)], 1.0, [x])  # b gone (retired), x still seen
    tracker.update([], 1.2, [])  # x unseen, still tracked
    # b comes back elsewhere: its own id, not the tracked look-alike's
    assert [i for i, _ in tracker.update([_box(300)], 1.3, [b])] == [1]
    # and in the place of one who just left, looking like them (0.72): its own id still
    y = _unit(0.72, 0.694, 0)
    tracker = FaceTracker(max_missing=0.5)
    tracker.update([_box(0), _box(100)], 0.0, [b, y])
    tracker.update([_box(100)], 1.0, [y])
    tracker.update([], 1.2, [])
    assert [i for i, _ in tracker.update([_box(100)], 1.3, [b])] == [1]


def test_a_second_look_alike_box_takes_no_one_elses_id():
    x, y = _unit(1, 0, 0), _unit(0.7, 0.46, 0.548)
    tracker = FaceTracker(max_missing=0.5)
    tracker.update([_box(0), _box(100)], 0.0, [x, y])
    tracker.update([_box(0)], 1.0, [x])  # y gone
    twin = _unit(0.93, 0.3676, 0)  # like x (0.93) more than y (0.82): a second x
    out = tracker.update([_box(0), _box(300)], 1.1, [x, twin])
    assert [i for i, _ in out] == [1, 3]
    # a box around a face already matched is not that face's old id
    inner, outer = _box(500, side=40), _box(490, row=-10, side=60)
    tracker = FaceTracker(max_missing=0.5)
    f, g = _unit(1, 0, 0), _unit(0.7, 0.714, 0)
    tracker.update([_box(0)], 0.0, [f])  # id 1
    tracker.update([inner], 2.0, [g])  # id 1 gone; the face is back unlike itself: id 2
    around = _unit(0.95, 0.312, 0)  # like f (0.95), like g (0.89)
    assert tracker.update([inner, outer], 2.1, [g, around]) == [(2, inner)]


def test_appearance_tells_participants_apart_and_knows_one_rescaled():
    people = demo_participants(3)
    big, small = make_demo_call(people[:2]), make_demo_call(people, size=(640, 360))

    def box(frame, k, n):
        top, left, th, tw = call_layout(n, frame.shape[1], frame.shape[0])[k]
        h = 0.9 * th  # the head, as call_frame places it, and the face in its middle
        w = h * people[0].shape[1] / people[0].shape[0]
        y, x = top + (th - h) / 2, left + (tw - w) / 2
        return {"row": y + 0.2 * h, "col": x + 0.2 * w, "height": 0.5 * h, "width": 0.6 * w}

    assert make_demo_call(people, size=(400, 720)).shape == (720, 400, 3)  # narrow tiles
    with pytest.raises(ValueError, match=r"Expected 1 to 9 participants\. Received: n=10"):
        demo_participants(10)
    first = appearance(big, box(big, 0, 2))
    assert first.shape == (320,) and float(first @ first) == pytest.approx(1.0, abs=1e-5)
    same = float(first @ appearance(small, box(small, 0, 3)))
    other = float(first @ appearance(small, box(small, 1, 3)))
    assert same > 0.8 > other
    # gray frames, floats in 0-1 or 0-255 alike; a box off the frame has no look
    gray = big.mean(axis=2)
    assert appearance(gray[..., None], box(big, 0, 2)).shape == (320,)
    assert float(appearance(gray, box(big, 0, 2)) @ appearance(gray / 255, box(big, 0, 2))) > 0.99
    assert appearance(big, {"row": 900, "col": 10, "height": 50, "width": 50}) is None


@pytest.mark.slow
def test_a_call_keeps_each_participants_id_when_tiles_move(pretrained):
    """Nine participants in a 3x3 grid, the most alike side by side; one leaves (everyone
    after moves back a tile, between two whole-frame searches) and comes back last."""
    people = demo_participants(9)
    order = [1, 0, 4, 8, 2, 3, 5, 6, 7]
    stayed = [k for k in order if k != 0]
    line_ups = [(0.0, order), (1.25, stayed), (3.25, [*stayed, 0])]
    analyzer = FrameAnalyzer(
        FacePredictor(pretrained, detector=call_detector()),
        tracker=FaceTracker(max_missing=1.5),
        detect_every=1.0,
    )
    ids, found = {}, []
    for step in range(20):
        time = step / 4
        who = [w for start, w in line_ups if start <= time][-1]
        layout = call_layout(len(who), 1280, 720)
        records = analyzer.records(make_demo_call([people[k] for k in who]), time, step, "call")
        found.append(len(records))
        for r in records:
            cx, cy = r["col"] + r["width"] / 2, r["row"] + r["height"] / 2
            (k,) = [
                k
                for k, (top, left, h, w) in zip(who, layout, strict=True)
                if left <= cx < left + w and top <= cy < top + h
            ]
            assert ids.setdefault(k, r["face"]) == r["face"], (time, k, r["face"], ids)
            assert r["label"] in analyzer.predictor.classes
    assert found[0] == 9 and found[8] == 8 and found[-1] == 9  # 0 back at the next search
    assert sorted(ids) == list(range(9)) and len(set(ids.values())) == 9
    # by place alone, the shift hands the ids on
    plain = FrameAnalyzer(
        FacePredictor(pretrained, detector=call_detector()),
        tracker=FaceTracker(max_missing=1.5, remember=0),
    )
    before = {
        r["face"] for r in plain.records(make_demo_call([people[k] for k in order]), 0, 0, "")
    }
    after = plain.records(make_demo_call([people[k] for k in stayed]), 0.5, 1, "")
    assert {r["face"] for r in after} <= before  # the same ids, on other people


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
