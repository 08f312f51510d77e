"""Launch buttons: one setting (repository.url in _config.yml) turns on a Binder button, and
launch_buttons.jupyterhub_url a JupyterHub one, on every chapter; unset, the book has none.

A real build of the course with a sample setting (the chapters' outputs come from the
execution cache of the session's build), then every button's link is taken apart and
checked: the service, the repository, the branch, and a path that names the chapter's own
source file in this repository, opened in JupyterLab.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml

from conftest import ROOT, chapter_files, run_book_build

REPO = "https://github.com/example-org/calc-ml"
HUB = "https://hub.example.edu"
BINDER = "https://mybinder.org"
HREF = re.compile(r'href="([^"]+)"')
slow = pytest.mark.slow


def sample_config(tmp: Path, **launch) -> Path:
    """The course's _config.yml with a repository URL (and ``launch`` settings), reading the
    session build's execution cache and the course's extensions from their real folders."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    cfg["repository"]["url"] = REPO
    cfg["launch_buttons"].update(launch)
    cfg["execute"]["cache"] = str(ROOT / "_build" / ".jupyter_cache")
    cfg["sphinx"]["local_extensions"] = {name: str(ROOT / path)
                                         for name, path in cfg["sphinx"]["local_extensions"].items()}
    path = tmp / "_config.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def links(page: Path) -> list[str]:
    return [html.unescape(h) for h in HREF.findall(page.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def launch_book(built_book, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("launch")
    config = sample_config(out, jupyterhub_url=HUB)
    proc = run_book_build(ROOT, "--config", str(config), "--path-output", str(out))
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "build succeeded" in log, log[-5000:]
    return out / "_build" / "html"


def the_button(page: str, launch_book: Path, service: str):
    """The one link of the chapter's page that goes to ``service``, taken apart."""
    found = [u for u in links(launch_book / f"{page}.html") if u.startswith(service)]
    assert len(found) == 1, f"{page}: links to {service}: {found}"
    return urlsplit(found[0])


def tracked_files() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@slow
def test_every_chapter_has_a_binder_button_that_opens_its_own_source(launch_book):
    files = tracked_files()
    for page in chapter_files():
        url = the_button(page, launch_book, BINDER)
        assert url.path == "/v2/gh/example-org/calc-ml/main", url.geturl()
        (urlpath,) = parse_qs(url.query)["urlpath"]
        assert urlpath.startswith("lab/tree/"), urlpath          # JupyterLab, not the classic UI
        source = urlpath.removeprefix("lab/tree/")
        assert source == f"{page}.md" and source in files, (page, source)


@slow
def test_every_chapter_has_a_jupyterhub_button_that_pulls_the_repository(launch_book):
    files = tracked_files()
    for page in chapter_files():
        url = the_button(page, launch_book, HUB)
        assert url.path == "/hub/user-redirect/git-pull", url.geturl()      # nbgitpuller
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert query["repo"] == REPO and query["branch"] == "main", query
        # nbgitpuller clones into ~/calc-ml, so the path starts with the repository's name
        assert query["urlpath"] == f"lab/tree/calc-ml/{page}.md", query
        assert f"{page}.md" in files


@slow
def test_no_colab_button_and_the_download_keeps_its_outputs(launch_book):
    for page in chapter_files():
        assert not [u for u in links(launch_book / f"{page}.html") if "colab" in u], page
        nb = nbformat.read(launch_book / "_sources" / f"{page}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any(c.outputs for c in code), f"{page}: the .ipynb download lost its outputs"


@slow
def test_without_the_setting_no_page_has_a_launch_button(built_book):
    assert yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"] == ""
    for page in built_book.rglob("*.html"):
        found = [u for u in links(page) if u.startswith((BINDER, HUB)) or "git-pull" in u]
        assert not found, f"{page.relative_to(built_book)}: {found}"


def test_colab_is_refused_with_the_reason(tmp_path):
    config = sample_config(tmp_path, colab_url="https://colab.research.google.com")
    proc = run_book_build(ROOT, "--config", str(config), "--path-output", str(tmp_path))
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log[-3000:]
    assert "Colab opens only .ipynb files" in log, log[-3000:]


def test_binder_installs_what_make_installs():
    """Binder builds from binder/: the pinned lock, then calclib and the Jupyter settings as the
    Makefile's environment stamp installs them."""
    req = (ROOT / "binder" / "requirements.txt").read_text().split()
    assert "-r" in req and (ROOT / "binder" / req[req.index("-r") + 1]).resolve() == ROOT / "requirements.lock"
    post = (ROOT / "binder" / "postBuild").read_text()
    make = (ROOT / "Makefile").read_text()
    def editable_install(text):
        return [ln for ln in text.splitlines() if "pip install" in ln and ln.rstrip().endswith("-e .")]

    for text in (post, make):
        (line,) = editable_install(text)
        assert "--no-deps" in line and "--no-build-isolation" in line, line
        assert "-m course_jupyter.install" in text
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
