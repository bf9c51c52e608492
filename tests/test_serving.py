"""The web app's REST API and camera WebSocket, through FastAPI's test client."""

import contextlib
import io
import json
import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
import warnings

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the `serve` extra (in `tests`)")

with warnings.catch_warnings():  # starlette's notice about httpx's successor
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
    from starlette.testclient import WebSocketDenialResponse

from PIL import Image
from skimage import data

from bilstm_emotion.monitoring import predict_images
from bilstm_emotion.preprocessing import MultiFrameWarning
from bilstm_emotion.serving import create_app
from bilstm_emotion.video._tracking import timeline_fields

pytestmark = pytest.mark.xdist_group("serving")

# the test client's requests as a browser on this computer sends them
LOCAL = "http://127.0.0.1:8000"
STREAM = "ws://127.0.0.1:8000/ws/stream"


def _jpeg(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def astronaut():
    return _jpeg(data.astronaut())


@pytest.fixture(scope="module")
def estimator():
    from bilstm_emotion import load_pretrained

    return load_pretrained()


@pytest.fixture(scope="module")
def client(estimator):
    app = create_app(estimator, model_name="conv-lite", max_upload_bytes=2**20)
    with TestClient(app, base_url=LOCAL) as client:
        yield client


def test_health_models_and_page(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["model"] == "conv-lite"
    # the shipped model runs on onnxruntime, and the page shows what runs it (issue 45)
    assert health["engine"] == "ONNX graph on onnxruntime, int8"
    assert "h.engine" in client.get("/static/app.js").text
    assert set(health["frames"]) == {"received", "processed", "dropped", "skipped", "errors"}
    models = client.get("/api/models").json()
    assert models["loaded"]["classes"] == [
        "angry",
        "disgust",
        "fear",
        "happy",
        "neutral",
        "sad",
        "surprise",
    ]
    assert "conv-lite" in [m["name"] for m in models["pretrained"]]
    assert all(0.5 < m["accuracy"] < 1 for m in models["pretrained"])
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/predict", "/api/models", "/api/health"} <= set(paths)


def test_every_asset_is_served_by_the_package(client):
    """Offline: the page and the OpenAPI page name no other host, and each asset loads."""
    for page in ("/", "/docs"):
        html = client.get(page).text
        links = re.findall(r'(?:src|href)="([^"]+)"', html)
        links += re.findall(r"(?:swagger_js_url|url): *'([^']+)'", html)
        assert links, page
        for link in links:
            assert not re.match(r"(https?:)?//", link), f"{page} loads {link} from elsewhere"
            if link.startswith("/") and link != "/docs":
                assert client.get(link).status_code == 200, link
    assert "/static/app.js" in client.get("/").text
    # the frame clock's worker, which the script starts
    assert "/static/ticker.js" in client.get("/static/app.js").text
    assert client.get("/static/ticker.js").status_code == 200


def test_predict_gives_the_records_of_predict_json(client, estimator, astronaut):
    response = client.post("/api/predict", files=[("files", ("astro.jpg", astronaut))])
    assert response.status_code == 200
    (record,) = response.json()
    (expected,) = predict_images([astronaut], estimator)
    assert list(record) == list(expected)  # the same columns, in order
    assert record["source"] == "astro.jpg"
    assert record["label"] == expected["label"] == "happy"
    assert [record[k] for k in ("row", "col", "height", "width")] == [
        expected[k] for k in ("row", "col", "height", "width")
    ]
    assert record["happy"] == pytest.approx(expected["happy"], abs=1e-4)


def test_predict_names_each_file_that_is_not_an_image(client, astronaut):
    files = [
        ("files", ("a.jpg", astronaut)),
        ("files", ("notes.txt", b"hello")),
        ("files", ("empty.png", b"")),
    ]
    records = client.post("/api/predict", files=files).json()
    assert [r["source"] for r in records] == ["a.jpg", "notes.txt", "empty.png"]
    assert records[0]["status"] == "ok"
    assert "notes.txt: not an image file" in records[1]["status"]
    assert "empty" in records[2]["status"]
    # none of them an image: 415, each file named once, in words (the page shows it)
    refused = client.post("/api/predict", files=files[1:])
    assert refused.status_code == 415
    assert refused.json()["detail"] == [
        "Cannot read image notes.txt: not an image file",
        "Cannot read image empty.png: the file is empty",
    ]


def test_a_damaged_tiff_is_named_and_the_good_photos_kept(client, astronaut, damaged_tiff):
    """Pillow's TypeError on a TIFF page without a width gave a 500 that lost them all."""
    files = [("files", ("a.jpg", astronaut)), ("files", ("pages.tiff", damaged_tiff))]
    response = client.post("/api/predict", files=files)
    assert response.status_code == 200
    records = response.json()
    assert [r["source"] for r in records] == ["a.jpg", "pages.tiff"]
    assert records[0]["status"] == "ok"
    assert "pages.tiff: Missing dimensions" in records[1]["status"]
    only_bad = client.post("/api/predict", files=[("files", ("notes.txt", b"hello"))])
    assert only_bad.status_code == 415
    assert "notes.txt" in only_bad.json()["detail"][0]
    assert client.post("/api/predict").status_code == 422  # no files at all


def test_a_face_that_is_already_cropped(client):
    crop = (np.random.default_rng(0).random((48, 48)) * 255).astype(np.uint8)
    files = [("files", ("crop.png", _png(crop)))]
    (record,) = client.post("/api/predict?detect=false", files=files).json()
    assert (record["row"], record["col"], record["height"], record["width"]) == (0, 0, 48, 48)
    assert record["status"] == "ok" and record["label"]


def _png(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploads_over_the_limit_get_413_and_the_server_goes_on(client, astronaut):
    big = b"\0" * (2**20 + 1)
    response = client.post("/api/predict", files=[("files", ("big.jpg", big))])
    assert response.status_code == 413
    assert "1,048,576 bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'--x\r\nContent-Disposition: form-data; name="files"; filename="big.jpg"\r\n\r\n'
        for _ in range(20):
            yield b"\0" * 2**16

    response = client.post(
        "/api/predict",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413
    assert "so far" in response.json()["detail"]
    ok = client.post("/api/predict", files=[("files", ("a.jpg", astronaut))])
    assert ok.status_code == 200


def test_camera_frames_give_faces_and_timeline_rows(client, astronaut):
    with client.websocket_connect(STREAM) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        assert hello["columns"] == timeline_fields(hello["classes"])
        ws.send_bytes(astronaut)
        result = ws.receive_json()
        assert result["type"] == "result" and result["frame"] == 0
        (face,) = result["faces"]
        assert face["label"] == "happy" and face["face"] == 1
        (row,) = result["rows"]
        assert dict(zip(hello["columns"], row, strict=True))["label"] == "happy"
        ws.send_bytes(_jpeg(np.full((240, 320, 3), 128, np.uint8)))  # nobody there
        result = ws.receive_json()
        assert result["faces"] == [] and result["rows"][0][-1] == "no face"
        ws.send_bytes(b"not an image")
        result = ws.receive_json()
        assert "not an image" in result["error"] and result["rows"][0][-1].startswith("error")
        ws.send_text("hello")
        assert "Expected binary messages" in ws.receive_json()["detail"]


def test_a_shared_call_is_read_for_every_participant(client):
    from starlette.websockets import WebSocketDisconnect

    from bilstm_emotion.video import demo_participants, make_demo_call

    frame = _jpeg(make_demo_call(demo_participants(9)))  # a 3x3 grid at 1280x720
    with client.websocket_connect(STREAM + "?source=call") as ws:
        assert ws.receive_json()["source"] == "call"
        ws.send_bytes(frame)
        faces = ws.receive_json()["faces"]
        assert len(faces) == 9 and {f["source"] for f in faces} == {"call"}
        assert sorted(f["face"] for f in faces) == list(range(1, 10))
    # a camera's frames skip the call's finer tiles: the grid's small faces go missing
    with client.websocket_connect(STREAM) as ws:
        assert ws.receive_json()["source"] == "camera"
        ws.send_bytes(frame)
        assert len(ws.receive_json()["faces"]) < 9
    with client.websocket_connect(STREAM + "?source=screen") as ws:
        message = ws.receive_json()
        assert message["type"] == "error"
        assert (
            "Expected ?source= one of camera, call. Received: source='screen'" in message["detail"]
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1008
    assert client.get("/api/health").json()["streams"] == 0


def test_a_full_queue_drops_frames_and_counts_them(estimator, astronaut):
    app = create_app(estimator, queue_size=1, max_in_flight=1, max_frame_bytes=400_000)
    with TestClient(app, base_url=LOCAL) as client, client.websocket_connect(STREAM) as ws:
        ws.receive_json()
        for _ in range(6):
            ws.send_bytes(astronaut)
        ws.send_bytes(b"\xff" * 400_001)
        replies = [ws.receive_json() for _ in range(7)]
        kinds = [r["type"] for r in replies]
        assert "dropped" in kinds and "result" in kinds
        (large,) = [r for r in replies if "at most 400,000 bytes" in r.get("reason", "")]
        assert large["type"] == "dropped" and large["frame"] == 6  # answered like any frame
        frames = sorted(r["frame"] for r in replies if r["type"] in ("dropped", "result"))
        assert frames == list(range(7))  # each frame answered once: done or dropped
        health = client.get("/api/health").json()
        frames = health["frames"]
        assert frames["received"] == 7 and health["waiting"] == health["working"] == 0
        assert frames["processed"] + frames["dropped"] == 7 and frames["dropped"] >= 2


def test_a_client_that_leaves_mid_stream(estimator, astronaut):
    app = create_app(estimator, queue_size=4)
    with TestClient(app, base_url=LOCAL) as client:
        with client.websocket_connect(STREAM) as ws:
            ws.receive_json()
            for _ in range(3):
                ws.send_bytes(astronaut)
        # gone with frames in flight; the next client is served as usual
        with client.websocket_connect(STREAM) as ws:
            ws.receive_json()
            ws.send_bytes(astronaut)
            reply = ws.receive_json()
            while reply["type"] != "result":
                reply = ws.receive_json()
            assert reply["faces"][0]["label"] == "happy"
        health = client.get("/api/health").json()
        assert health["status"] == "ok" and health["streams"] == 0
        assert health["frames"]["errors"] == 0


def test_serve_refuses_bad_settings_before_loading_a_model(capsys, monkeypatch):
    from bilstm_emotion.cli import _serve, main

    def no_model(args):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(_serve, "load_model", no_model)
    assert main(["serve", "--queue-size", "0"]) == 2
    assert "Expected --queue-size >= 1. Received: 0" in capsys.readouterr().err
    assert main(["serve", "--max-upload-mb", "-1"]) == 2
    assert "Expected --max-upload-mb > 0" in capsys.readouterr().err


# ------------------------------------------------------- hostile and careless clients
@contextlib.contextmanager
def live_server(app, send_buffer=None):
    """``app`` under uvicorn on a free port, in a thread; yields ``"127.0.0.1:PORT"``.

    ``send_buffer``: the server's socket send buffer in bytes (a small one makes a
    client that does not read fill it in seconds, not minutes).
    """
    import uvicorn

    listener = socket.socket()
    if send_buffer:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def _ws_frame(payload):
    """One masked binary WebSocket frame, as a client sends it."""
    mask = np.frombuffer(b"\x11\x22\x33\x44", np.uint8)
    masked = (np.frombuffer(payload, np.uint8) ^ np.resize(mask, len(payload))).tobytes()
    n = len(payload)
    size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
    if n >= 65536:
        size = bytes([0x80 | 127]) + struct.pack(">Q", n)
    return b"\x82" + size + mask.tobytes() + masked


def _health(address):
    with urllib.request.urlopen(f"http://{address}/api/health", timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_a_client_that_never_reads_costs_only_itself(estimator, astronaut):
    """Issue 46, case 1: a raw socket with a tiny receive buffer sends frames and never
    reads; a normal camera beside it keeps getting results."""
    import websockets.sync.client

    small = _jpeg(np.asarray(Image.fromarray(data.astronaut()).resize((256, 256))))
    app = create_app(estimator, send_timeout=3.0)
    with live_server(app, send_buffer=4096) as address:
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        stuck.connect((address.split(":")[0], int(address.split(":")[1])))
        stuck.sendall(
            f"GET /ws/stream HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        stuck.settimeout(0.5)
        stop = threading.Event()

        def flood():  # frames as fast as the socket takes them; nothing read, ever
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    stuck.sendall(_ws_frame(small))

        flooding = threading.Thread(target=flood, daemon=True)
        flooding.start()
        time.sleep(4)  # the stuck client's replies fill every buffer on the way
        results = 0
        with websockets.sync.client.connect(f"ws://{address}/ws/stream") as camera:
            json.loads(camera.recv(timeout=10))  # hello
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                camera.send(small)
                reply = json.loads(camera.recv(timeout=10))
                results += reply["type"] == "result"
        stop.set()
        flooding.join(timeout=10)
        stuck.close()
        health = _health(address)
    assert results >= 10, f"the camera beside a stuck client got {results} results"
    frames = health["frames"]
    assert frames["received"] == frames["processed"] + frames["dropped"] + frames["skipped"]


@pytest.fixture(scope="module")
def guarded(estimator):
    app = create_app(estimator, allowed_origins=["http://friend.example:3000"])
    with TestClient(app, base_url=LOCAL) as client:
        yield client


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", ""])
def test_a_foreign_host_is_refused_on_every_route(guarded, astronaut, host):
    """Issue 46, case 2 (DNS rebinding): another site's name pointed at 127.0.0.1."""
    headers = {"host": host}
    for response in (
        guarded.get("/api/health", headers=headers),
        guarded.get("/", headers=headers),
        guarded.post("/api/predict", files=[("files", ("a.jpg", astronaut))], headers=headers),
    ):
        assert response.status_code == 403
        assert "Expected a Host this server answers to" in response.json()["detail"]
    with pytest.raises(WebSocketDenialResponse) as denied:
        with guarded.websocket_connect(f"ws://{host or 'x'}/ws/stream", headers=headers):
            pass
    assert denied.value.status_code == 403


def test_pages_of_other_sites_may_not_post_or_open_the_camera(guarded, astronaut):
    """Issue 46, case 2: a page on another site (or a sandboxed one, Origin null)."""
    files = [("files", ("a.jpg", astronaut))]
    for origin in ("http://evil.example", "null", "http://127.0.0.1:9999"):
        response = guarded.post("/api/predict", files=files, headers={"origin": origin})
        assert response.status_code == 403
        assert f"Received: Origin={origin!r}" in response.json()["detail"]
        with pytest.raises(WebSocketDenialResponse) as denied:
            with guarded.websocket_connect(STREAM, headers={"origin": origin}):
                pass
        assert denied.value.status_code == 403
    # its own page, a site allowed by name, and programs (no Origin) may
    for headers in ({"origin": LOCAL}, {"origin": "http://friend.example:3000"}, {}):
        assert guarded.post("/api/predict", files=files, headers=headers).status_code == 200
        with guarded.websocket_connect(STREAM, headers=headers) as ws:
            assert ws.receive_json()["type"] == "hello"
    # reading is not changing: a GET from a foreign page is the browser's business
    assert guarded.get("/api/health", headers={"origin": "http://evil.example"}).status_code == 200


def test_a_token_guards_every_route_and_the_page_keeps_it(estimator, astronaut):
    app = create_app(estimator, token="s3cret-T0ken")
    with TestClient(app, base_url=LOCAL) as client:
        response = client.get("/api/health")
        assert response.status_code == 401 and "Received: no token" in response.json()["detail"]
        wrong = client.get("/api/health", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "a wrong token" in wrong.json()["detail"]
        with pytest.raises(WebSocketDenialResponse) as denied:
            with client.websocket_connect(STREAM):
                pass
        assert denied.value.status_code == 401
        ok = client.get("/api/health", headers={"authorization": "Bearer s3cret-T0ken"})
        assert ok.status_code == 200
        # the URL serve prints: the page is shown at its plain URL, the token kept
        login = client.get("/?token=s3cret-T0ken", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        # named after the port: browsers send a host's cookies to every port of it
        assert cookie.startswith("bilstm_emotion_token_8000=s3cret-T0ken;")
        # other apps' cookies on this host, even ones Python's own parser gives up on
        for odd in ("ui[theme]=dark", "msg=hello world", "path=x"):
            headers = {"cookie": f"{odd}; bilstm_emotion_token_8000=s3cret-T0ken"}
            assert client.get("/api/health", headers=headers).status_code == 200
        client.cookies.set("bilstm_emotion_token_8000", "s3cret-T0ken")
        assert client.get("/").status_code == 200
        assert client.post("/api/predict", files=[("files", ("a.jpg", astronaut))]).is_success
        with client.websocket_connect(STREAM) as ws:
            assert ws.receive_json()["type"] == "hello"
    with pytest.raises(ValueError, match=r"letters, digits and -\._~ only"):
        create_app(estimator, token="a;b")


def test_a_request_over_the_work_limits_is_refused_by_name(estimator, astronaut):
    """Issue 46, case 3: a small upload that decodes to a huge image, many of them."""
    buffer = io.BytesIO()
    Image.new("L", (1500, 1500), 200).save(buffer, format="PNG")  # 5 KB, 2.25 million px
    flat = buffer.getvalue()
    app = create_app(
        estimator, max_request_pixels=4_000_000, max_request_files=3, max_request_seconds=0.0
    )
    with TestClient(app, base_url=LOCAL) as client:
        two = client.post("/api/predict", files=[("files", (f"{i}.png", flat)) for i in range(2)])
        assert two.status_code == 413
        assert two.json()["detail"] == (
            "Expected images of at most 4 million pixels in one request, all files together "
            "(`serve --max-request-mp`). Received: 4.5 million in 2 files; send fewer files at "
            "a time"
        )
        four = client.post(
            "/api/predict", files=[("files", (f"{i}.jpg", astronaut)) for i in range(4)]
        )
        assert four.status_code == 413 and "at most 3 files" in four.json()["detail"]
        # past the request's model time the other files are answered, not dropped
        records = client.post(
            "/api/predict",
            files=[("files", ("a.jpg", astronaut)), ("files", ("b.jpg", astronaut))],
        ).json()
        assert [r["source"] for r in records] == ["a.jpg", "b.jpg"]
        assert records[0]["label"] == "happy"
        assert records[1]["status"].startswith("error: not processed: the request used its 0 s")


def test_a_frame_over_the_pixel_limit_is_answered_and_counted(estimator):
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1000), (90, 90, 90)).save(buffer, format="PNG")
    app = create_app(estimator, max_frame_pixels=1_000_000)
    with TestClient(app, base_url=LOCAL) as client, client.websocket_connect(STREAM) as ws:
        ws.receive_json()
        ws.send_bytes(buffer.getvalue())
        reply = ws.receive_json()
        assert reply["error"] == (
            "Expected a frame of at most 1.0 million pixels (`serve --max-frame-mp`). "
            "Received: 2.0 million"
        )
        assert reply["stats"]["errors"] == 1 and reply["stats"]["processed"] == 1


def test_uploads_beyond_the_slots_get_429_before_their_body_is_read(estimator, astronaut):
    """Issue 46, case 6: uploads are admitted, not queued in memory without bound."""
    app = create_app(estimator, max_uploads=2)
    with live_server(app) as address:
        host, port = address.split(":")
        slow = []
        for _ in range(2):  # two uploads whose bodies are still on their way
            s = socket.create_connection((host, int(port)))
            s.sendall(
                f"POST /api/predict HTTP/1.1\r\nHost: {address}\r\nContent-Length: 1000000\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n\r\n--x\r\n".encode()
            )
            slow.append(s)
        time.sleep(0.5)
        request = urllib.request.Request(
            f"http://{address}/api/predict", data=b"--x--", method="POST"
        )
        request.add_header("content-type", "multipart/form-data; boundary=x")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 429 and refused.value.headers["retry-after"] == "1"
        assert "at most 2 uploads at once" in json.loads(refused.value.read())["detail"]
        for s in slow:
            s.close()
        time.sleep(0.5)  # their slots are given back
        ok = urllib.request.urlopen(f"http://{address}/api/health", timeout=10)
        assert ok.status == 200


def test_counters_add_up_and_notes_reach_the_answer(estimator, astronaut):
    """Issue 46, case 8: frames that failed or whose stream closed are counted; a GIF's
    first-frame-only note is in its records."""
    app = create_app(estimator, queue_size=4)
    with TestClient(app, base_url=LOCAL) as client:
        with client.websocket_connect(STREAM) as ws:
            ws.receive_json()
            ws.send_bytes(b"not an image")
            assert ws.receive_json()["error"]
            for _ in range(3):
                ws.send_bytes(astronaut)  # the stream closes with frames waiting
        time.sleep(2)
        frames = client.get("/api/health").json()["frames"]
        assert frames["received"] == 4 and frames["errors"] == 1
        assert frames["received"] == frames["processed"] + frames["dropped"] + frames["skipped"]
        gif = io.BytesIO()
        still = Image.fromarray(data.astronaut())
        still.save(gif, format="GIF", save_all=True, append_images=[still.rotate(5)])
        with pytest.warns(MultiFrameWarning):  # in the server's log too
            records = client.post("/api/predict", files=[("files", ("anim.gif", gif.getvalue()))])
        (record,) = records.json()
        assert record["warning"] == (
            "anim.gif holds 2 frames (an animation or a multi-page file); reading the first"
        )


def test_serve_beyond_this_computer_asks_a_token_and_says_so(estimator, capsys, monkeypatch):
    """Issue 46, case 5: --host 0.0.0.0 prints a URL with a new token and a warning."""
    import uvicorn

    from bilstm_emotion.cli import _serve, main

    started = []
    monkeypatch.setattr(_serve, "load_model", lambda args: estimator)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append((app, kw)))
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    err = capsys.readouterr().err
    token = re.search(r"http://127\.0\.0\.1:8123/\?token=([\w-]+) ", err).group(1)
    assert len(token) >= 32 and "Listening on 0.0.0.0: any computer" in err
    app, options = started[-1]
    assert options["host"] == "0.0.0.0"
    with TestClient(app, base_url=LOCAL) as client:
        assert client.get("/api/health").status_code == 401
        assert client.get("/api/health", params={"token": token}).status_code == 200
        # the computer's own name is one of the server's, another site's is not
        name = socket.gethostname().lower()
        assert client.get(f"http://{name}:8123/api/health", params={"token": token}).is_success
        foreign = client.get("http://evil.example/api/health", params={"token": token})
        assert foreign.status_code == 403
    assert main(["serve", "--host", "0.0.0.0", "--no-token"]) == 0
    assert "WARNING: --no-token: anyone who can reach the port" in capsys.readouterr().err
    assert main(["serve", "--allow-host", "*"]) == 0  # any name: pages of any site could
    assert "?token=" in capsys.readouterr().err
    assert main(["serve"]) == 0  # this computer only: no token, no warning
    err = capsys.readouterr().err
    assert err == "bilstm-emotion serve: http://127.0.0.1:8000/ (Ctrl-C stops)\n"
    assert main(["serve", "--token", "x", "--no-token"]) == 2
    assert "Expected --token or --no-token, not both" in capsys.readouterr().err


@pytest.mark.slow
def test_a_camera_is_served_while_a_large_upload_is_processed(estimator, astronaut):
    """Issue 46, case 3: the photos of one request take turns with camera frames (the
    whole request held the model before)."""
    import websockets.sync.client

    app = create_app(estimator)
    with live_server(app) as address:
        request = urllib.request.Request(f"http://{address}/api/predict", method="POST")
        boundary = "b0undary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + astronaut
            + b"\r\n"
            for i in range(24)
        ]
        request.data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request.add_header("content-type", f"multipart/form-data; boundary={boundary}")
        answer = {}
        posting = threading.Thread(
            target=lambda: answer.update(
                records=json.loads(urllib.request.urlopen(request).read())
            )
        )
        with websockets.sync.client.connect(f"ws://{address}/ws/stream") as camera:
            json.loads(camera.recv(timeout=10))  # hello
            posting.start()
            time.sleep(0.5)  # the request is being processed
            during = 0
            while posting.is_alive():
                camera.send(astronaut)
                reply = json.loads(camera.recv(timeout=60))
                during += reply["type"] == "result" and posting.is_alive()
        posting.join()
    assert len(answer["records"]) == 24
    assert during >= 3, f"the camera got {during} results while the upload was processed"


def test_an_allowed_site_gets_cors_and_others_do_not(estimator, astronaut):
    friend = "http://friend.example:3000"
    app = create_app(estimator, allowed_origins=[friend], token="t0ken")
    with TestClient(app, base_url=LOCAL) as client:
        preflight = {
            "origin": friend,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization",
        }
        answer = client.options("/api/predict", headers=preflight)
        assert answer.status_code == 200  # a preflight carries no token
        assert answer.headers["access-control-allow-origin"] == friend
        posted = client.post(
            "/api/predict",
            files=[("files", ("a.jpg", astronaut))],
            headers={"origin": friend, "authorization": "Bearer t0ken"},
        )
        assert posted.status_code == 200
        assert posted.headers["access-control-allow-origin"] == friend
        evil = {**preflight, "origin": "http://evil.example"}
        assert (
            "access-control-allow-origin"
            not in client.options("/api/predict", headers=evil).headers
        )


def _http_answer(sock):
    """One whole HTTP response read from ``sock`` (headers and the body they announce)."""
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
        if sep and len(body) >= (int(length.group(1)) if length else 0):
            return data.decode()
        chunk = sock.recv(4096)
        if not chunk:
            return data.decode()
        data += chunk


def test_a_stalled_upload_gets_408_and_frees_its_slot(estimator, astronaut):
    app = create_app(estimator, max_uploads=1, body_seconds=1.0)
    with live_server(app) as address:
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as stalled:
            stalled.sendall(
                f"POST /api/predict HTTP/1.1\r\nHost: {address}\r\nContent-Length: 1000\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n\r\n--x\r\n".encode()
            )
            answer = _http_answer(stalled)  # waits for the server's verdict
        assert answer.startswith("HTTP/1.1 408")
        assert "Expected the request's body within 1 s" in answer
        request = urllib.request.Request(f"http://{address}/api/predict", method="POST")
        request.data = (
            b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\n\r\n'
            + astronaut
            + b"\r\n--x--\r\n"
        )
        request.add_header("content-type", "multipart/form-data; boundary=x")
        with urllib.request.urlopen(request, timeout=60) as ok:  # the slot is free again
            assert json.loads(ok.read())[0]["label"] == "happy"


def test_the_token_is_not_written_to_the_access_log():
    import logging

    from bilstm_emotion.serving import HideToken

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/?token=s3cret&x=1", "1.1", 303),
        None,
    )
    assert HideToken().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /?token=***&x=1 HTTP/1.1" 303'
