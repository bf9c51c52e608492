"""Who may use the web app: the Host it is called by, the page that calls it, a token.

A browser runs the script of every site its user visits, and that script may
send requests to ``127.0.0.1``: the server must tell its own page from
another site's. Three checks, before any route runs:

- **Host**: a request whose ``Host`` header is not one of the server's own
  names gets ``403`` (a page on another site that re-points its own name at
  127.0.0.1, "DNS rebinding", sends its own name).
- **Origin**: a WebSocket, and a request that changes anything (``POST``, ...),
  sent by a page of another origin (or of the opaque origin ``null``) gets
  ``403``; programs that send no ``Origin`` (curl, scripts) are not pages.
- **Token**: where one is set (by default whenever the server listens beyond
  this computer), every request must carry it: ``?token=`` in the URL (the
  page's, once: it is then kept in a cookie), the cookie, or an
  ``Authorization: Bearer`` header; otherwise ``401``.
"""

import hmac
import ipaddress
import json
import logging
import re
import socket
from urllib.parse import parse_qs, urlsplit

#: Names every server answers to.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
#: The cookie that keeps the token once a page was opened with ``?token=`` (its name
#: ends in the server's port: browsers send a host's cookies to all its ports).
TOKEN_COOKIE = "bilstm_emotion_token"
#: Methods that change nothing (and send no body): no Origin check, no upload slot.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback(host):
    """Whether ``host`` (a name or an address) is this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host):
    """Whether binding ``host`` listens on every address of the computer."""
    return host.strip("[]") in ("0.0.0.0", "::", "")


def server_hosts(bind, extra=()):
    """The ``Host`` names a server bound to ``bind`` answers to.

    The loopback names, ``bind`` itself, and, where ``bind`` is a wildcard
    (``0.0.0.0``, ``::``), this computer's name and the addresses it resolves
    to (best effort: a name or address missing here is added with
    ``serve --allow-host``); then ``extra``. ``"*"`` in ``extra`` accepts any.
    """
    hosts = [*LOOPBACK_HOSTS, bind]
    if is_wildcard(bind):
        name = socket.gethostname()
        hosts += [name, socket.getfqdn()]
        try:
            hosts += [info[4][0] for info in socket.getaddrinfo(name, None)]
        except OSError:
            pass
        hosts += _outgoing_addresses()
    hosts += list(extra)
    return tuple(dict.fromkeys(h.strip("[]").lower() for h in hosts if h and not is_wildcard(h)))


def _outgoing_addresses():
    """The addresses this computer would send from (no packet is sent)."""
    found = []
    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                found.append(probe.getsockname()[0])
        except OSError:
            pass
    return found


_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?")


def split_host(value):
    """``(host, port)`` of a ``Host`` header: a name or an address and an optional port,
    nothing else (no user, no path); ``(None, None)`` for anything else."""
    match = _HOST.fullmatch(value)
    if match is None:
        return None, None
    port = match.group(2)
    return match.group(1).strip("[]").lower(), int(port) if port else None


class AccessGuard:
    """ASGI middleware: the Host, Origin and token checks of the module's docstring.

    Parameters
    ----------
    app : ASGI app
        What is guarded.
    allowed_hosts : sequence of str
        Host names (without port) the server answers to; ``"*"``: any.
    allowed_origins : sequence of str
        Origins (``scheme://host[:port]``) besides the server's own whose pages
        may use it; ``"*"``: any.
    token : str or None
        What every request must carry; ``None``: no token.
    """

    def __init__(self, app, *, allowed_hosts=LOOPBACK_HOSTS, allowed_origins=(), token=None):
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.allowed_origins = {o.rstrip("/").lower() for o in allowed_origins}
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await _refuse(scope, receive, send, *refusal)
        login = self._login_redirect(scope)
        if login is not None:
            return await login(send)
        return await self.app(scope, receive, send)

    def _refusal(self, scope, headers):
        """``(status, detail)`` for a request that may not pass, else None."""
        host = headers.get("host", "")
        name, _ = split_host(host)
        if "*" not in self.allowed_hosts and name not in self.allowed_hosts:
            names = ", ".join(sorted(self.allowed_hosts))
            return 403, (
                f"Expected a Host this server answers to ({names}; `serve --allow-host` "
                f"adds one). Received: Host={host[:100]!r}"
            )
        origin = headers.get("origin")
        changes = scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
        if origin is not None and changes and not self._same_or_allowed(origin, host):
            return 403, (
                f"Expected a page of this server's own origin (`serve --allow-origin` adds "
                f"one). Received: Origin={origin[:100]!r}"
            )
        if self.token is not None:
            given = _given_token(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                return 401, (
                    "Expected the server's token: open the URL `serve` printed (it ends in "
                    "?token=...), or send the header `Authorization: Bearer TOKEN`. Received: "
                    + ("no token" if given is None else "a wrong token")
                )
        return None

    def _same_or_allowed(self, origin, host):
        origin = origin.rstrip("/").lower()
        if origin in self.allowed_origins or "*" in self.allowed_origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc == host.lower()

    def _login_redirect(self, scope):
        """The page opened with ``?token=``: keep the token in a cookie, and show the
        page at its plain URL (the token out of the address bar and the history)."""
        if self.token is None or scope["type"] != "http" or scope["path"] != "/":
            return None
        if "token" not in parse_qs(scope.get("query_string", b"").decode("latin-1")):
            return None
        cookie = f"{_cookie_name(scope)}={self.token}; Path=/; HttpOnly; SameSite=Strict"

        async def redirect(send):
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", b"/"),
                        (b"set-cookie", cookie.encode()),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})

        return redirect


def _given_token(scope, headers):
    """The token a request carries (header, then query, then cookie), or None."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "token") and value:
        return value.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    # starlette's parser, as browsers read cookies: one odd cookie of another app on
    # this host (``a[b]=c``, ``x=hello world``) does not hide ours, as it did in
    # http.cookies
    from starlette.requests import cookie_parser

    return cookie_parser(headers.get("cookie", "")).get(_cookie_name(scope))


def _cookie_name(scope):
    server = scope.get("server") or (None, None)
    return TOKEN_COOKIE if server[1] is None else f"{TOKEN_COOKIE}_{server[1]}"


class HideToken(logging.Filter):
    """A logging filter that writes ``token=...`` in logged URLs as ``token=***``
    (uvicorn's access log: the page is opened once with the token in its URL)."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        return True


_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s]*")


async def _refuse(scope, receive, send, status, detail):
    if scope["type"] == "http":
        return await json_reply(send, status, detail)
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        # the handshake answered with a status and the reason, as for HTTP
        return await json_reply(send, status, detail, prefix="websocket.")
    await send({"type": "websocket.close", "code": 1008})  # answered with 403


async def json_reply(send, status, detail, *, headers=(), prefix=""):
    """Answer ``{"detail": detail}`` with ``status`` (``prefix="websocket."``: a
    WebSocket handshake answered with it, ASGI's ``websocket.http.response``)."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": f"{prefix}http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": f"{prefix}http.response.body", "body": body})
