"""``serve``: the local web app (camera and photos in the browser) and its REST API."""

import argparse
import sys

from ._common import add_detector_options, add_model_options, load_model, make_face_detector

SERVE_EPILOG = """examples:
  bilstm-emotion serve                              # http://127.0.0.1:8000, default model
  bilstm-emotion serve --port 9000 --model bilstm
  bilstm-emotion serve --estimator mine.skops --max-upload-mb 8

routes: /  the page (camera and photo tabs); /docs  the API's OpenAPI page;
POST /api/predict  photos (multipart, field "files") -> predict --json's records;
GET /api/models, GET /api/health; WebSocket /ws/stream  camera frames -> faces

the server listens on 127.0.0.1 (this computer only) unless --host says otherwise;
it has no log-in: give --host 0.0.0.0 only on a network you trust
"""


def _serve(args):
    try:
        import uvicorn

        from ..apps._server import create_app
    except ImportError as exc:
        raise ImportError(
            f'`serve` needs the `serve` extra: pip install "bilstm-emotion[serve]" '
            f"(missing: {exc.name})"
        ) from None
    for name in ("max_upload_mb", "max_frame_mb", "detect_every"):
        if getattr(args, name) <= 0:
            raise ValueError(f"Expected --{name.replace('_', '-')} > 0. Received: "
                             f"{getattr(args, name)}")  # fmt: skip
    if args.queue_size < 1:
        raise ValueError(f"Expected --queue-size >= 1. Received: {args.queue_size}")
    model = load_model(args)
    app = create_app(
        model, model_name=args.estimator or args.model, detector=make_face_detector(args),
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        max_frame_bytes=int(args.max_frame_mb * 2**20), queue_size=args.queue_size,
        detect_every=args.detect_every,
    )  # fmt: skip
    print(f"bilstm-emotion serve: http://{args.host}:{args.port}/ (Ctrl-C stops)",
          file=sys.stderr, flush=True)  # fmt: skip
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info",
        ws_max_size=int(args.max_frame_mb * 2**20) + 2**16,
    )  # fmt: skip
    return 0


def add_parser(sub):
    s = sub.add_parser(
        "serve", help="the web app: emotions from the camera or photos in the browser",
        description="Serve a page that reads the camera (getUserMedia) and shows each face's "
        "emotion live, with a chart of the last minute and the session's timeline as CSV, a "
        "tab for photos (upload or drag and drop), and a REST API with OpenAPI docs. Every "
        'asset is served by the package (works offline). Needs pip install "bilstm-emotion'
        '[serve]".',
        epilog=SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (8000)")
    s.add_argument("--max-upload-mb", type=float, default=32.0, metavar="MB",
                   help="largest request to the API; larger ones get 413 (32)")  # fmt: skip
    s.add_argument("--max-frame-mb", type=float, default=4.0, metavar="MB",
                   help="largest camera frame (4)")  # fmt: skip
    s.add_argument("--queue-size", type=int, default=8, metavar="N",
                   help="camera frames (all clients) that may wait for the model; more are "
                   "dropped and counted, never queued (8)")  # fmt: skip
    s.add_argument("--detect-every", type=float, default=1.0, metavar="SECONDS",
                   help="seconds between searches of a camera's whole frame (1.0)")  # fmt: skip
    s.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    add_model_options(s)
    add_detector_options(s)
    s.set_defaults(func=_serve)
