"""``video``: emotions over time in a video file or a live camera."""

import argparse
import sys
import time
from pathlib import Path

from ._common import (
    Outputs,
    PartialFailure,
    UsageError,
    add_detector_options,
    add_model_options,
    add_output_options,
    load_model,
    make_face_detector,
    print_table,
    progress,
    save_figure,
    sink,
    write_json,
)

VIDEO_EPILOG = """examples:
  bilstm-emotion video call.mp4                      # writes call-emotions/timeline.csv, ...
  bilstm-emotion video call.mp4 --fps 5 --out results/ --annotate
  bilstm-emotion video --camera 0 --max-seconds 60  # live; Ctrl-C also stops and summarises
  bilstm-emotion video --screen --fps 2             # a video call on this screen, every face

outputs (in --out): timeline.csv (one row per face per frame, written as it goes),
summary.json (share of each emotion overall, per face and per --window seconds),
timeline.png (needs matplotlib), annotated.mp4 (with --annotate)
"""

_FILES = ("timeline.csv", "summary.json", "timeline.png", "annotated.mp4")


def _video(args):
    sources = (("a file", args.path), ("--camera", args.camera), ("--screen", args.screen))
    given = [name for name, value in sources if value is not None]
    if len(given) != 1:
        raise UsageError(
            "Expected a video file, --camera N or --screen (one of them). Received: "
            + (" and ".join(given) if given else "none")
        )
    for option, value in (
        ("--fps", args.fps),
        ("--window", args.window),
        ("--max-seconds", args.max_seconds),
    ):
        if value is not None and not value > 0:
            raise UsageError(f"Expected {option} > 0. Received: {option} {value}")
    if args.detect_every < 0:
        raise UsageError(f"Expected --detect-every >= 0. Received: {args.detect_every}")
    if args.path is not None:
        source, folder = args.path, f"{Path(args.path).with_suffix('')}-emotions"
    elif args.camera is not None:
        source, folder = args.camera, f"camera{args.camera}-emotions"
    else:
        from ..video._video_io import SCREEN_FPS, Screen

        source, folder = Screen(args.screen or None), "screen-emotions"
        args.fps = args.fps or SCREEN_FPS  # the rate the summary and --annotate's video say
    out = Path(args.out or folder)
    files = [out / name for name in _FILES if name != "annotated.mp4" or args.annotate]
    inputs = [] if args.path is None else [args.path]
    with Outputs(files, overwrite=args.overwrite, inputs=inputs) as outputs:
        return _run_video(args, source, out, outputs)


def _run_video(args, source, out, outputs):
    from ..video._tracking import (
        FaceTracker,
        analyze_video,
        call_detector,
        timeline_fields,
        timeline_records,
    )
    from ..video._video_io import video_info

    info = video_info(args.path) if args.path is not None else None
    model = load_model(args)
    classes = [str(c) for c in model.classes_]
    fields = timeline_fields(classes)
    detector = make_face_detector(args)
    if args.screen is not None:  # a call's grid of small faces
        detector = call_detector(detector)
    frames = analyze_video(
        source,
        model,
        fps=args.fps,
        detect_every=args.detect_every,
        detector=detector,
        tracker=FaceTracker(max_missing=args.detect_every + 0.5),
        color=args.annotate,
    )
    expected = None
    if info is not None:
        expected = round(info["duration"] * args.fps) if args.fps else info["n_frames"]
    writer, rows, n_frames, fault = None, [], 0, None
    start = time.perf_counter()
    with sink(outputs, out / "timeline.csv", fields) as timeline:
        bar = progress(total=expected or None, desc="frames", quiet=args.quiet, unit="frame")
        try:
            for frame in frames:
                records = timeline_records(frame, classes)
                timeline.write(records)
                rows.extend(r for r in records if r["label"])
                n_frames += 1
                bar.update()
                if args.annotate:
                    writer = writer or _writer(
                        outputs, out / "annotated.mp4", frame, args.fps, info
                    )
                    _write_frame(writer, frame)
                if args.max_seconds is not None and frame.time >= args.max_seconds:
                    break
        except KeyboardInterrupt:
            print("stopped by the user; summarising what was seen", file=sys.stderr)
        except ValueError as exc:  # the video broke off: keep what was done
            fault = str(exc)
        finally:
            bar.close()
            if writer is not None:
                writer.close()
    seconds = time.perf_counter() - start
    if n_frames == 0 and fault:  # it never started: there is nothing to keep
        outputs.abandon()
        raise ValueError(fault)
    summary = _summarise(rows, classes, n_frames, args.window)
    summary.update(
        source=str(source),
        processed_seconds=round(seconds, 2),
        frames_per_second=round(n_frames / seconds, 1) if seconds else None,
        info=info,
        fps=args.fps,
        detect_every=args.detect_every,
    )
    write_json(outputs, out / "summary.json", summary)
    plot_note = _plot(outputs, out / "timeline.png", rows, classes)
    if not args.quiet:
        print(
            f"{n_frames} frame(s) in {seconds:.1f} s ({summary['frames_per_second']} "
            f"frames/s); {summary['faces']} face(s) tracked; outputs in {out}"
        )
        print_table(
            [{"face": "all", **summary["overall"]}]
            + [{"face": k, **v["shares"]} for k, v in summary["per_face"].items()],
            ["face", *classes],
        )
    if plot_note:
        print(plot_note, file=sys.stderr)
    if fault:
        raise PartialFailure(f"{fault}; the first {n_frames} frame(s) are in {out}")
    if expected and n_frames < 0.95 * expected and args.max_seconds is None:
        raise PartialFailure(
            f"{source} ended after {n_frames} of {expected} frames: the file looks truncated; "
            f"what was decoded is in {out}"
        )
    if info is not None and not rows:
        print(f"no face found in {source}", file=sys.stderr)
    return 0


def _summarise(rows, classes, n_frames, window):
    from ..monitoring import summarize

    def shares(by):
        return {
            row["group"]: ({c: row[c] for c in classes}, row["faces"])
            for row in summarize(rows, classes, by=by)
        }

    seen = {}
    for r in rows:
        seen.setdefault(r["face"], []).append(r["time"])
    per_window = shares(lambda r: int(r["time"] // window))
    return {
        "frames": n_frames,
        "face_frames": len(rows),
        "faces": len(seen),
        "overall": shares(None)["all"][0] if rows else dict.fromkeys(classes, 0.0),
        "per_face": {
            str(face): {
                "first": seen[face][0],
                "last": seen[face][-1],
                "frames": n,
                "shares": share,
            }
            for face, (share, n) in shares(lambda r: r["face"]).items()
        },
        "per_window": [
            {"start": k * window, "end": (k + 1) * window, **share}
            for k, (share, _) in sorted(per_window.items())
        ],
    }


def _plot(outputs, path, rows, classes):
    from ..plotting import plot_emotion_timeline, pyplot

    try:
        plt = pyplot()
    except ImportError as exc:  # the base install: the timeline without its figure
        return f"timeline plot skipped: {exc}"
    fig = plot_emotion_timeline(rows, classes)
    save_figure(outputs, path, fig)
    plt.close(fig)
    return None


def _writer(outputs, path, frame, fps, info):
    from ..video._video_io import video_writer

    height, width = frame.rgb.shape[:2]
    rate = fps or (info["fps"] if info else 10)
    return video_writer(outputs.target(path), (width, height), rate, output_params=["-f", "mp4"])


def _write_frame(writer, frame):
    import numpy as np

    from ..monitoring import draw_faces

    writer.send(np.ascontiguousarray(draw_faces(frame.rgb, frame.records)).tobytes())


def add_parser(sub):
    v = sub.add_parser(
        "video",
        help="emotions over time in a video file or a live camera",
        description="Track the faces of a video (file or camera) and classify their emotion "
        "in every sampled frame. Writes a per-frame timeline CSV as it goes, then a summary "
        "(share of each emotion overall, per face and over time), a timeline plot and "
        "optionally an annotated copy of the video.",
        epilog=VIDEO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("path", nargs="?", default=None, help="video file (mp4, avi, mkv, webm, ...)")
    v.add_argument("--camera", type=int, default=None, metavar="N", help="live camera N instead")
    v.add_argument(
        "--screen",
        nargs="?",
        const="",
        default=None,
        metavar="WHAT",
        help="the screen instead (ffmpeg's screen grab, 5 frames/s unless --fps; faces searched "
        "with the finer tiles a call's grid needs): on Linux an X11 display (:0.0; "
        "$DISPLAY), on macOS 'Capture screen 0', on Windows 'desktop' or 'title=WINDOW TITLE'",
    )
    v.add_argument("--fps", type=float, default=None, help="frames per second to analyse (all)")
    v.add_argument(
        "--detect-every",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds between whole-frame face searches; faces are tracked in between (1.0)",
    )
    v.add_argument(
        "--window",
        type=float,
        default=10.0,
        metavar="S",
        help="summary time window in seconds (10)",
    )
    v.add_argument("--max-seconds", type=float, default=None, help="stop after this much video")
    v.add_argument("--out", default=None, metavar="DIR", help="output folder (<video>-emotions)")
    v.add_argument("--annotate", action="store_true", help="also write annotated.mp4")
    add_model_options(v)
    add_detector_options(v)
    add_output_options(v)
    v.set_defaults(func=_video)
