"""The HTML editions (make slides, make site): built from the committed notebooks, offline, checked in a browser.

The browser tests drive Debian's headless chromium with Selenium (through Debian's chromedriver), with
the network disabled (every host name resolves to nothing, and a proxy that does not exist), open a deck
and a site page from file://, and assert from the rendered page. `.ci/run` installs chromium and
chromium-driver; without them these tests fail with the fix, unless CNN_COURSE_NO_BROWSER=1 says to skip them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tools import build_html

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("html")]

CHROMIUM = os.environ.get("CNN_COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CNN_COURSE_CHROMEDRIVER", "/usr/bin/chromedriver")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "chrome-extension:", "devtools:")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """build/slides and build/site made by the tool, once per session, into a temporary folder."""
    if not (ROOT / "web" / "node_modules" / "mathjax" / "MathJax.js").exists():
        pytest.fail("web/node_modules/ is missing: run `npm ci --prefix web` (make test and make slides do)")
    out = tmp_path_factory.mktemp("html")
    return {"slides": build_html.build_slides(out / "slides"), "site": build_html.build_site(out / "site"),
            "out": out}


# ---------------------------------------------------------------- static checks

class _Resources(HTMLParser):
    """src/href of the elements a browser fetches by itself."""
    FETCHING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src",
                "video": "src", "audio": "src", "embed": "src", "object": "data"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        wanted = self.FETCHING.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def test_no_remote_resources_in_any_generated_page(built):
    # (the book theme also copies its Jinja macro files, *macros.html, into _static/: templates, not pages)
    pages = sorted(p for p in built["out"].rglob("*.html") if not p.name.endswith("macros.html"))
    assert len(pages) >= 11, pages            # 5 decks, 5 site pages, the index (and reveal's own notes page)
    remote = {}
    for page in pages:
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        bad = [url for url in parser.urls if url.strip().lower().startswith(("http://", "https://", "//"))]
        if bad:
            remote[str(page.relative_to(built["out"]))] = bad
    # style sheets (the pages' own and the copied ones) import no fonts or sheets from the network
    for sheet in [*pages, *sorted(built["out"].rglob("*.css"))]:
        text = sheet.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(r"(?:@import\s*(?:url\()?|url\()\s*['\"]?(https?:)?//", text):
            remote.setdefault(str(sheet.relative_to(built["out"])), []).append(text[match.start():match.start() + 80])
    assert not remote, f"pages that would fetch from the network: {remote}"
    # ... and everything they fetch exists on disk
    for page in pages:
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            if url.startswith(("data:", "#")):
                continue
            assert (page.parent / url.split("?")[0]).exists(), f"{page.name}: {url} is not in the build"


def test_slide_structure_follows_the_notebook():
    nb = nbformat.read(ROOT / "notebooks" / "01_convolution_arithmetic.ipynb", as_version=4)
    deck = build_html.slide_cells(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in deck.cells]
    codes = [c for c in deck.cells if c.cell_type == "code"]
    assert [c.metadata["slideshow"]["slide_type"] for c in codes[:3]] == ["skip"] * 3      # Colab, parameters, set-up
    assert codes[3].metadata["slideshow"]["slide_type"] == "subslide"       # each code cell on a slide of its own
    assert all(c.metadata["slideshow"]["slide_type"] == "skip"
               for c in codes if "solution" in c.metadata.get("tags", []))
    assert kinds.count("slide") == build_html.section_count(nb)
    assert any(c.source.startswith("### ") and k == "subslide" for c, k in zip(deck.cells, kinds))
    with_solutions = build_html.slide_cells(nb, solutions=True)
    assert any(c.metadata["slideshow"]["slide_type"] == "subslide" and "solution" in c.metadata.get("tags", [])
               for c in with_solutions.cells)
    assert build_html.slide_cells(nb).cells == deck.cells          # deterministic


def test_site_and_decks_leave_out_solutions_and_the_site_links_every_lesson(built, tmp_path):
    """Decks keep nbconvert's cell ids; the book (MyST-NB) marks each cell with its tags as `tag_<tag>` classes."""
    index = (built["out"] / "site" / "index.html").read_text(encoding="utf-8")
    for path in build_html.lesson_paths():
        assert f'href="{path.stem}.html"' in index
        cells = nbformat.read(path, as_version=4).cells
        solutions = [c.id for c in cells if "solution" in c.metadata.get("tags", [])]
        colab, *setup = [c.id for c in cells if c.cell_type == "code"][:3]      # Colab, parameters, set-up
        page = (built["out"] / "site" / f"{path.stem}.html").read_text(encoding="utf-8")
        deck = (built["out"] / "slides" / f"{path.stem}.slides.html").read_text(encoding="utf-8")
        assert len(solutions) >= 3
        assert "tag_solution" not in page and "tag_colab" not in page and "tag_parameters" in page
        for cell_id in solutions + setup + [colab]:
            assert f'id="cell-id={cell_id}"' not in deck, cell_id
    assert index.count("Learning objectives") == len(build_html.lesson_paths())
    assert index.count("Run time at the defaults") == len(build_html.lesson_paths())
    for path in build_html.lesson_paths():     # the stored run's own time (make outputs), not a typed one
        seconds = nbformat.read(path, as_version=4).metadata["cnn_course"]["run"]["seconds"]
        assert f"{seconds:.0f} s on a " in index, path.name
    # SOLUTIONS=1 keeps them
    first = build_html.lesson_paths()[0]
    build_html.build_site(tmp_path / "site", solutions=True)
    assert "tag_solution" in (tmp_path / "site" / f"{first.stem}.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the browser

class Chromium:
    """Debian's headless chromium, driven by Selenium through Debian's chromedriver, with the network off
    (every host name resolves to nothing, and a proxy that does not exist) and every request logged."""

    def __init__(self, profile: Path):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-default-apps", "--disable-extensions", "--allow-file-access-from-files",
                         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
                         f"--user-data-dir={profile}", "--window-size=1280,800"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})     # the DevTools events, for requested()
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        self.requests: list[str] = []

    def js(self, expression: str):
        return self.driver.execute_script(f"return {expression};")

    def open(self, url: str, ready: str, timeout: float = 60):
        from selenium.webdriver.support.ui import WebDriverWait

        self.requested()                     # forget what earlier pages asked for
        self.requests = []
        self.driver.get(url)
        try:
            WebDriverWait(self.driver, timeout, poll_frequency=0.25).until(
                lambda _: self.js(f"document.readyState === 'complete' && Boolean({ready})"))
        except Exception as error:
            raise AssertionError(f"{url} was not ready ({ready}) after {timeout} s") from error

    def requested(self) -> list[str]:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
        return self.requests

    def screenshot(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))

    def close(self):
        self.driver.quit()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists() and not shutil.which(p)]
    if missing:
        if os.environ.get("CNN_COURSE_NO_BROWSER") == "1":
            pytest.skip("CNN_COURSE_NO_BROWSER=1: no chromium here")
        pytest.fail(f"{missing} not found: install Debian's chromium and chromium-driver (`apt-get install -y chromium "
                    "chromium-driver`, as .ci/run does), or set CNN_COURSE_NO_BROWSER=1 to skip the browser tests")
    chromium = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


MATH_DONE = ("window.MathJax && MathJax.Hub && MathJax.Hub.queue && MathJax.Hub.queue.pending === 0 "
             "&& !MathJax.Hub.queue.running && document.querySelectorAll('.MathJax_CHTML, .mjx-chtml').length > 0")

PAGE_FACTS = """(() => {
  const text = Array.from(document.querySelectorAll('.jp-RenderedMarkdown, .jp-MarkdownOutput, article.bd-article'))
      .map(e => { const c = e.cloneNode(true); c.querySelectorAll('script, code, pre').forEach(s => s.remove());
                  return c.textContent; }).join('\\n');
  const imgs = Array.from(document.images);
  return {
    raw_math: (text.match(/\\$[^$\\n]{1,200}\\$/g) || []).slice(0, 5),
    typeset: document.querySelectorAll('.MathJax_CHTML, .mjx-chtml').length,
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => (i.src || '').slice(0, 80)),
    no_alt: imgs.filter(i => !((i.getAttribute('alt') || '').length >= 20)).map(i => (i.src || '').slice(0, 80)),
    sections: document.querySelectorAll('.reveal .slides > section').length,
    reveal_ready: Boolean(document.querySelector('.reveal.ready')),
  };
})()"""


def _assert_rendered(browser, facts, url):
    assert facts["typeset"] > 0, "no MathJax output in the page"
    assert facts["raw_math"] == [], f"LaTeX left untypeset: {facts['raw_math']}"
    assert facts["images"] > 0 and facts["broken"] == [], f"broken images: {facts['broken']}"
    assert facts["no_alt"] == [], f"images without alt text: {facts['no_alt']}"
    outside = [u for u in browser.requested() if not u.startswith(LOCAL_SCHEMES)]
    assert outside == [], f"{url} tried to reach the network: {outside}"


def test_deck_renders_offline_in_chromium(built, browser):
    deck = built["out"] / "slides" / "01_convolution_arithmetic.slides.html"
    nb = nbformat.read(ROOT / "notebooks" / "01_convolution_arithmetic.ipynb", as_version=4)
    browser.open(deck.as_uri(), f"document.querySelector('.reveal.ready') && ({MATH_DONE})")
    facts = browser.js(PAGE_FACTS)
    assert facts["reveal_ready"]
    assert facts["sections"] == build_html.section_count(nb), facts["sections"]
    _assert_rendered(browser, facts, deck)
    # a slide with a formula on it, for a person to look at
    formula = browser.js("""Array.from(document.querySelectorAll('.reveal .slides > section'))
        .findIndex(s => s.querySelector('h2') && Array.from(s.querySelectorAll('.MathJax_CHTML, .mjx-chtml'))
                                                   .some(m => !m.closest('aside')))""")
    browser.js(f"location.hash = '#/{max(formula, 0)}'")
    time.sleep(1.0)                                  # the slide transition
    browser.screenshot(ROOT / "build" / "screenshot-slide.png")


SLIDE_SIZES = """(() => {
  const Reveal = require("lib/reveal.js/dist/reveal.js");
  const scale = Reveal.getScale(), found = [];
  for (const slide of Reveal.getSlides()) {
    const at = Reveal.getIndices(slide);
    Reveal.slide(at.h, at.v);
    const cut = Array.from(slide.querySelectorAll('pre')).filter(p => p.scrollWidth > p.clientWidth + 1).length;
    found.push({at: [at.h, at.v || 0], height: Math.round(slide.scrollHeight * scale), cut: cut,
                text: (slide.innerText || '').trim().slice(0, 50)});
  }
  return {slides: found, window: window.innerHeight};
})()"""


def test_every_slide_of_every_deck_fits_a_1280x800_screen(built, browser):
    """Each slide, horizontal and vertical, once shown: no taller than the window, and no code line wider
    than its box (long lines wrap)."""
    for deck in sorted((built["out"] / "slides").glob("*.slides.html")):
        browser.open(deck.as_uri(), "document.querySelector('.reveal.ready') && window.MathJax && MathJax.Hub "
                     "&& MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running")
        sizes = browser.js(SLIDE_SIZES)
        assert sizes["window"] == 800 and len(sizes["slides"]) > 40, (deck.name, len(sizes["slides"]))
        tall = [s for s in sizes["slides"] if s["height"] > sizes["window"]]
        cut = [s for s in sizes["slides"] if s["cut"]]
        assert not tall, f"{deck.name}: slides taller than the window: {tall[:3]}"
        assert not cut, f"{deck.name}: code cut at the right edge: {cut[:3]}"


def test_site_page_renders_offline_in_chromium(built, browser):
    """A lesson page of the book: math typeset, figures with alt text, the sidebar lists every lesson, and the
    search (Sphinx's, from its own index file) finds a lesson's word, all from disk with the network off."""
    page = built["out"] / "site" / "01_convolution_arithmetic.html"
    browser.open(page.as_uri(), MATH_DONE)
    facts = browser.js(PAGE_FACTS)
    _assert_rendered(browser, facts, page)
    sidebar = browser.js("Array.from(document.querySelectorAll('nav.bd-docs-nav a')).map(a => a.getAttribute('href'))")
    others = [f"{path.stem}.html" for path in build_html.lesson_paths() if path.name != "01_convolution_arithmetic.ipynb"]
    assert all(href in sidebar for href in [*others, "index.html", "report.html"]), sidebar   # this page: '#'
    browser.screenshot(ROOT / "build" / "screenshot-site.png")
    index = built["out"] / "site" / "index.html"
    browser.open(index.as_uri(), MATH_DONE)
    lessons = browser.js("document.querySelectorAll('article.bd-article h2 a[href$=\".html\"]').length")
    assert lessons == len(build_html.lesson_paths())
    assert [u for u in browser.requested() if not u.startswith(LOCAL_SCHEMES)] == []
    search = built["out"] / "site" / "search.html"
    browser.open(f"{search.as_uri()}?q=padding", "document.querySelectorAll('#search-results li').length > 0")
    found = browser.js("Array.from(document.querySelectorAll('#search-results li a')).map(a => a.getAttribute('href'))")
    assert any(href.startswith("01_convolution_arithmetic.html") for href in found), found
    outside = [u for u in browser.requested() if not u.startswith(LOCAL_SCHEMES)]
    assert outside == [], outside


def test_jupyterlab_shows_the_figures_alt_text(browser, tmp_path):
    """A student opens a committed notebook in JupyterLab (untrusted, as after a download): every figure
    is an image with its one-sentence alt text."""
    import socket

    name = "01_convolution_arithmetic.ipynb"
    shutil.copy(ROOT / "notebooks" / name, tmp_path / name)
    figures = sum("<img" in str(o.get("data", {}).get("text/html", ""))
                  for c in nbformat.read(tmp_path / name, as_version=4).cells for o in c.get("outputs", []))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    jupyter = Path(sys.executable).parent / "jupyter"
    lab = subprocess.Popen([str(jupyter), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                            "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={tmp_path}",
                            "--allow-root"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
                                "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})
    try:
        url = f"http://127.0.0.1:{port}/lab/tree/{name}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        browser.open(url, f"document.querySelectorAll('.jp-OutputArea-output img').length >= {figures}",
                     timeout=120)
        alts = browser.js("Array.from(document.querySelectorAll('.jp-OutputArea-output img'))"
                          ".map(i => i.getAttribute('alt') || '')")
        assert len(alts) == figures and all(len(a) >= 20 and a.endswith(".") for a in alts), alts
        server = f"http://127.0.0.1:{port}/"
        outside = [u for u in browser.requested() if not u.startswith(LOCAL_SCHEMES + (server, f"ws://127.0.0.1:{port}/"))]
        assert outside == [], outside
        browser.screenshot(ROOT / "build" / "screenshot-lab.png")
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
