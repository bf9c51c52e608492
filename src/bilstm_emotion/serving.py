"""The local web app and REST API of ``bilstm-emotion serve``, as an ASGI app.

Needs the ``serve`` extra (``pip install "bilstm-emotion[serve]"``: FastAPI,
uvicorn, and offline copies of the OpenAPI page's scripts). Run it with
uvicorn, or mount it in an app of your own::

    import uvicorn
    from bilstm_emotion.serving import create_app

    uvicorn.run(create_app(), host="127.0.0.1", port=8000)

Routes: ``/`` the page (camera and photo tabs), ``/docs`` the OpenAPI page,
``POST /api/predict``, ``GET /api/models``, ``GET /api/health`` and the
WebSocket ``/ws/stream``; :doc:`/serving` describes each.
"""

from .apps._server import MAX_FRAME_BYTES, MAX_UPLOAD_BYTES, BodyLimit, create_app

__all__ = ["MAX_FRAME_BYTES", "MAX_UPLOAD_BYTES", "BodyLimit", "create_app"]
