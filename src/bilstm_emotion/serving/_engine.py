"""The web app's model side: one worker for every stream's frames, a bounded queue, counters.

Frames from every connected camera wait in one queue of ``queue_size``; a
frame that finds it full, whose connection already has ``max_in_flight``
frames waiting, or whose client has not read that many results, is dropped
and counted (its sender is told), so a slow model or a slow client never
builds a backlog and memory stays flat however fast clients send. One worker
runs the model on one frame at a time, in a thread; results go to each
stream's :class:`~._outbox.Outbox`, so the worker never waits on a client.
Uploaded photos are decoded outside the model and classified one at a time,
taking turns with the camera frames (a first-come, first-served lock): the
network is never called from two threads at once, and a large upload delays
a camera by one photo, not by the request.
"""

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..core._errors import ImageReadError
from ..datasets._io import multi_frame_note, probe_image
from ..monitoring import FacePredictor, decoded_scale, empty_record
from ..preprocessing._images import ImageLoader
from ..video._tracking import (
    FaceTracker,
    FrameAnalyzer,
    VideoFrame,
    call_detector,
    timeline_fields,
    timeline_records,
)
from ._limits import (
    MAX_FRAME_BYTES,
    MAX_FRAME_PIXELS,
    MAX_REQUEST_FILES,
    MAX_REQUEST_PIXELS,
    MAX_REQUEST_SECONDS,
    RequestTooLarge,
)

#: What a stream's frames come from: the user's camera, or a shared tab, window or
#: screen (a video call's participants).
STREAM_SOURCES = ("camera", "call")


class Upload(bytes):
    """Uploaded bytes that carry their file name (for records and error messages)."""

    def __new__(cls, data, name):
        self = super().__new__(cls, data)
        self.name = name
        return self


class TurnLock:
    """A lock granted in the order it was asked for (``threading.Lock`` is not: a
    thread that releases it and asks again at once may get it again first)."""

    def __init__(self):
        self._turns = threading.Condition()
        self._next = 0
        self._serving = 0

    def __enter__(self):
        with self._turns:
            ticket = self._next
            self._next += 1
            self._turns.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc):
        with self._turns:
            self._serving += 1
            self._turns.notify_all()


@dataclass
class Counters:
    """What became of the frames the streams sent (``/api/health`` shows them).

    ``received`` is ``processed + dropped + skipped`` plus the frames waiting
    and the frame in the model (``/api/health``'s ``waiting`` and ``working``):
    ``processed`` went through the model (``errors`` of them could not be read
    or failed), ``dropped`` were refused on arrival (too large, too many),
    ``skipped`` were waiting when their stream closed.
    """

    received: int = 0
    processed: int = 0
    dropped: int = 0
    skipped: int = 0
    errors: int = 0

    def as_dict(self):
        names = ("received", "processed", "dropped", "skipped", "errors")
        return {name: getattr(self, name) for name in names}


@dataclass
class Stream:
    """One connected camera or shared call: its tracker, its clock, its frames in flight,
    its outbox."""

    analyzer: FrameAnalyzer
    outbox: object  # an Outbox: put(message) never waits
    source: str = "camera"  # one of STREAM_SOURCES: what the records' ``source`` says
    started: float = field(default_factory=time.monotonic)
    frames: int = 0
    in_flight: int = 0
    closed: bool = False
    counters: Counters = field(default_factory=Counters)

    def count(self, engine, name):
        """Count one frame as ``name`` for this stream and for the server."""
        for counters in (self.counters, engine.counters):
            setattr(counters, name, getattr(counters, name) + 1)


class Engine:
    """The predictor behind the app, its frame queue and its worker.

    Parameters
    ----------
    predictor : FacePredictor
        Finds and classifies faces (photos and frames alike).
    queue_size : int
        Frames (of all streams together) that may wait for the model.
    max_in_flight : int
        Frames of one stream that may wait at once, and results of one stream
        that may wait unread; more frames are dropped.
    detect_every : float
        Seconds between searches of a stream's whole frame (see
        :class:`~bilstm_emotion.video.FrameAnalyzer`).
    max_frame_bytes, max_frame_pixels : int
        The limits of a camera frame (see ``_limits``).
    max_request_files, max_request_pixels, max_request_seconds : int, int, float
        The limits of a request to the REST API (see ``_limits``).
    """

    def __init__(
        self,
        predictor,
        *,
        queue_size=8,
        max_in_flight=2,
        detect_every=1.0,
        max_frame_bytes=MAX_FRAME_BYTES,
        max_frame_pixels=MAX_FRAME_PIXELS,
        max_request_files=MAX_REQUEST_FILES,
        max_request_pixels=MAX_REQUEST_PIXELS,
        max_request_seconds=MAX_REQUEST_SECONDS,
    ):
        self.predictor = predictor
        # for uploads that already are cropped faces (``detect=false``): same model
        self._crops = FacePredictor(
            predictor.estimator,
            detector=predictor.detector,
            normalizer=predictor.normalizer,
            detect=False,
        )
        # for shared calls: the same model, the detector with the tiles of a call's grid
        self._calls = FacePredictor(
            predictor.estimator,
            detector=call_detector(predictor.detector),
            normalizer=predictor.normalizer,
        )
        self.classes = predictor.classes
        self.columns = timeline_fields(self.classes)
        self.queue_size = queue_size
        self.max_in_flight = max_in_flight
        self.detect_every = detect_every
        self.max_frame_bytes = max_frame_bytes
        self.max_frame_pixels = max_frame_pixels
        self.max_request_files = max_request_files
        self.max_request_pixels = max_request_pixels
        self.max_request_seconds = max_request_seconds
        self.counters = Counters()
        self.streams = 0
        self.working = 0  # frames in the model now
        self._lock = TurnLock()  # one network call at a time, in turns
        self._queue = None
        self._worker = None

    # ------------------------------------------------------------- life
    async def start(self):
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(self.warm_up)
        self._queue = asyncio.Queue(maxsize=self.queue_size)
        self._worker = asyncio.create_task(self._work())

    def warm_up(self):
        """Run every network once (whole-frame search, search near a face, classifier),
        so that the first camera does not wait for their first, compiling, calls."""
        blank = np.full((480, 640), 0.5, dtype=np.float32)
        box = {"row": 160, "col": 240, "height": 160, "width": 160}
        with self._lock:
            detector = self.predictor.detector
            detector.detect([blank])
            detector.detect_near(blank, box)
            self._calls.detector.detect([blank])
            self.predictor.classify(blank, [box])

    async def stop(self):
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    @property
    def waiting(self):
        return 0 if self._queue is None else self._queue.qsize()

    # ------------------------------------------------------------- photos
    def check_request(self, uploads):
        """Refuse (:class:`RequestTooLarge`) a request over the files or pixels limit,
        before any decoding; the frames of each file, for :meth:`predict_uploads`."""
        if len(uploads) > self.max_request_files:
            raise RequestTooLarge(
                f"Expected at most {self.max_request_files} files in one request "
                f"(`serve --max-request-files`). Received: {len(uploads)} files"
            )
        total, frames = 0, []
        for upload in uploads:
            try:
                pixels, n = probe_image(upload, upload.name)
            except ImageReadError:
                pixels, n = 0, 1  # its record will say why
            total += pixels
            frames.append(n)
        if total > self.max_request_pixels:
            raise RequestTooLarge(
                f"Expected images of at most {self.max_request_pixels / 1e6:,g} million "
                f"pixels in one request, all files together (`serve --max-request-mp`). "
                f"Received: {total / 1e6:,.1f} million in {len(uploads)} files; send fewer "
                "files at a time"
            )
        return frames

    def predict_uploads(self, uploads, *, detect=True):
        """The records of uploaded photos (as ``predict --json`` gives them).

        Raises :class:`RequestTooLarge` for a request over the files or pixels
        limit; files past the request's model time get a record saying so, as
        does a file of several frames (only the first is read).
        """
        frames = self.check_request(uploads)
        predictor = self.predictor if detect else self._crops
        records, spent = [], 0.0
        for upload, n_frames in zip(uploads, frames, strict=True):
            if spent > self.max_request_seconds:
                status = (
                    f"error: not processed: the request used its {self.max_request_seconds:g} s "
                    "of model time (`serve --max-request-seconds`); send this file again"
                )
                records.append(empty_record(upload.name, self.classes, status))
                continue
            try:
                pixels = ImageLoader(color=True).transform([upload])[0]
            except ImageReadError as exc:
                records.append(empty_record(upload.name, self.classes, f"error: {exc}"))
                continue
            scale = decoded_scale(upload, pixels)
            with self._lock:
                start = time.perf_counter()
                found = predictor.records(pixels, upload.name, scale=scale)
                spent += time.perf_counter() - start
            if n_frames > 1:
                note = multi_frame_note(upload.name, n_frames)
                found = [{**record, "warning": note} for record in found]
            records.extend(found)
        return records

    # ------------------------------------------------------------- streams
    def open_stream(self, outbox, source="camera"):
        """A new :class:`Stream` of ``source`` (one of :data:`STREAM_SOURCES`) whose
        messages go to ``outbox``."""
        if source not in STREAM_SOURCES:
            raise ValueError(
                f"Expected a stream source in {STREAM_SOURCES}. Received: source={source!r}"
            )
        self.streams += 1
        tracker = FaceTracker(max_missing=self.detect_every + 0.5)
        predictor = self._calls if source == "call" else self.predictor
        analyzer = FrameAnalyzer(predictor, tracker=tracker, detect_every=self.detect_every)
        return Stream(analyzer, outbox, source)

    def close_stream(self, stream):
        stream.closed = True  # frames still queued are skipped, their results not sent
        self.streams -= 1

    def submit(self, stream, data):
        """Queue one frame of ``stream``, or drop it (and tell the sender)."""
        if self._queue is None:
            raise RuntimeError(
                "Expected a started engine: run the app with its lifespan (uvicorn does; "
                "so does `with TestClient(app)`)"
            )
        index = stream.frames
        stream.frames += 1
        stream.count(self, "received")
        reason = None
        if len(data) > self.max_frame_bytes:
            reason = (
                f"Expected a frame of at most {self.max_frame_bytes:,} bytes "
                f"(`serve --max-frame-mb`). Received: {len(data):,} bytes"
            )
        elif stream.in_flight >= self.max_in_flight:
            reason = f"{stream.in_flight} frames of this stream are already waiting"
        elif stream.outbox.unread_results >= self.max_in_flight:
            reason = f"the client has not read its last {stream.outbox.unread_results} results"
        elif self._queue.full():
            reason = f"the model is busy ({self.queue_size} frames waiting)"
        if reason is not None:
            stream.count(self, "dropped")
            stream.outbox.put(
                {
                    "type": "dropped",
                    "frame": index,
                    "reason": reason,
                    "stats": stream.counters.as_dict(),
                }
            )
            return
        stream.in_flight += 1
        self._queue.put_nowait((stream, index, time.monotonic() - stream.started, data))

    async def _work(self):
        from starlette.concurrency import run_in_threadpool

        while True:
            stream, index, seconds, data = await self._queue.get()
            try:
                if stream.closed:
                    stream.count(self, "skipped")
                    continue
                self.working += 1
                try:
                    message = await run_in_threadpool(self._frame, stream, index, seconds, data)
                except Exception as exc:  # a failure of ours: the frame is answered all the same
                    message = {
                        "type": "error",
                        "frame": index,
                        "error": str(exc),
                        "detail": f"frame {index} failed: {exc}",
                    }
                finally:
                    self.working -= 1
                stream.count(self, "processed")
                if message.get("error"):
                    stream.count(self, "errors")
                message["stats"] = stream.counters.as_dict()
                if not stream.closed:
                    stream.outbox.put(message)
            finally:
                stream.in_flight -= 1

    def _frame(self, stream, index, seconds, data):
        start = time.perf_counter()
        name = f"frame {index}"
        error, records = None, []
        try:
            pixels, _ = probe_image(data, name)
            if pixels > self.max_frame_pixels:
                raise ImageReadError(
                    f"Expected a frame of at most {self.max_frame_pixels / 1e6:.1f} million "
                    f"pixels (`serve --max-frame-mp`). Received: {pixels / 1e6:.1f} million"
                )
            rgb = ImageLoader(color=True).transform([Upload(data, name)])[0]
        except ImageReadError as exc:
            error = str(exc)
        else:
            with self._lock:
                records = stream.analyzer.records(rgb, seconds, index, stream.source)
        frame = VideoFrame(index, seconds, records)
        rows = timeline_records(frame, self.classes)
        if error:
            rows[0]["status"] = f"error: {error}"
        return {
            "type": "result",
            "frame": index,
            "time": round(seconds, 3),
            "faces": records,
            "rows": [[row[c] for c in self.columns] for row in rows],
            "error": error,
            "server_ms": round(1000 * (time.perf_counter() - start), 1),
        }
