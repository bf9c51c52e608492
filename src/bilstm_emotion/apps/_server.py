"""The local web app: a camera page, a photo page, and the REST API behind them.

Built on FastAPI (its OpenAPI page at ``/docs``, served from
``fastapi-offline``'s copy of Swagger UI, so nothing comes from a CDN) and
run by uvicorn; ``pip install "bilstm-emotion[serve]"``.
"""

import asyncio
import contextlib
import json
import time
from importlib.resources import files
from typing import Annotated

from ..core._backend import backend_name
from ..core._registry import PRETRAINED, pretrained_info
from ..core._version import __version__
from ._engine import Engine, Upload
from ._pipeline import FacePredictor

#: Bytes one request to the REST API may carry (all its files together): 32 MiB.
MAX_UPLOAD_BYTES = 32 * 2**20
#: Bytes one camera frame (one WebSocket message) may carry: 4 MiB.
MAX_FRAME_BYTES = 4 * 2**20

STATIC = files("bilstm_emotion.apps") / "static"


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
    max_upload_bytes=MAX_UPLOAD_BYTES,
    max_frame_bytes=MAX_FRAME_BYTES,
    queue_size=8,
    max_in_flight=2,
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
    max_upload_bytes : int, default=32 MiB
        Largest request body; a larger one gets ``413``.
    max_frame_bytes : int, default=4 MiB
        Largest camera frame; a larger one gets an ``error`` message.
    queue_size, max_in_flight : int, default=8 and 2
        Frames (all streams) that may wait for the model, and frames of one
        stream; more are dropped and counted, never queued.
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
        from starlette.websockets import WebSocketDisconnect
    except ImportError as exc:
        raise _missing_extra(exc) from None
    if estimator is None:
        from ..model._pretrained import load_pretrained

        estimator, model_name = load_pretrained(), model_name or PRETRAINED[0]
    engine = Engine(
        FacePredictor(estimator, detector=detector), queue_size=queue_size,
        max_in_flight=max_in_flight, detect_every=detect_every,
    )  # fmt: skip
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
    app.add_middleware(BodyLimit, max_bytes=max_upload_bytes)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    @app.get("/api/health", summary="Whether the server is up, and what it has done")
    async def health():
        return {
            "status": "ok",
            "version": __version__,
            "backend": backend_name(),
            "model": model_name,
            "uptime_s": round(time.time() - started, 1),
            "streams": engine.streams,
            "waiting": engine.waiting,
            "queue_size": engine.queue_size,
            "frames": engine.counters.as_dict(),
        }

    @app.get("/api/models", summary="The model in use and the shipped ones")
    async def models():
        return {
            "loaded": {"name": model_name, "classes": engine.classes,
                       "image_shape": list(getattr(estimator, "image_shape_", (48, 48)))},
            "pretrained": shipped,
        }  # fmt: skip

    @app.post(
        "/api/predict",
        summary="The faces and emotions of one or more photos",
        responses={
            413: {"description": "The request is larger than the upload limit"},
            415: {"description": "None of the files is an image"},
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
        ``status`` says so. If no file at all is an image: ``415``."""
        uploads = [Upload(await f.read(), f.filename or f"file {i}") for i, f in enumerate(files)]
        records = await run_in_threadpool(engine.predict_uploads, uploads, detect=detect)
        if all(str(r["status"]).startswith("error") for r in records):
            return JSONResponse(
                status_code=415,
                content={"detail": [f"{r['source']}: {r['status']}" for r in records]},
            )
        return records

    @app.websocket("/ws/stream")
    async def stream(websocket: WebSocket):
        await websocket.accept()

        lock = asyncio.Lock()  # the worker and this handler both send

        async def send(message):
            async with lock:
                await websocket.send_text(json.dumps(message))

        await send({"type": "hello", "columns": engine.columns, "classes": engine.classes,
                    "model": model_name, "max_frame_bytes": max_frame_bytes})  # fmt: skip
        state = engine.open_stream(send)
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("bytes")
                if data is None:
                    await send({"type": "error", "detail": "Expected binary messages, each an "
                                "encoded image (JPEG, PNG, WebP). Received: text"})  # fmt: skip
                elif len(data) > max_frame_bytes:
                    await send(
                        {
                            "type": "error",
                            "detail": f"Expected a frame of at most "
                            f"{max_frame_bytes:,} bytes. Received: {len(data):,} bytes",
                        }
                    )
                else:
                    await engine.submit(state, data)
        except WebSocketDisconnect:
            pass
        finally:
            engine.close_stream(state)

    return app


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


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets ``413``, read or not.

    A declared ``Content-Length`` over the limit is refused before anything is
    read; a body sent in chunks is counted as it arrives.
    """

    def __init__(self, app, max_bytes):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                declared = int(declared)
            except ValueError:
                return await _reply(send, 400, f"Expected a number as Content-Length. "
                                    f"Received: {declared[:40]!r}")  # fmt: skip
            if declared > self.max_bytes:
                return await _reply(send, 413, self._message(declared))
        seen, started, refused = 0, False, False

        async def counted():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not started:
                    # answer now; the app sees the client leave and its reply is dropped
                    refused = True
                    await _reply(send, 413, self._message(seen, "so far"))
                    return {"type": "http.disconnect"}
            return message

        async def watched(message):
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, watched)

    def _message(self, size, note="declared"):
        return (
            f"Expected a request of at most {self.max_bytes:,} bytes (the server's upload "
            f"limit, `serve --max-upload-mb`). Received: {size:,} bytes ({note})"
        )


async def _reply(send, status, detail):
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
