"""The web app's REST API and camera WebSocket, through FastAPI's test client."""

import io
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the `serve` extra (in `tests`)")

with warnings.catch_warnings():  # starlette's notice about httpx's successor
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from PIL import Image
from skimage import data

from bilstm_emotion.apps._tracking import timeline_fields
from bilstm_emotion.monitoring import predict_images
from bilstm_emotion.serving import create_app

pytestmark = pytest.mark.xdist_group("serving")


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
    with TestClient(app) as client:
        yield client


def test_health_models_and_page(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["model"] == "conv-lite"
    assert set(health["frames"]) == {"received", "processed", "dropped", "errors"}
    models = client.get("/api/models").json()
    assert models["loaded"]["classes"] == [
        "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"
    ]  # fmt: skip
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
    files = [("files", ("a.jpg", astronaut)), ("files", ("notes.txt", b"hello")),
             ("files", ("empty.png", b""))]  # fmt: skip
    records = client.post("/api/predict", files=files).json()
    assert [r["source"] for r in records] == ["a.jpg", "notes.txt", "empty.png"]
    assert records[0]["status"] == "ok"
    assert "notes.txt: not an image file" in records[1]["status"]
    assert "empty" in records[2]["status"]


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
        "/api/predict", content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )  # fmt: skip
    assert response.status_code == 413
    assert "so far" in response.json()["detail"]
    ok = client.post("/api/predict", files=[("files", ("a.jpg", astronaut))])
    assert ok.status_code == 200


def test_camera_frames_give_faces_and_timeline_rows(client, astronaut):
    with client.websocket_connect("/ws/stream") as ws:
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


def test_a_full_queue_drops_frames_and_counts_them(estimator, astronaut):
    app = create_app(estimator, queue_size=1, max_in_flight=1, max_frame_bytes=400_000)
    with TestClient(app) as client, client.websocket_connect("/ws/stream") as ws:
        ws.receive_json()
        for _ in range(6):
            ws.send_bytes(astronaut)
        ws.send_bytes(b"\xff" * 400_001)
        replies = [ws.receive_json() for _ in range(7)]
        kinds = [r["type"] for r in replies]
        assert "dropped" in kinds and "result" in kinds
        assert any("at most 400,000 bytes" in r.get("detail", "") for r in replies)
        frames = sorted(r["frame"] for r in replies if r["type"] in ("dropped", "result"))
        assert frames == list(range(6))  # each frame answered once: done or dropped
        health = client.get("/api/health").json()["frames"]
        assert health["received"] == 6
        assert health["processed"] + health["dropped"] == 6 and health["dropped"] >= 1


def test_a_client_that_leaves_mid_stream(estimator, astronaut):
    app = create_app(estimator, queue_size=4)
    with TestClient(app) as client:
        with client.websocket_connect("/ws/stream") as ws:
            ws.receive_json()
            for _ in range(3):
                ws.send_bytes(astronaut)
        # gone with frames in flight; the next client is served as usual
        with client.websocket_connect("/ws/stream") as ws:
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
    assert main(["serve", "--queue-size", "0"]) == 1
    assert "Expected --queue-size >= 1. Received: 0" in capsys.readouterr().err
    assert main(["serve", "--max-upload-mb", "-1"]) == 1
    assert "Expected --max-upload-mb > 0" in capsys.readouterr().err
