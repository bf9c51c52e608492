"""``serve``: the local web app (camera and photos in the browser) and its REST API."""

import argparse
import secrets
import sys

from ..serving import _limits as limits
from ..serving._access import HideToken, is_loopback, is_wildcard, server_hosts
from ._common import (
    UsageError,
    add_detector_options,
    add_model_options,
    load_model,
    make_face_detector,
)

SERVE_EPILOG = """examples:
  bilstm-emotion serve                              # http://127.0.0.1:8000, default model
  bilstm-emotion serve --port 9000 --model bilstm
  bilstm-emotion serve --estimator mine.skops --max-upload-mb 8

routes: /  the page (camera and photo tabs); /docs  the API's OpenAPI page;
POST /api/predict  photos (multipart, field "files") -> predict --json's records;
GET /api/models, GET /api/health; WebSocket /ws/stream  camera frames -> faces

who may use it: the server listens on 127.0.0.1 (this computer only) unless --host
says otherwise, and answers only requests addressed to its own names (--allow-host
adds one) and, from web pages, only its own page (--allow-origin adds a site). Bound
beyond this computer (--host 0.0.0.0) it asks every request for a token, printed in
the URL at start (--token sets it, --no-token drops it: anyone who can reach the
port can then use the model and see whether a camera is on)
"""


def _serve(args):
    try:
        import uvicorn

        from ..serving._server import create_app
    except ImportError as exc:
        raise ImportError(
            f'`serve` needs the `serve` extra: pip install "bilstm-emotion[serve]" '
            f"(missing: {exc.name})"
        ) from None
    _check_positive(args)
    token = _token(args)
    hosts = server_hosts(args.host, args.allow_host)
    model = load_model(args)
    app = create_app(
        model,
        model_name=args.estimator or args.model,
        detector=make_face_detector(args),
        token=token,
        allowed_hosts=hosts,
        allowed_origins=args.allow_origin,
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        max_uploads=args.max_uploads,
        max_request_files=args.max_request_files,
        max_request_pixels=int(args.max_request_mp * 1e6),
        max_request_seconds=args.max_request_seconds,
        max_frame_bytes=int(args.max_frame_mb * 2**20),
        max_frame_pixels=int(args.max_frame_mp * 1e6),
        queue_size=args.queue_size,
        detect_every=args.detect_every,
    )
    print(_banner(args, token), file=sys.stderr, flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning" if args.quiet else "info",
        log_config=_log_config(),
        ws_max_size=int(args.max_frame_mb * 2**20) + 2**16,
    )
    return 0


def _log_config():
    """uvicorn's logging, its access log writing ``?token=...`` as ``?token=***``."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["hide_token"] = {"()": HideToken}
    config["handlers"]["access"].setdefault("filters", []).append("hide_token")
    return config


def _check_positive(args):
    """Every limit, --queue-size and --detect-every above zero (counts at least 1),
    before any model is loaded."""
    options = [(option, kind) for option, kind, *_ in _LIMIT_OPTIONS]
    for option, kind in [*options, ("--queue-size", int), ("--detect-every", float)]:
        value = getattr(args, option.removeprefix("--").replace("-", "_"))
        if (value < 1) if kind is int else (value <= 0):
            bound = ">= 1" if kind is int else "> 0"
            raise UsageError(f"Expected {option} {bound}. Received: {value}")


def _token(args):
    """The token asked for: --token, none with --no-token or on this computer only,
    else a new random one (as Jupyter does)."""
    if args.token is not None and args.no_token:
        raise UsageError("Expected --token or --no-token, not both")
    if args.token is not None:
        return args.token
    if args.no_token or (is_loopback(args.host) and "*" not in args.allow_host):
        return None  # ("*" answers any name: pages of any site, rebinding theirs, could)
    return secrets.token_urlsafe(24)


def _banner(args, token):
    """What ``serve`` says as it starts: where to open it, and who else can."""
    host = args.host
    shown = "127.0.0.1" if is_wildcard(host) else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    lines = [f"bilstm-emotion serve: {url} (Ctrl-C stops)"]
    if not is_loopback(host):
        lines.append(
            f"Listening on {host}: any computer that can reach this one on port {args.port} "
            "can connect"
            + (
                " (each request must carry the token above; from another "
                "computer, open the URL with this computer's name or address)"
                if token
                else ""
            )
        )
        if not token:
            lines.append(
                "WARNING: --no-token: anyone who can reach the port can use the model, send "
                "photos and see whether a camera is on; use it only on a network you trust"
            )
    return "\n".join(lines)


#: The limits of ``serve`` (their defaults are the web app's, ``serving/_limits``):
#: option, type, default, metavar, help.
_LIMIT_OPTIONS = [
    (
        "--max-upload-mb",
        float,
        limits.MAX_UPLOAD_BYTES / 2**20,
        "MB",
        "largest request to the API; larger ones get 413 (%(default)g)",
    ),
    (
        "--max-uploads",
        int,
        limits.MAX_UPLOADS_AT_ONCE,
        "N",
        "requests to the API processed at once; more get 429 (%(default)s)",
    ),
    (
        "--max-request-files",
        int,
        limits.MAX_REQUEST_FILES,
        "N",
        "files in one request; more get 413 (%(default)s)",
    ),
    (
        "--max-request-mp",
        float,
        limits.MAX_REQUEST_PIXELS / 1e6,
        "MP",
        "million pixels the files of one request decode to; more get 413 (%(default)g)",
    ),
    (
        "--max-request-seconds",
        float,
        limits.MAX_REQUEST_SECONDS,
        "S",
        "model time of one request; its files past it are answered 'not processed' (%(default)g)",
    ),
    (
        "--max-frame-mb",
        float,
        limits.MAX_FRAME_BYTES / 2**20,
        "MB",
        "largest camera frame (%(default)g)",
    ),
    (
        "--max-frame-mp",
        float,
        limits.MAX_FRAME_PIXELS / 1e6,
        "MP",
        "million pixels a camera frame may decode to (%(default)g: 3840x2160)",
    ),
]


def add_parser(sub):
    s = sub.add_parser(
        "serve",
        help="the web app: emotions from the camera or photos in the browser",
        description="Serve a page that reads the camera (getUserMedia) and shows each face's "
        "emotion live, with a chart of the last minute and the session's timeline as CSV, a "
        "tab for photos (upload or drag and drop), and a REST API with OpenAPI docs. Every "
        'asset is served by the package (works offline). Needs pip install "bilstm-emotion'
        '[serve]".',
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    s.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the server also answers to (a DNS name, a proxy's); repeatable; '*' any",
    )
    s.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a site (http://host:port) whose pages may also use the API and "
        "the camera; repeatable",
    )
    s.add_argument(
        "--token",
        help="the token every request must carry (default: a new "
        "one when --host is not this computer only)",
    )
    s.add_argument(
        "--no-token",
        action="store_true",
        help="ask no token even when listening beyond this computer",
    )
    for option, kind, default, metavar, text in _LIMIT_OPTIONS:
        s.add_argument(option, type=kind, default=default, metavar=metavar, help=text)
    s.add_argument(
        "--queue-size",
        type=int,
        default=8,
        metavar="N",
        help="camera frames (all clients) that may wait for the model; more are "
        "dropped and counted, never queued (8)",
    )
    s.add_argument(
        "--detect-every",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between searches of a camera's whole frame (1.0)",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    add_model_options(s)
    add_detector_options(s)
    s.set_defaults(func=_serve)
