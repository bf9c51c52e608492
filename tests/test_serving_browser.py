"""The web app as a person uses it: `bilstm-emotion serve` and a real Chromium.

Chromium's fake camera plays a .y4m file written here from a photo of a face;
for the Call tab, Chromium shares (``getDisplayMedia``) a tab of a local page
that plays a call's grid of faces, picked by its title. Needs Debian's
``chromium`` and ``chromium-driver`` (``.ci/run`` installs them and sets
``BILSTM_EMOTION_REQUIRE_BROWSER=1``, so that CI fails rather than skips
without them); nothing downloads a browser. ``BILSTM_EMOTION_SCREENSHOTS=DIR``
also saves the camera and call tabs there (the docs' pictures,
``serve_page.png`` and ``serve_call.png``).
"""

import csv
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
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

from bilstm_emotion.video import demo_participants  # noqa: E402
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


def screenshot(driver, name):
    """Save the page as the docs' picture ``name`` where BILSTM_EMOTION_SCREENSHOTS asks."""
    folder = os.environ.get("BILSTM_EMOTION_SCREENSHOTS")
    if folder:
        driver.save_screenshot(os.path.join(folder, name))


def chromium(folder, *flags):
    """Headless Chromium with its downloads in ``folder / "downloads"``."""
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
        *flags,
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
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    face = Image.fromarray(data.astronaut()[:384, 64:448]).resize((640, 480))
    camera = folder / "camera.y4m"
    write_y4m(camera, np.asarray(face))
    driver = chromium(
        folder,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    )
    yield driver
    driver.quit()


def downloaded(driver, pattern):
    """The rows of the CSV file the page saved (waiting for it)."""
    deadline = time.monotonic() + 30
    while not list(driver.downloads.glob(pattern)) and time.monotonic() < deadline:
        time.sleep(0.2)
    (path,) = driver.downloads.glob(pattern)
    with open(path, newline="") as f:
        return list(csv.reader(f))


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
    screenshot(browser, "serve_page.png")
    browser.find_element(By.ID, "start").click()  # stop
    assert "Camera off" in browser.find_element(By.ID, "status").text
    # started again: the page's timeline goes on (the server's new stream starts at 0)
    before = browser.execute_script("return window.emotionApp.framesBefore")
    first_rows = browser.execute_script("return window.emotionApp.rows.length")
    browser.find_element(By.ID, "start").click()
    wait.until(lambda d: d.execute_script("return window.emotionApp.rows.length") > first_rows + 1)
    browser.find_element(By.ID, "start").click()  # stop
    browser.find_element(By.ID, "download").click()
    rows = downloaded(browser, "timeline-*.csv")
    assert rows[0] == timeline_fields(CLASSES)
    faces = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert len(faces) > first_rows >= 2
    assert any(r["label"] in CLASSES and r["status"] == "ok" for r in faces)
    times = [float(r["time"]) for r in faces]
    assert times == sorted(times)
    frames = [int(r["frame"]) for r in faces]
    assert frames == sorted(frames)
    assert max(frames[:first_rows]) < before <= min(frames[first_rows:])  # frames go on
    # ids of the second run follow the first's: one id never names two faces
    ids = [
        [int(r["face"]) for r in faces[a:b] if r["face"]]
        for a, b in ((0, first_rows), (first_rows, None))
    ]
    assert ids[0] and ids[1] and min(ids[1]) > max(ids[0])


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


CALL_TITLE = "Weekly call - test grid"

# A call's window: tiles in a grid of ceil(sqrt(n)) columns filling the window, each
# participant's head at 90 % of its tile's height, centred. `phase(k)` shows the k-th
# line-up; tiles move (and resize) when someone leaves or joins, as in Meet or Zoom.
CALL_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>%(title)s</title>
<style>html, body { margin: 0; height: 100%%; background: #202124; overflow: hidden; }
img { position: absolute; }</style></head>
<body><script>
const phases = %(phases)s;
let current = -1;
function phase(k) {
  document.body.replaceChildren();
  const who = phases[k], W = innerWidth, H = innerHeight;
  const cols = Math.ceil(Math.sqrt(who.length)), rows = Math.ceil(who.length / cols);
  const tw = W / cols, th = H / rows;
  who.forEach((p, i) => {
    const img = new Image();
    img.src = `p${p}.png`;
    const h = 0.9 * th, w = h * 200 / 220;
    Object.assign(img.style, {
      height: `${h}px`, width: `${w}px`,
      top: `${Math.floor(i / cols) * th + (th - h) / 2}px`,
      left: `${(i %% cols) * tw + (tw - w) / 2}px`,
    });
    document.body.append(img);
  });
  current = k;
}
addEventListener("resize", () => phase(current));
phase(0);
</script></body></html>
"""

# who is in the call: 0-4, then 1 leaves (2x2 grid), then 5 joins (3 columns again)
LINE_UPS = [[0, 1, 2, 3, 4], [0, 2, 3, 4], [0, 2, 3, 4, 5]]


@pytest.fixture
def call_site(tmp_path):
    """A local web server of the call's page and its participants' photos."""
    site = tmp_path / "site"
    site.mkdir()
    for k, face in enumerate(demo_participants(6)):
        Image.fromarray(face).save(site / f"p{k}.png")
    (site / "call.html").write_text(CALL_PAGE % {"title": CALL_TITLE, "phases": LINE_UPS})
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/call.html"
    httpd.shutdown()


def _health(server):
    with urllib.request.urlopen(server + "/api/health") as response:
        return json.load(response)


def _who(row, line_up, frame_size):
    """The participant whose tile holds the centre of ``row``'s box."""
    width, height = frame_size
    cols = int(np.ceil(np.sqrt(len(line_up))))
    rows = int(np.ceil(len(line_up) / cols))
    cx = (float(row["col"]) + float(row["width"]) / 2) / width
    cy = (float(row["row"]) + float(row["height"]) / 2) / height
    tile = int(cy * rows) * cols + int(cx * cols)
    return line_up[tile] if 0 <= tile < len(line_up) else None


@pytest.mark.slow
def test_the_call_tab_follows_each_participant_of_a_shared_call(server, call_site, tmp_path):
    driver = chromium(
        tmp_path,
        # pick the call's tab without the picker (and without the fake UI, which makes
        # tab capture fail)
        f"--auto-select-tab-capture-source-by-title={CALL_TITLE}",
    )
    try:
        app = driver.current_window_handle
        driver.switch_to.new_window("window")
        driver.get(call_site)
        call = driver.current_window_handle
        driver.switch_to.window(app)
        driver.get(server + "/")
        driver.find_element(By.ID, "tab-call").click()
        privacy = driver.find_element(By.ID, "call-privacy").text
        host = server.removeprefix("http://")
        assert f"only to the bilstm-emotion server on this computer ({host})" in privacy
        assert "Nothing is stored on disk, here or anywhere, unless you download" in privacy
        driver.find_element(By.ID, "call-start").click()
        wait = WebDriverWait(driver, 120)
        now = "return window.emotionCall.now"

        def answers_with(n_faces, count):
            return lambda d: d.execute_script(
                f"const s = window.emotionCall; return s.faces.length === {n_faces} "
                f"&& s.answered >= {count}"
            )

        wait.until(answers_with(5, 6))
        # someone leaves, someone joins, the call's window is resized: tiles move each time
        changes = [("phase(1)", None), ("phase(2)", None), (None, (760, 1000))]
        cuts, sizes, line_ups = [], [], [0, 1, 2, 2]
        for script, size in changes:
            cuts.append(driver.execute_script(now))
            sizes.append(driver.execute_script("return window.emotionCall.frameSize"))
            driver.switch_to.window(call)
            if script:
                driver.execute_script(script)
            else:
                driver.set_window_size(*size)
            driver.switch_to.window(app)
            wait.until(lambda d, c=cuts[-1]: d.execute_script(now) > c + 6)
        sizes.append(driver.execute_script("return window.emotionCall.frameSize"))
        assert driver.execute_script("return window.emotionCall.faces.length") == 5
        assert sizes[-1] != sizes[0]  # the frames followed the window's new size
        screenshot(driver, "serve_call.png")
        people = driver.execute_script(
            "return [...window.emotionCall.participants.values()]"
            ".map((p) => [p.id, p.label, window.emotionCall.now - p.last <= 3])"
        )
        # the share stopped by the browser: the shared tab is closed
        driver.switch_to.window(call)
        driver.close()
        driver.switch_to.window(app)
        wait.until(lambda d: "stopped by the browser" in d.find_element(By.ID, "call-status").text)
        wait.until(lambda d: _health(server)["streams"] == 0)  # the server's stream ended
        driver.find_element(By.ID, "call-download").click()
        rows = downloaded(driver, "call-timeline-*.csv")
    finally:
        driver.quit()
    assert rows[0] == timeline_fields(CLASSES)
    faces = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert all(r["label"] in CLASSES and r["status"] == "ok" for r in faces if r["face"])
    # each participant, in the frames between the changes, has one id of their own
    ids = {}
    for r in faces:
        if not r["face"]:
            continue
        t = float(r["time"])
        stretch = sum(t > c for c in cuts)
        if stretch and t <= cuts[stretch - 1] + 1.5:
            continue  # the call was changing
        who = _who(r, LINE_UPS[line_ups[stretch]], sizes[stretch])
        assert who is not None, r
        ids.setdefault(who, []).append(int(r["face"]))
    assert sorted(ids) == list(range(6))
    for who, seen in ids.items():
        assert len(set(seen)) == 1, f"participant {who} got ids {sorted(set(seen))}"
    assert len({seen[0] for seen in ids.values()}) == 6
    # the page: everyone with an emotion; the one who left is shown as gone
    by_id = {i: (label, present) for i, label, present in people}
    assert set(by_id) == {seen[0] for seen in ids.values()}
    assert all(label in CLASSES for label, _ in by_id.values())
    assert by_id[ids[1][0]][1] is False and by_id[ids[5][0]][1] is True
