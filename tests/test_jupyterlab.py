"""The chapters in a student's JupyterLab, tried for real.

A real ``jupyter lab`` from the course environment (headless, a free port, a token, its
own settings and runtime folders) serves a copy of the chapters with the repository's
``_config.yml`` and ``jupytext.toml``. Through its REST and settings APIs: a double click
on a ``.md`` opens it with the Jupytext notebook viewer; opening a chapter as a notebook
and saving it (what autosave does) writes back exactly the bytes it read; the book's TeX
macros reach jupyterlab-myst and never reach the file. Debian's Chromium (Playwright, as
in tests/test_browser.py) then opens a chapter by its URL, as a double click does, and
checks that it is a notebook whose math has no error and whose MyST directives are
rendered, not shown as text.

Without a server: a Jupytext round trip (read, then write with the repository's
configuration: what JupyterLab does on save) changes no byte of any chapter, and
``scripts/normalize_chapters.py`` makes that true without changing what a reader sees.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest

from conftest import BIN, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import normalize_chapters as norm  # noqa: E402

from course_jupyter import book_macros  # noqa: E402

CHAPTERS = sorted(p.name for p in (ROOT / "chapters").glob("*.md"))
NOTEBOOK_FACTORY = "Jupytext Notebook"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


# ---- without a server ----------------------------------------------------------------

@pytest.mark.parametrize("name", CHAPTERS)
def test_jupytext_round_trip_changes_no_byte(name):
    """What JupyterLab writes back on save is the file as stored.

    Fails until the chapters are stored in Jupytext's form: run
    ``python scripts/normalize_chapters.py``."""
    path = ROOT / "chapters" / name
    text = path.read_text(encoding="utf-8")
    back = norm.round_trip(text, norm.jupytext_format(path))
    if back != text:
        import difflib
        diff = "\n".join(list(difflib.unified_diff(text.splitlines(), back.splitlines(),
                                                   "stored", "saved by JupyterLab", lineterm="", n=0))[:40])
        pytest.fail(f"{name}: opening and saving it in JupyterLab rewrites it "
                    f"(run scripts/normalize_chapters.py):\n{diff}")


@pytest.mark.parametrize("name", CHAPTERS)
def test_kernelspec_is_stored_as_jupyterlab_writes_it(name):
    """Once the kernel starts, JupyterLab sets the kernelspec from the environment's kernel
    (name, display_name, language, in that order); a chapter that stores it otherwise is
    rewritten by the first save. Fails until scripts/normalize_chapters.py has run."""
    import jupytext
    path = ROOT / "chapters" / name
    meta = jupytext.reads(path.read_text(encoding="utf-8"), fmt=norm.jupytext_format(path)).metadata
    stored = meta.get("kernelspec", {})
    assert list(stored.items()) == list(norm.jupyterlab_kernelspec(stored).items()), stored


@pytest.fixture(scope="module")
def normalized(tmp_path_factory) -> Path:
    """A copy of the book's chapters and configuration, normalized by the script."""
    root = tmp_path_factory.mktemp("normalized")
    (root / "chapters").mkdir()
    for f in ("_config.yml", "jupytext.toml"):
        shutil.copy(ROOT / f, root / f)
    for name in CHAPTERS:
        shutil.copy(ROOT / "chapters" / name, root / "chapters" / name)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "normalize_chapters.py"),
                           *map(str, sorted((root / "chapters").glob("*.md")))],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return root


def _reader_view(text: str, path: Path):
    """What a reader of the book gets from a chapter: cell types, sources, metadata
    (captions with their Markdown line breaks as spaces)."""
    import jupytext
    nb = jupytext.reads(text, fmt=norm.jupytext_format(path))
    cells = []
    for c in nb.cells:
        meta = json.loads(json.dumps(c.metadata))
        norm._clean_captions(meta)
        cells.append((c.cell_type, c.source, meta))
    return nb.metadata.get("kernelspec", {}).get("name"), cells


@pytest.mark.parametrize("name", CHAPTERS)
def test_normalize_script_is_a_fixed_point_and_keeps_the_content(normalized, name):
    path = normalized / "chapters" / name
    text = path.read_text(encoding="utf-8")
    assert norm.round_trip(text, norm.jupytext_format(path)) == text
    original = (ROOT / "chapters" / name).read_text(encoding="utf-8")
    assert _reader_view(text, path) == _reader_view(original, ROOT / "chapters" / name)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "normalize_chapters.py"),
                           "--check", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout


def _captions(text: str, path: Path) -> list[str]:
    import jupytext
    out = []

    def walk(meta):
        if isinstance(meta, dict):
            for k, v in meta.items():
                if k == "caption" and isinstance(v, str):
                    out.append(v)
                else:
                    walk(v)
    for c in jupytext.reads(text, fmt=norm.jupytext_format(path)).cells:
        walk(c.metadata)
    return out


@pytest.mark.parametrize("name", CHAPTERS)
def test_normalized_captions_render_as_before(normalized, name):
    """Joining a caption's line breaks changes no rendered word (Markdown soft breaks)."""
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark")
    before = _captions((ROOT / "chapters" / name).read_text(encoding="utf-8"), ROOT / "chapters" / name)
    after = _captions((normalized / "chapters" / name).read_text(encoding="utf-8"),
                      normalized / "chapters" / name)
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert " ".join(md.render(a).split()) == " ".join(md.render(b).split()), (a, b)


def test_normalized_header_is_what_plain_jupytext_writes(normalized):
    """The header holds the pinned Jupytext's version, as Jupytext writes it with or
    without jupytext.toml: any Jupytext round trip of a chapter changes no byte (an
    upgrade of the pin is followed by scripts/normalize_chapters.py)."""
    for name in CHAPTERS:
        text = (normalized / "chapters" / name).read_text(encoding="utf-8")
        head = text.split("\n---\n")[0]
        assert f"jupytext_version: {jupytext.__version__}" in head and "format_name: myst" in head, head
        assert jupytext.writes(jupytext.reads(text, fmt="md:myst"), fmt="md:myst") == text, name


# ---- a real JupyterLab server --------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, root: Path, home: Path):
        self.root, self.port, self.token = root, _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        settings = home / "user-settings"
        # JupyterLab 4 renders only the cells in view by default; render them all, so the
        # browser check sees every chapter cell.
        tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True)
        tracker.write_text(json.dumps({"windowingMode": "none"}))
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
                   JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"),
                   JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), HOME=str(home),
                   PYDEVD_DISABLE_FILE_VALIDATION="1")
        env.pop("JUPYTER_PLATFORM_DIRS", None)
        self.log = open(home / "server.log", "w")
        self.proc = subprocess.Popen(
            [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}", "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.logfile = home / "server.log"
        deadline = time.time() + 90
        while True:
            try:
                self.get("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    pytest.fail("jupyter lab did not start:\n" + self.logfile.read_text()[-4000:])
                time.sleep(0.5)

    def request(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")

    def get(self, path):
        return self.request("GET", path)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _copy_book(root: Path):
    (root / "chapters").mkdir(parents=True)
    for f in ("_config.yml", "jupytext.toml"):
        shutil.copy(ROOT / f, root / f)
    for name in CHAPTERS:
        shutil.copy(ROOT / "chapters" / name, root / "chapters" / name)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, normalized):
    """jupyter lab serving two copies: the chapters as stored (as_stored/) and as the
    script normalizes them (normalized/)."""
    base = tmp_path_factory.mktemp("lab")
    _copy_book(base / "root" / "as_stored")
    shutil.copytree(normalized, base / "root" / "normalized")
    server = Lab(base / "root", base / "home")
    yield server
    server.stop()


@pytest.mark.slow
def test_markdown_opens_as_jupytext_notebook_by_default(lab):
    s = lab.get("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    # the environment's override becomes the schema's default (the student's own
    # settings, empty here, could still change it)
    viewers = s["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers.get("markdown") == NOTEBOOK_FACTORY, viewers
    assert "defaultViewers" not in s["settings"], s["settings"]
    # the factory exists: jupyterlab-jupytext is installed and enabled
    ext = lab.get("/lab/api/settings/jupyterlab-jupytext:plugin")
    assert ext["id"] == "jupyterlab-jupytext:plugin"


def _open_and_save(lab, rel: str) -> tuple[dict, bytes, bytes]:
    path = lab.root / rel
    before = path.read_bytes()
    model = lab.get(f"/api/contents/{rel}?type=notebook&content=1")
    lab.request("PUT", f"/api/contents/{rel}", {"type": "notebook", "format": "json",
                                                 "content": model["content"]})
    after = path.read_bytes()
    path.write_bytes(before)
    return model, before, after


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_lab_open_then_save_changes_no_byte_normalized(lab, name):
    model, before, after = _open_and_save(lab, f"normalized/chapters/{name}")
    assert model["type"] == "notebook" and model["content"]["cells"]
    assert after == before, f"{name}: saving from JupyterLab rewrote the normalized chapter"


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_lab_open_then_save_changes_no_byte_as_stored(lab, name):
    """Fails until scripts/normalize_chapters.py has been run on the chapters."""
    _, before, after = _open_and_save(lab, f"as_stored/chapters/{name}")
    assert after == before, f"{name}: JupyterLab rewrites it on save (run scripts/normalize_chapters.py)"


@pytest.mark.slow
def test_book_macros_reach_jupyterlab_myst_not_the_file(lab):
    macros = book_macros(ROOT / "_config.yml")
    assert {"\\vv", "\\R", "\\norm", "\\T", "\\grad", "\\Hess"} <= set(macros), macros
    rel = "normalized/chapters/ch02-vectors.md"
    model = lab.get(f"/api/contents/{rel}?type=notebook&content=1")
    first_md = next(c for c in model["content"]["cells"] if c["cell_type"] == "markdown")
    import yaml
    src = first_md["source"]
    assert src.startswith("---\n"), src[:200]
    front = yaml.safe_load(src.split("---\n")[1])
    assert front["math"] == macros
    assert "math:" not in (lab.root / rel).read_text(encoding="utf-8").split("# 2.")[0]
    # the text view (Open With > Editor) shows the file exactly as stored
    as_file = lab.get(f"/api/contents/{rel}?type=file&format=text&content=1")
    assert as_file["content"] == (lab.root / rel).read_text(encoding="utf-8")


# ---- the student's view in Chromium --------------------------------------------------

@pytest.mark.slow
def test_chapter_opens_as_notebook_with_macros_and_directives_rendered(lab):
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    rel = "normalized/chapters/ch02-vectors.md"
    text = (lab.root / rel).read_text(encoding="utf-8")
    assert ":::{admonition}" in text or ":::{dropdown}" in text or "```{" in text
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{lab.url}/lab/tree/{rel}?token={lab.token}", wait_until="domcontentloaded")
            page.wait_for_selector(".jp-NotebookPanel .jp-MarkdownCell", timeout=90000)
            page.wait_for_timeout(4000)  # typesetting is asynchronous
            state = page.evaluate("""() => {
                const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                const md = nb ? Array.from(nb.querySelectorAll('.jp-MarkdownCell')) : [];
                const text = md.map(c => c.innerText).join('\\n');
                return {
                  notebook: !!nb, editor: !!document.querySelector('.jp-FileEditor:not(.lm-mod-hidden)'),
                  cells: md.length,
                  katex: nb ? nb.querySelectorAll('.katex').length : 0,
                  mathjax: nb ? nb.querySelectorAll('mjx-container').length : 0,
                  katexErrors: nb ? Array.from(nb.querySelectorAll('.katex-error, [title*="Undefined control"]')).map(e => e.textContent.slice(0, 80)) : [],
                  mjxErrors: nb ? nb.querySelectorAll('mjx-merror').length : 0,
                  redRaw: /\\\\vv\\{|\\\\norm\\{/.test(text),
                  rawDirective: text.includes(':::{') || text.includes('```{'),
                  admonitions: nb ? nb.querySelectorAll('aside, details, .admonition').length : 0,
                };
            }""")
            page.screenshot(path=str(lab.logfile.parent / "ch02.png"))
            # Save as the student would (the kernel has started, so JupyterLab has written
            # its metadata into the notebook model; autosave does the same save).
            before = (lab.root / rel).read_bytes()
            mtime = (lab.root / rel).stat().st_mtime_ns
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000)
            page.click(".jp-NotebookPanel .jp-MarkdownCell >> nth=0")
            page.keyboard.press("Escape")
            page.keyboard.press("Control+s")
            deadline = time.time() + 30
            while (lab.root / rel).stat().st_mtime_ns == mtime and time.time() < deadline:
                page.wait_for_timeout(250)
            saved = (lab.root / rel).stat().st_mtime_ns != mtime
            after = (lab.root / rel).read_bytes()
            (lab.root / rel).write_bytes(before)
        finally:
            b.close()
    print("chromium view of ch02:", state)
    assert state["notebook"] and not state["editor"], state
    assert state["cells"] > 10, state
    assert state["katex"] + state["mathjax"] >= 20, state
    assert not state["katexErrors"] and state["mjxErrors"] == 0 and not state["redRaw"], state
    assert not state["rawDirective"], state
    assert not errors, errors
    assert saved, "Ctrl+S in JupyterLab did not save the chapter"
    if after != before:
        import difflib
        diff = "\n".join(list(difflib.unified_diff(
            before.decode().splitlines(), after.decode().splitlines(), "stored",
            "saved from JupyterLab", lineterm="", n=1))[:60])
        pytest.fail(f"saving the chapter from JupyterLab's notebook view changed it:\n{diff}")
