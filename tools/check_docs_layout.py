"""Check the built docs' layout in headless Chromium, at a laptop's and a phone's width.

Opens the pages a newcomer reads first (the landing page, the user guide, the
estimator's API page, a module's API page, the web app page) at 1280 and 390
pixels wide and fails, naming the page, the width and the element, where:

- the page scrolls sideways (something is wider than the window);
- a title or a code block is cut (its content is wider than its box);
- an entry of the "On this page" column is cut;
- at 1280 pixels, the top bar's links take more than one row;
- a "Section Navigation" column is shown with nothing in it.

It also saves a screenshot of each page and width into ``--shots``; with
``--update``, copies those of the landing page, the user guide and the
estimator page at 1280 pixels into ``docs/_static/screens/`` where they differ
from the ones there (the docs' own pictures of themselves). Needs selenium and
Debian's ``chromium`` and ``chromium-driver`` (the ``tests`` extra and
``.ci/run``, which runs this after building the docs)::

    python tools/check_docs_layout.py docs/_build/html --shots /tmp/docs-shots
"""

import argparse
import filecmp
import json
import shutil
import sys
from pathlib import Path

PAGES = [
    "index",
    "user_guide",
    "generated/bilstm_emotion.BiLSTMFaceEmotionClassifier",
    "api/preprocessing",
    "serving",
]
WIDTHS = {"laptop": (1280, 900), "phone": (390, 844)}
KEPT = {  # the screenshots the docs show, at the laptop width
    "index": "index.png",
    "user_guide": "user_guide.png",
    "generated/bilstm_emotion.BiLSTMFaceEmotionClassifier": "estimator.png",
}
SCREENS = Path(__file__).resolve().parents[1] / "docs" / "_static" / "screens"

# Each check returns a list of problems, as strings; `wide` is true at the laptop width.
CHECKS = r"""
const wide = arguments[0];
const problems = [];
const cut = (el) => el.scrollWidth > el.clientWidth + 1;
const name = (el) => (el.textContent || "").trim().slice(0, 60);
const visible = (el) => el.offsetParent !== null;
if (document.documentElement.scrollWidth > window.innerWidth + 1) {
  problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth}px wide)`);
}
for (const el of document.querySelectorAll(".bd-article h1, .bd-article h2")) {
  if (visible(el) && cut(el)) problems.push(`title cut: ${name(el)}`);
}
for (const el of document.querySelectorAll(".bd-article pre")) {
  if (visible(el) && cut(el)) problems.push(`code block cut: ${name(el)}`);
}
for (const el of document.querySelectorAll(".bd-sidebar-secondary a")) {
  if (visible(el) && cut(el)) problems.push(`"On this page" entry cut: ${name(el)}`);
}
if (wide) {  // every link and button of the top bar on one row (centres 10 px apart at most)
  const parts = ".bd-header .nav-item, .bd-header .navbar-item";
  const middles = [...document.querySelectorAll(parts)].filter(visible)
    .map((el) => el.getBoundingClientRect()).map((box) => box.top + box.height / 2);
  if (Math.max(...middles) - Math.min(...middles) > 10) problems.push("the top bar takes 2 rows");
}
const primary = document.querySelector(".bd-sidebar-primary");
if (primary && visible(primary) && /Section Navigation/.test(primary.textContent)) {
  if (!primary.querySelector("nav a, .bd-docs-nav a")) problems.push("empty Section Navigation");
}
return problems;
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the built docs (docs/_build/html)")
    parser.add_argument("--shots", type=Path, default=None, help="where to save screenshots")
    parser.add_argument(
        "--update", action="store_true", help="copy changed screenshots to docs/_static/screens"
    )
    args = parser.parse_args(argv)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--disable-dev-shm-usage",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    failures = {}
    try:
        for page in PAGES:
            path = (args.html / f"{page}.html").resolve()
            if not path.is_file():
                failures[f"{page} (all widths)"] = [f"not built: {path}"]
                continue
            for label, (width, height) in WIDTHS.items():
                driver.set_window_size(width, height)
                driver.get(path.as_uri())
                problems = driver.execute_script(CHECKS, label == "laptop")
                if problems:
                    failures[f"{page} at {width}px"] = problems
                if args.shots is not None:
                    args.shots.mkdir(parents=True, exist_ok=True)
                    shot = args.shots / f"{page.replace('/', '_')}-{width}.png"
                    driver.save_screenshot(str(shot))
                    if args.update and label == "laptop" and page in KEPT:
                        _keep(shot, SCREENS / KEPT[page])
    finally:
        driver.quit()
    print(
        json.dumps({"pages": len(PAGES), "widths": list(WIDTHS), "failures": failures}, indent=1)
    )
    return 1 if failures else 0


def _keep(shot, target):
    """Copy ``shot`` to ``target`` where it differs (a picture only changes with the docs)."""
    if target.is_file() and filecmp.cmp(shot, target, shallow=False):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, target)
    print(f"updated {target}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
