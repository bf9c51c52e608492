"""The web app's limits on what one client may ask of it, with their defaults.

Each is a parameter of :func:`~bilstm_emotion.serving.create_app` and an
option of ``bilstm-emotion serve``; what exceeds one is refused with a status
and a message naming the limit (``413`` too large, ``429`` too many at once).
"""

import asyncio

from ._access import SAFE_METHODS, json_reply

#: Bytes one request to the REST API may carry (all its files together): 32 MiB.
MAX_UPLOAD_BYTES = 32 * 2**20
#: Bytes one camera frame (one WebSocket message) may carry: 4 MiB.
MAX_FRAME_BYTES = 4 * 2**20
#: Pixels one camera frame may decode to: 3840x2160 (4K UHD).
MAX_FRAME_PIXELS = 3840 * 2160
#: Files in one request to the REST API.
MAX_REQUEST_FILES = 100
#: Pixels the files of one request may decode to, together: 400 million (a large
#: JPEG counts at the reduced size it is decoded at, see ``MAX_IMAGE_SIDE``).
MAX_REQUEST_PIXELS = 400_000_000
#: Seconds of model time one request may take; its files past that are answered
#: with a record saying they were not processed.
MAX_REQUEST_SECONDS = 30.0
#: Requests to the REST API processed at once; one more gets 429 before its body is read.
MAX_UPLOADS_AT_ONCE = 2
#: Seconds a request body may take to arrive, in all and between two of its chunks: a
#: client that stalls mid-upload gets 408 and gives its upload slot back.
BODY_SECONDS, BODY_IDLE_SECONDS = 60.0, 10.0


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets ``413``, read or not;
    one that takes longer than ``seconds`` to arrive, or stalls for ``idle_seconds``
    between two chunks, gets ``408``.

    A declared ``Content-Length`` over the limit is refused before anything is
    read; a body sent in chunks is counted as it arrives.
    """

    def __init__(self, app, max_bytes, seconds=BODY_SECONDS, idle_seconds=BODY_IDLE_SECONDS):
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.idle_seconds = idle_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                declared = int(declared)
            except ValueError:
                return await json_reply(
                    send, 400, f"Expected a number as Content-Length. Received: {declared[:40]!r}"
                )
            if declared > self.max_bytes:
                return await json_reply(send, 413, self._message(declared))
        seen, started, refused, whole = 0, False, False, False
        deadline = asyncio.get_running_loop().time() + self.seconds

        async def counted():
            nonlocal seen, refused, whole
            if refused:
                return {"type": "http.disconnect"}
            if whole:  # the body is in: what comes now is the client leaving, whenever
                return await receive()
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), min(left, self.idle_seconds))
            except TimeoutError:
                refused = True
                if not started:
                    await json_reply(send, 408, self._too_slow(seen))
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                whole = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not started:
                    # answer now; the app sees the client leave and its reply is dropped
                    refused = True
                    await json_reply(send, 413, self._message(seen, "so far"))
                    return {"type": "http.disconnect"}
            return message

        async def watched(message):
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, watched)

    def _too_slow(self, seen):
        return (
            f"Expected the request's body within {self.seconds:g} s, with no pause over "
            f"{self.idle_seconds:g} s. Received: {seen:,} bytes, then nothing"
        )

    def _message(self, size, note="declared"):
        return (
            f"Expected a request of at most {self.max_bytes:,} bytes (the server's upload "
            f"limit, `serve --max-upload-mb`). Received: {size:,} bytes ({note})"
        )


class UploadSlots:
    """ASGI middleware: at most ``slots`` requests that send a body at once.

    One more gets ``429`` with ``Retry-After`` before its body is read, so
    uploads never wait in memory for their turn. Requests without a body
    (``GET``, the WebSocket) are not counted.
    """

    def __init__(self, app, slots):
        self.app = app
        self.slots = slots
        self.busy = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        if self.busy >= self.slots:
            detail = (
                f"Expected at most {self.slots} uploads at once (`serve --max-uploads`); "
                f"{self.busy} are being processed: send it again in a moment"
            )
            return await json_reply(send, 429, detail, headers=[(b"retry-after", b"1")])
        self.busy += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.busy -= 1


class RequestTooLarge(Exception):
    """A request over one of the work limits (files, pixels): answered with 413."""
