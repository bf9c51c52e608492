"""The local web app and REST API of ``bilstm-emotion serve``, as an ASGI app.

Needs the ``serve`` extra (``pip install "bilstm-emotion[serve]"``: FastAPI,
uvicorn, and offline copies of the OpenAPI page's scripts). Run it with
uvicorn, or mount it in an app of your own::

    import uvicorn
    from bilstm_emotion.serving import create_app

    uvicorn.run(create_app(), host="127.0.0.1", port=8000)

Routes: ``/`` the page (camera and photo tabs), ``/docs`` the OpenAPI page,
``POST /api/predict``, ``GET /api/models``, ``GET /api/health`` and the
WebSocket ``/ws/stream``; :doc:`/serving` describes each, who may use them
(the ``Host``, ``Origin`` and token checks of :class:`AccessGuard`) and the
limits below.
"""

from ._access import LOOPBACK_HOSTS, AccessGuard, HideToken
from ._limits import (
    MAX_FRAME_BYTES,
    MAX_FRAME_PIXELS,
    MAX_REQUEST_FILES,
    MAX_REQUEST_PIXELS,
    MAX_REQUEST_SECONDS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOADS_AT_ONCE,
    BodyLimit,
    UploadSlots,
)
from ._outbox import SEND_TIMEOUT
from ._server import create_app

__all__ = [
    "LOOPBACK_HOSTS",
    "MAX_FRAME_BYTES",
    "MAX_FRAME_PIXELS",
    "MAX_REQUEST_FILES",
    "MAX_REQUEST_PIXELS",
    "MAX_REQUEST_SECONDS",
    "MAX_UPLOADS_AT_ONCE",
    "MAX_UPLOAD_BYTES",
    "SEND_TIMEOUT",
    "AccessGuard",
    "BodyLimit",
    "HideToken",
    "UploadSlots",
    "create_app",
]
