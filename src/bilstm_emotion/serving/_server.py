"""The local web app: a camera page, a photo page, and the REST API behind them.

Built on FastAPI (its OpenAPI page at ``/docs``, served from
``fastapi-offline``'s copy of Swagger UI, so nothing comes from a CDN) and
run by uvicorn; ``pip install "bilstm-emotion[serve]"``.
"""

import asyncio
import contextlib
import json
import re
import time
from importlib.resources import files
from typing import Annotated

from ..core._backend import engine_name
from ..core._registry import PRETRAINED, pretrained_info
from ..core._version import __version__
from ..monitoring import FacePredictor
from . import _limits as limits
from ._access import LOOPBACK_HOSTS, AccessGuard
from ._engine import STREAM_SOURCES, Engine, Upload
from ._limits import BodyLimit, RequestTooLarge, UploadSlots
from ._outbox import SEND_TIMEOUT, Outbox

STATIC = files("bilstm_emotion.serving") / "static"


def _missing_extra(exc):
    return ImportError(
        f'The web app needs the `serve` extra: pip install "bilstm-emotion[serve]" '
        f"(missing: {exc.name})"
    )


def create_app(
    estimator=None,
    *,
    model_name=None,
    detector=None,
    token=None,
    allowed_hosts=LOOPBACK_HOSTS,
    allowed_origins=(),
    max_upload_bytes=limits.MAX_UPLOAD_BYTES,
    max_uploads=limits.MAX_UPLOADS_AT_ONCE,
    body_seconds=limits.BODY_SECONDS,
    max_request_files=limits.MAX_REQUEST_FILES,
    max_request_pixels=limits.MAX_REQUEST_PIXELS,
    max_request_seconds=limits.MAX_REQUEST_SECONDS,
    max_frame_bytes=limits.MAX_FRAME_BYTES,
    max_frame_pixels=limits.MAX_FRAME_PIXELS,
    queue_size=8,
    max_in_flight=2,
    send_timeout=SEND_TIMEOUT,
    detect_every=1.0,
):
    """The ASGI app of ``bilstm-emotion serve``.

    Parameters
    ----------
    estimator : fitted classifier or None
        ``None`` loads the default pretrained model.
    model_name : str or None
        What ``/api/models`` and ``/api/health`` call the model (the
        pretrained name, or the estimator's file).
    detector : FaceDetector or None
        ``None``: BlazeFace, every face.
    token : str or None, default=None
        A secret every request must carry (``?token=``, a cookie the page
        keeps, or ``Authorization: Bearer``); ``None``: none asked for. Letters,
        digits and ``-._~`` only.
    allowed_hosts : sequence of str, default=("localhost", "127.0.0.1", "::1")
        ``Host`` names the server answers to; other requests get ``403``
        (``"*"``: any name; ``serve`` adds the address it listens on).
    allowed_origins : sequence of str, default=()
        Origins (``"http://host:port"``) of other sites whose pages may open
        the camera WebSocket and call the REST API (they get CORS headers and
        answered preflights); the server's own page always may, other pages
        get ``403``.
    max_upload_bytes : int, default=32 MiB
        Largest request body; a larger one gets ``413``.
    max_uploads : int, default=2
        Requests with a body processed at once; one more gets ``429``.
    body_seconds : float, default=60.0
        Seconds a request body may take to arrive (and at most 10 between two
        of its chunks); a slower one gets ``408`` and frees its upload slot.
    max_request_files, max_request_pixels : int, default=100 and 400 million
        Files in one request, and pixels they decode to together; a request
        over either gets ``413`` before anything is decoded.
    max_request_seconds : float, default=30.0
        Model time one request may use; its files past it are answered with
        a record saying they were not processed.
    max_frame_bytes, max_frame_pixels : int, default=4 MiB and 3840x2160
        Largest camera frame, encoded and decoded; a larger one is answered
        with an error.
    queue_size, max_in_flight : int, default=8 and 2
        Frames (all streams) that may wait for the model, and frames of one
        stream waiting or results of one stream unread; more are dropped and
        counted, never queued.
    send_timeout : float, default=10.0
        Seconds one message may wait for a camera client to read it; a client
        that does not read is disconnected and the others go on.
    detect_every : float, default=1.0
        Seconds between searches of a stream's whole frame.

    Returns
    -------
    app : fastapi.FastAPI
        Run it with ``uvicorn.run(app)``; see :doc:`/serving` for the routes.
    """
    try:
        from fastapi import File, Query, UploadFile, WebSocket
        from fastapi.responses import FileResponse, JSONResponse
        from fastapi.staticfiles import StaticFiles
        from fastapi_offline import FastAPIOffline
        from starlette.concurrency import run_in_threadpool
    except ImportError as exc:
        raise _missing_extra(exc) from None
    if token is not None and not re.fullmatch(r"[A-Za-z0-9._~-]+", token):
        raise ValueError(
            "Expected a token of letters, digits and -._~ only (it travels in URLs and "
            f"cookies). Received: {len(token)} characters with others among them"
        )
    if estimator is None:
        from ..model._pretrained import load_pretrained

        estimator, model_name = load_pretrained(), model_name or PRETRAINED[0]
    engine_in_words = engine_name(estimator)  # what runs the model (loads nothing)
    engine = Engine(
        FacePredictor(estimator, detector=detector),
        queue_size=queue_size,
        max_in_flight=max_in_flight,
        detect_every=detect_every,
        max_frame_bytes=max_frame_bytes,
        max_frame_pixels=max_frame_pixels,
        max_request_files=max_request_files,
        max_request_pixels=max_request_pixels,
        max_request_seconds=max_request_seconds,
    )
    started = time.time()
    shipped = [{"name": name, **_summary(pretrained_info(name))} for name in PRETRAINED]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await engine.start()
        yield
        await engine.stop()

    app = FastAPIOffline(
        title="bilstm-emotion",
        version=__version__,
        description="Emotions of the faces in photos and camera frames.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    # the last added runs first: who may ask, then how many at once, then how much
    app.add_middleware(
        BodyLimit,
        max_bytes=max_upload_bytes,
        seconds=body_seconds,
        idle_seconds=min(body_seconds, limits.BODY_IDLE_SECONDS),
    )
    app.add_middleware(UploadSlots, slots=max_uploads)
    app.add_middleware(
        AccessGuard, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins, token=token
    )
    if allowed_origins:  # other sites' pages: their browsers need CORS to read answers
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization"],
        )
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    @app.get("/api/health", summary="Whether the server is up, and what it has done")
    async def health():
        return {
            "status": "ok",
            "version": __version__,
            "engine": engine_in_words,
            "model": model_name,
            "uptime_s": round(time.time() - started, 1),
            "streams": engine.streams,
            "waiting": engine.waiting,
            "working": engine.working,
            "queue_size": engine.queue_size,
            "frames": engine.counters.as_dict(),
        }

    @app.get("/api/models", summary="The model in use and the shipped ones")
    async def models():
        return {
            "loaded": {
                "name": model_name,
                "classes": engine.classes,
                "image_shape": list(getattr(estimator, "image_shape_", (48, 48))),
            },
            "pretrained": shipped,
        }

    @app.post(
        "/api/predict",
        summary="The faces and emotions of one or more photos",
        responses={
            413: {"description": "The request is over the bytes, files or pixels limit"},
            415: {"description": "None of the files is an image"},
            429: {"description": "Too many uploads at once: send it again in a moment"},
        },
    )
    async def predict(
        files: Annotated[list[UploadFile], File(description="Image files (JPEG, PNG, WebP, ...)")],
        detect: Annotated[
            bool, Query(description="False: each image already is a cropped face")
        ] = True,
    ):
        """One record per face (``predict --json``'s records): ``source`` is the file's
        name, a photo without a face or a file that is not an image gets a record whose
        ``status`` says so; ``warning`` says where only the first frame of a file was read.
        If no file at all is an image: ``415``."""
        uploads = [Upload(await f.read(), f.filename or f"file {i}") for i, f in enumerate(files)]
        try:
            records = await run_in_threadpool(engine.predict_uploads, uploads, detect=detect)
        except RequestTooLarge as exc:
            return JSONResponse(status_code=413, content={"detail": str(exc)})
        if all(str(r["status"]).startswith("error") for r in records):
            return JSONResponse(status_code=415, content={"detail": [_why(r) for r in records]})
        return records

    @app.websocket("/ws/stream")
    async def stream(websocket: WebSocket):
        await websocket.accept()
        source = websocket.query_params.get("source", "camera")
        if source not in STREAM_SOURCES:
            detail = (
                f"Expected ?source= one of {', '.join(STREAM_SOURCES)}. "
                f"Received: source={source!r}"
            )
            await websocket.send_text(json.dumps({"type": "error", "detail": detail}))
            await websocket.close(code=1008)
            return

        async def send(message):
            await websocket.send_text(json.dumps(message))

        outbox = Outbox(send, send_timeout=send_timeout).start()
        outbox.put(
            {
                "type": "hello",
                "source": source,
                "columns": engine.columns,
                "classes": engine.classes,
                "model": model_name,
                "max_frame_bytes": max_frame_bytes,
            }
        )
        state = engine.open_stream(outbox, source)
        try:
            while (message := await _receive_unless(websocket, outbox.dead)) is not None:
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("bytes")
                if data is None:
                    outbox.put(
                        {
                            "type": "error",
                            "detail": "Expected binary messages, each an "
                            "encoded image (JPEG, PNG, WebP). Received: text",
                        }
                    )
                else:
                    engine.submit(state, data)
        finally:
            engine.close_stream(state)
            await outbox.close()

    return app


async def _receive_unless(websocket, dead):
    """The client's next message, or None once ``dead`` is set (the client was given
    up: the handler returns and the server closes the connection)."""
    receiving = asyncio.ensure_future(websocket.receive())
    gone = asyncio.ensure_future(dead.wait())
    await asyncio.wait({receiving, gone}, return_when=asyncio.FIRST_COMPLETED)
    gone.cancel()
    if receiving.done():
        return receiving.result()
    receiving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await receiving
    return None


def _why(record):
    """What went wrong with a file, in words, naming it once."""
    reason = str(record["status"]).removeprefix("error: ")
    return reason if record["source"] in reason else f"{record['source']}: {reason}"


def _summary(info):
    """What a client needs to choose a shipped model: its PublicTest scores and views."""
    params = info.get("params", {})
    return {
        "accuracy": info.get("accuracy"),
        "macro_f1": info.get("macro_f1"),
        "image_shape": info.get("image_shape"),
        "test_time_flip": params.get("test_time_flip"),
        "test_time_shift": params.get("test_time_shift"),
    }
