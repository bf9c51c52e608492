"""The web app's model side: one worker for every stream's frames, a bounded queue, counters.

Frames from every connected camera wait in one queue of ``queue_size``; a
frame that finds it full, or whose connection already has ``max_in_flight``
frames waiting, is dropped and counted (its sender is told), so a slow model
never builds a backlog and memory stays flat however fast clients send. One
worker runs the model on one frame at a time, in a thread, under the same
lock as the REST uploads: the network is never called from two threads at
once.
"""

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..core._errors import ImageReadError
from ..core._pixels import to_gray
from ..preprocessing._images import ImageLoader
from ._pipeline import FacePredictor, iter_images
from ._tracking import FaceTracker, FrameAnalyzer, VideoFrame, timeline_fields, timeline_records


class Upload(bytes):
    """Uploaded bytes that carry their file name (for records and error messages)."""

    def __new__(cls, data, name):
        self = super().__new__(cls, data)
        self.name = name
        return self


@dataclass
class Counters:
    """What the streams have sent so far (``/api/health`` shows them)."""

    received: int = 0
    processed: int = 0
    dropped: int = 0
    errors: int = 0

    def as_dict(self):
        return {k: getattr(self, k) for k in ("received", "processed", "dropped", "errors")}


@dataclass
class Stream:
    """One connected camera: its tracker, its clock, its frames in flight."""

    analyzer: FrameAnalyzer
    send: object  # async callable taking a JSON-able dict
    started: float = field(default_factory=time.monotonic)
    frames: int = 0
    in_flight: int = 0
    closed: bool = False
    counters: Counters = field(default_factory=Counters)


class Engine:
    """The predictor behind the app, its frame queue and its worker.

    Parameters
    ----------
    predictor : FacePredictor
        Finds and classifies faces (photos and frames alike).
    queue_size : int
        Frames (of all streams together) that may wait for the model.
    max_in_flight : int
        Frames of one stream that may wait at once; more are dropped.
    detect_every : float
        Seconds between searches of a stream's whole frame (see
        :class:`~bilstm_emotion.video.FrameAnalyzer`).
    """

    def __init__(self, predictor, *, queue_size=8, max_in_flight=2, detect_every=1.0):
        self.predictor = predictor
        # for uploads that already are cropped faces (``detect=false``): same model
        self._crops = FacePredictor(
            predictor.estimator, detector=predictor.detector,
            normalizer=predictor.normalizer, detect=False,
        )  # fmt: skip
        self.classes = predictor.classes
        self.columns = timeline_fields(self.classes)
        self.queue_size = queue_size
        self.max_in_flight = max_in_flight
        self.detect_every = detect_every
        self.counters = Counters()
        self.streams = 0
        self._lock = threading.Lock()  # one network call at a time
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
    def predict_uploads(self, uploads, *, detect=True):
        """The records of uploaded photos (as ``predict --json`` gives them)."""
        predictor = self.predictor if detect else self._crops
        sources = [upload.name for upload in uploads]
        with self._lock:
            return [r for *_, records in iter_images(uploads, predictor, sources=sources)
                    for r in records]  # fmt: skip

    # ------------------------------------------------------------- streams
    def open_stream(self, send):
        """A new :class:`Stream` whose results go to ``send``."""
        self.streams += 1
        tracker = FaceTracker(max_missing=self.detect_every + 0.5)
        analyzer = FrameAnalyzer(self.predictor, tracker=tracker, detect_every=self.detect_every)
        return Stream(analyzer, send)

    def close_stream(self, stream):
        stream.closed = True  # frames still queued are skipped, their results not sent
        self.streams -= 1

    async def submit(self, stream, data):
        """Queue one frame of ``stream``, or drop it (and tell the sender) when full."""
        if self._queue is None:
            raise RuntimeError(
                "Expected a started engine: run the app with its lifespan (uvicorn does; "
                "so does `with TestClient(app)`)"
            )
        index = stream.frames
        stream.frames += 1
        self.counters.received += 1
        stream.counters.received += 1
        reason = None
        if stream.in_flight >= self.max_in_flight:
            reason = f"{stream.in_flight} frames of this stream are already waiting"
        elif self._queue.full():
            reason = f"the model is busy ({self.queue_size} frames waiting)"
        if reason is not None:
            self.counters.dropped += 1
            stream.counters.dropped += 1
            await stream.send(
                {"type": "dropped", "frame": index, "reason": reason,
                 "stats": stream.counters.as_dict()}
            )  # fmt: skip
            return
        stream.in_flight += 1
        self._queue.put_nowait((stream, index, time.monotonic() - stream.started, data))

    async def _work(self):
        from starlette.concurrency import run_in_threadpool

        while True:
            stream, index, seconds, data = await self._queue.get()
            try:
                if stream.closed:
                    continue
                message = await run_in_threadpool(self._frame, stream, index, seconds, data)
                stream.counters.processed += 1
                self.counters.processed += 1
                if message.get("error"):
                    stream.counters.errors += 1
                    self.counters.errors += 1
                message["stats"] = stream.counters.as_dict()
                if not stream.closed:
                    with contextlib.suppress(Exception):  # the client left meanwhile
                        await stream.send(message)
            except Exception as exc:
                self.counters.errors += 1
                with contextlib.suppress(Exception):
                    await stream.send({"type": "error", "frame": index, "detail": str(exc)})
            finally:
                stream.in_flight -= 1

    def _frame(self, stream, index, seconds, data):
        start = time.perf_counter()
        error = None
        with self._lock:
            try:
                rgb = ImageLoader(color=True).transform([Upload(data, f"frame {index}")])[0]
            except ImageReadError as exc:
                error, records = str(exc), []
            else:
                gray = to_gray(rgb)
                records = stream.analyzer.records(gray, seconds, index, "camera")
        frame = VideoFrame(index, seconds, records)
        rows = timeline_records(frame, self.classes)
        if error:
            rows[0]["status"] = f"error: {error}"
        return {
            "type": "result", "frame": index, "time": round(seconds, 3),
            "faces": records, "rows": [[row[c] for c in self.columns] for row in rows],
            "error": error, "server_ms": round(1000 * (time.perf_counter() - start), 1),
        }  # fmt: skip
