"""Reading and writing video with ffmpeg (through imageio-ffmpeg, imageio's ffmpeg plugin)."""

import glob
import os
import sys
from pathlib import Path

import numpy as np

_GRAY_WEIGHTS = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)  # as skimage.rgb2gray


def _gray(rgb):
    """Luminance of uint8 RGB pixels, in [0, 1]."""
    return (rgb @ _GRAY_WEIGHTS) / np.float32(255)


def _ffmpeg():
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "Reading video needs imageio-ffmpeg: pip install 'bilstm-emotion[video]'"
        ) from exc
    return imageio_ffmpeg


def video_info(source):
    """Frame rate, size (width, height), duration (s) and frame count of a video file.

    Raises
    ------
    FileNotFoundError
        If ``source`` does not exist.
    ValueError
        If ffmpeg cannot read it as a video (the message names the file).
    """
    path = _check_file(source)
    reader = _open(path, gray=True, fps=None)
    try:
        meta = next(reader)
    finally:
        reader.close()
    return _meta(meta)


def _meta(meta):
    fps, duration = float(meta.get("fps") or 0), float(meta.get("duration") or 0)
    return {
        "fps": fps,
        "size": tuple(meta["size"]),
        "duration": duration,
        "n_frames": round(fps * duration),
    }


def _check_file(source):
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"No such video file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"Expected a video file. Received: the folder {path}")
    return path


def _open(path, *, gray, fps):
    params = ["-vf", f"fps={fps}"] if fps else None
    reader = _ffmpeg().read_frames(
        os.fspath(path),
        pix_fmt="gray" if gray else "rgb24",
        bits_per_pixel=8 if gray else 24,
        output_params=params,
    )
    return _named_errors(reader, path)


def _named_errors(reader, path):
    try:
        yield from reader
    except (OSError, RuntimeError, StopIteration) as exc:
        raise ValueError(f"Cannot read video {path}: {_ffmpeg_reason(exc)}") from exc
    finally:
        reader.close()


_REASONS = (
    "moov atom not found",
    "partial file",
    "Invalid data found",
    "Invalid NAL unit",
    "Cannot open video device",
    "Permission denied",
    "Device or resource busy",
    "Cannot open display",
    "Can't open display",
)


def _ffmpeg_reason(exc):
    """The telling line of ffmpeg's log (it ends with a generic "Conversion failed!")."""
    import re

    lines = [re.sub(r"^(\[[^]]*\] ?)+", "", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    for reason in _REASONS:
        for line in lines:
            if reason in line:
                return line
    return lines[-1] if lines else type(exc).__name__


def read_frames(source, *, fps=None, color=False):
    """Decode a video file, or a camera, frame by frame.

    Parameters
    ----------
    source : str, path-like, int or Screen
        A video file (anything ffmpeg reads: mp4, avi, mkv, webm, gif, ...),
        the index of a camera (``0`` for the first), or a :class:`Screen`.
    fps : float or None
        Frames per second to sample (ffmpeg drops or repeats frames to reach
        it); ``None`` keeps every frame.
    color : bool, default=False
        Also return the RGB frame (for drawing on); the gray frame is
        always returned.

    Yields
    ------
    index : int
        Frame number, from 0, after sampling.
    time : float
        Seconds from the start.
    gray : ndarray of shape (height, width), dtype float32
        The frame in [0, 1].
    rgb : ndarray of shape (height, width, 3), dtype uint8, or None
        The colour frame when ``color=True``.

    Raises
    ------
    FileNotFoundError
        A missing file.
    ValueError
        ffmpeg cannot open the file, or it breaks off; frames decoded before
        the fault have already been yielded.
    """
    if isinstance(source, (int, np.integer)) and not isinstance(source, bool):
        yield from _read_camera(int(source), fps=fps, color=color)
        return
    if isinstance(source, Screen):
        yield from _read_screen(source, fps=fps, color=color)
        return
    path = _check_file(source)
    reader = _open(path, gray=not color, fps=fps)
    meta = next(reader)
    width, height = meta["size"]
    rate = float(fps or meta.get("fps") or 25.0)
    for index, raw in enumerate(reader):
        frame = np.frombuffer(raw, dtype=np.uint8)
        if color:
            rgb = frame.reshape(height, width, 3)
            gray = _gray(rgb)
        else:
            rgb, gray = None, frame.reshape(height, width) / np.float32(255)
        yield index, index / rate, gray, rgb


def _read_camera(index, *, fps, color):  # pragma: no cover - needs a camera
    import time

    import imageio.v2 as iio

    device = f"/dev/video{index}"
    if sys.platform.startswith("linux") and not os.path.exists(device):
        found = sorted(glob.glob("/dev/video*"))
        raise ValueError(
            f"Cannot open camera {index}: {device} does not exist (cameras here: "
            f"{', '.join(found) if found else 'none'})"
        )
    try:
        reader = iio.get_reader(f"<video{index}>", format="ffmpeg")
    except Exception as exc:  # ffmpeg's whole log: keep the line that says why
        raise ValueError(f"Cannot open camera {index}: {_ffmpeg_reason(exc)}") from exc
    start, last, n = time.perf_counter(), -np.inf, 0
    try:
        for rgb in reader:
            now = time.perf_counter() - start
            if fps and now - last < 1 / fps:
                continue
            last = now
            gray = _gray(rgb[:, :, :3])
            yield n, now, gray, (rgb[:, :, :3] if color else None)
            n += 1
    finally:
        reader.close()


#: Frames per second a screen is grabbed at when no rate is asked for.
SCREEN_FPS = 5.0


class Screen:
    """A screen (or, on Windows, a window) to read as a video: ffmpeg's screen grab.

    Parameters
    ----------
    name : str or None
        What to grab, as the platform's grabber names it: on Linux (X11's
        ``x11grab``) a display, ``":0.0"`` (``None``: ``$DISPLAY``); on macOS
        (``avfoundation``) a screen, ``"Capture screen 0"`` (the default; the
        terminal needs the Screen Recording permission); on Windows
        (``gdigrab``) ``"desktop"`` (the default) or one window by its title,
        ``"title=Zoom Meeting"``. Wayland sessions give X11 programs no
        picture of the screen: share the call's tab with ``serve``'s Call tab
        instead (in a Wayland session, ``None`` is refused with that advice; an
        X server's display, Xvfb's say, can still be named).
    """

    #: ffmpeg's screen grabber, and what it grabs unless told, per platform
    GRABBERS = {
        "linux": ("x11grab", None),
        "darwin": ("avfoundation", "Capture screen 0"),
        "win32": ("gdigrab", "desktop"),
    }

    def __init__(self, name=None):
        platform = "linux" if sys.platform.startswith(("linux", "freebsd")) else sys.platform
        if platform not in self.GRABBERS:
            raise ValueError(
                f"Expected Linux (X11), macOS or Windows to grab the screen. Received: "
                f"sys.platform={sys.platform!r}"
            )
        wayland = (
            os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland"
        )
        if platform == "linux" and name is None and wayland:  # $DISPLAY is XWayland's
            raise ValueError(
                "Expected an X11 session to grab the screen. Received: a Wayland session, "
                "where X11's screen grab sees no window (black frames); share the call's tab "
                "or window with `bilstm-emotion serve`'s Call tab instead"
            )
        self.grabber, default = self.GRABBERS[platform]
        # the pointer is not drawn: over a face, it would hide it from the detector
        self.options = () if self.grabber == "avfoundation" else ("-draw_mouse", "0")
        name = name or default or os.environ.get("DISPLAY")
        if not name:
            raise ValueError(
                "Expected an X11 display to grab (--screen :0.0, or $DISPLAY set). Received: "
                "no $DISPLAY; a Wayland session or a server without a screen has none to grab"
            )
        self.name = name

    def __str__(self):
        return f"screen {self.name}"

    def __repr__(self):
        return f"Screen({self.name!r})"


def _read_screen(screen, *, fps, color):
    """Frames of ``screen`` at ``fps`` (:data:`SCREEN_FPS` when ``None``), timed by the
    clock."""
    import time

    rate = fps or SCREEN_FPS
    reader = _ffmpeg().read_frames(
        screen.name,
        pix_fmt="rgb24",
        input_params=["-f", screen.grabber, "-framerate", f"{rate:g}", *screen.options],
    )
    try:
        meta = next(reader)
    except (OSError, RuntimeError, StopIteration) as exc:
        raise ValueError(f"Cannot grab {screen}: {_ffmpeg_reason(exc)}") from exc
    width, height = meta["size"]
    start = time.perf_counter()
    try:
        for index, raw in enumerate(reader):
            rgb = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
            yield index, time.perf_counter() - start, _gray(rgb), (rgb if color else None)
    except (OSError, RuntimeError) as exc:
        raise ValueError(f"Cannot grab {screen}: {_ffmpeg_reason(exc)}") from exc
    finally:
        reader.close()


def make_demo_video(path, *, seconds=2.0, fps=10, size=(320, 240), face=True):
    """Write a short video of a face sliding across a gray background.

    The face is the astronaut's from scikit-image's sample photo, so this
    works offline: material to try :func:`analyze_video` and the ``video``
    command on, and what the tests and ``benchmarks/video_speed.py`` use.

    Parameters
    ----------
    path : str or path-like
        The file to write (its extension picks the container, e.g. ``.mp4``).
    seconds : float, default=2.0
        Length.
    fps : float, default=10
        Frames per second.
    size : tuple of (int, int), default=(320, 240)
        ``(width, height)``; the face is scaled to half the frame's height.
    face : bool, default=True
        ``False`` writes the background only (a video without faces).

    Returns
    -------
    path : pathlib.Path
    """
    from skimage.transform import rescale

    from ._demo_call import demo_participants

    width, height = size
    (head,) = demo_participants(1)  # the astronaut's head, as she is
    head = (rescale(head, min(1.0, height / 2 / head.shape[0]), channel_axis=2) * 255).astype(
        np.uint8
    )
    writer = video_writer(
        path, (width, height), fps, quality=8, output_params=["-movflags", "+faststart"]
    )
    n = max(1, round(seconds * fps))
    top = (height - head.shape[0]) // 2
    for i in range(n):
        frame = np.full((height, width, 3), 90, np.uint8)
        if face:
            left = round(10 + (width - head.shape[1] - 20) * i / max(1, n - 1))
            frame[top : top + head.shape[0], left : left + head.shape[1]] = head
        writer.send(np.ascontiguousarray(frame).tobytes())
    writer.close()
    return Path(path)


def video_writer(path, size, fps, **options):
    """A started ffmpeg writer of ``(width, height)`` RGB frames: ``send(frame_bytes)``,
    then ``close()``. ``options`` go to :func:`imageio_ffmpeg.write_frames`."""
    writer = _ffmpeg().write_frames(
        os.fspath(path),
        tuple(size),
        fps=fps,
        macro_block_size=1,
        ffmpeg_log_level="error",
        **options,
    )
    writer.send(None)
    return writer
