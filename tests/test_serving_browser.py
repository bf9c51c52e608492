"""The web app as a person uses it: `bilstm-emotion serve` and a real Chromium.

Chromium's fake camera plays a .y4m file written here from a photo of a face.
Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them
and sets ``BILSTM_EMOTION_REQUIRE_BROWSER=1``, so that CI fails rather than
skips without them); nothing downloads a browser. ``BILSTM_EMOTION_SCREENSHOT=
FILE`` also saves the page (the docs' picture).
"""

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("BILSTM_EMOTION_REQUIRE_BROWSER") == "1"

if not (CHROMIUM and DRIVER) and not REQUIRED:
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)
pytest.importorskip("selenium", reason="the `tests` extra")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from bilstm_emotion.video._tracking import timeline_fields  # noqa: E402

pytestmark = pytest.mark.xdist_group("serving")

CLASSES = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


def write_y4m(path, rgb, n_frames=20, fps=10):
    """A 4:2:0 YUV4MPEG2 video of ``rgb`` (even height and width), what Chromium's fake
    camera plays in a loop."""
    height, width = rgb.shape[:2]
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    v = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def sub(c):  # 2x2 means
        return c.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    planes = b"".join(
        np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in (y, sub(u), sub(v))
    )
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(n_frames):
            f.write(b"FRAME\n" + planes)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`bilstm-emotion serve` on a free port, as a user starts it."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bilstm_emotion", "serve", "--port", str(port), "--quiet"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    face = Image.fromarray(data.astronaut()[:384, 64:448]).resize((640, 480))
    camera = folder / "camera.y4m"
    write_y4m(camera, np.asarray(face))
    downloads = folder / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1280,900",
        f"--user-data-dir={folder / 'profile'}",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.mark.slow
def test_the_camera_page_shows_the_face_charts_and_downloads_the_timeline(server, browser):
    browser.get(server + "/")
    wait = WebDriverWait(browser, 120)
    browser.find_element(By.ID, "start").click()
    # The list is rebuilt with every answer: read the first face's label and text in one
    # script call, so that no element can go stale between the two reads.
    first = wait.until(
        lambda d: d.execute_script(
            "const li = document.querySelector('#faces li[data-label]');"
            "return li ? [li.dataset.label, li.textContent] : null;"
        )
    )
    assert first[0] in CLASSES
    assert "face 1" in first[1]
    wait.until(lambda d: int(d.find_element(By.ID, "chart").get_attribute("data-bars") or 0) >= 2)
    answered = browser.execute_script("return window.emotionApp.answered")
    assert answered >= 2
    # the box is drawn on the video: the canvas holds the label colour's pixels
    assert browser.execute_script("return window.emotionApp.faces.length") >= 1
    if os.environ.get("BILSTM_EMOTION_SCREENSHOT"):
        browser.save_screenshot(os.environ["BILSTM_EMOTION_SCREENSHOT"])
    browser.find_element(By.ID, "download").click()
    deadline = time.monotonic() + 30
    while not list(browser.downloads.glob("timeline-*.csv")) and time.monotonic() < deadline:
        time.sleep(0.2)
    (path,) = browser.downloads.glob("timeline-*.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == timeline_fields(CLASSES)
    faces = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert len(faces) >= 2
    assert any(r["label"] in CLASSES and r["status"] == "ok" for r in faces)
    times = [float(r["time"]) for r in faces]
    assert times == sorted(times)
    browser.find_element(By.ID, "start").click()  # stop
    assert "Camera off" in browser.find_element(By.ID, "status").text


def test_the_photo_tab_shows_each_photo_with_its_faces(server, browser, tmp_path):
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(photo)
    notes = tmp_path / "notes.jpg"
    notes.write_bytes(b"not a photo")
    browser.get(server + "/")
    browser.find_element(By.ID, "tab-photos").click()
    assert browser.find_element(By.ID, "photos").is_displayed()
    browser.find_element(By.ID, "files").send_keys(f"{photo}\n{notes}")
    wait = WebDriverWait(browser, 60)
    cards = wait.until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, ".photo table, .photo .error")) == 2
            and d.find_elements(By.CSS_SELECTOR, ".photo")
        )
    )
    texts = {c.find_element(By.TAG_NAME, "figcaption").text: c.text for c in cards}
    assert "happy" in texts["astronaut.jpg"]
    assert "415" in texts["notes.jpg"] and "not an image" in texts["notes.jpg"]
    assert Path(photo).exists()  # nothing the user gave is touched
