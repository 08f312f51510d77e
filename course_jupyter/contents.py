"""Jupytext's contents manager plus the book's TeX macros for jupyterlab-myst.

The book defines its macros (``\\vv``, ``\\R``, ``\\norm``, ``\\T``, ``\\grad``,
``\\Hess``) once, in ``_config.yml`` under ``sphinx: config: mathjax3_config: tex:
macros`` (MathJax 3's form: a string, or ``[body, number of arguments]``). JupyterLab does
not read that file. jupyterlab-myst renders the Markdown cells of a notebook and takes its
macros from MyST front matter (``math:``) at the top of the notebook's *first Markdown
cell*; nothing else (notebook metadata, ``\\newcommand`` in another cell) reaches its math
renderer. So when a Markdown file inside the book is opened as a notebook, this manager
puts a front-matter block with the book's macros, generated from ``_config.yml``, at the
top of the first Markdown cell; when the notebook is saved, it removes exactly that block
again, so the file on disk never contains it and a save changes no byte.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import yaml
from jupytext import AsyncTextFileContentsManager

CONFIG = "_config.yml"
MARKER = "# book macros from _config.yml (added by JupyterLab, not saved)"


def book_macros(config_file: Path) -> dict[str, str]:
    """The TeX macros of a Jupyter Book ``_config.yml``, as ``{"\\\\name": body}``."""
    config = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
    macros = (((((config.get("sphinx") or {}).get("config") or {})
                .get("mathjax3_config") or {}).get("tex") or {}).get("macros") or {})
    out = {}
    for name, body in macros.items():
        if isinstance(body, (list, tuple)):
            body = body[0]  # KaTeX (jupyterlab-myst) infers the arguments from #1, #2 ...
        out["\\" + name] = str(body)
    return out


def myst_frontmatter(macros: dict[str, str]) -> str:
    """The MyST front-matter block (``math:``) that defines *macros*, ending in a newline."""
    body = yaml.safe_dump({"math": macros}, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{MARKER}\n{body}---\n"


def _find_config(directory: Path, root: Path) -> Path | None:
    """The nearest ``_config.yml`` from *directory* up to the server's root."""
    directory, root = directory.resolve(), root.resolve()
    for d in (directory, *directory.parents):
        if (d / CONFIG).is_file():
            return d / CONFIG
        if d == root:
            break
    return None


def _first_markdown_cell(nb: dict):
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            return cell
    return None


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


class ChapterContentsManager(AsyncTextFileContentsManager):
    """Jupytext's (async) contents manager; Markdown notebooks get the book's macros."""

    _macro_cache: dict

    def _frontmatter_for(self, path: str) -> str | None:
        if not path.endswith(".md"):
            return None
        os_path = Path(self._get_os_path(path))
        config = _find_config(os_path.parent, Path(self.root_dir))
        if config is None:
            return None
        cache = self.__dict__.setdefault("_macro_cache", {})
        mtime = os.stat(config).st_mtime_ns
        if cache.get(config, (None,))[0] != mtime:
            macros = book_macros(config)
            cache[config] = (mtime, myst_frontmatter(macros) if macros else None)
        return cache[config][1]

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model.get("type") == "notebook" and model.get("content"):
            block = self._frontmatter_for(path)
            cell = _first_markdown_cell(model["content"]) if block else None
            if cell is not None and not _source(cell).startswith("---"):
                cell["source"] = block + _source(cell)
        return model

    async def save(self, model, path=""):
        if model.get("type") == "notebook" and model.get("content"):
            block = self._frontmatter_for(path)
            if block:
                model = dict(model, content=copy.deepcopy(model["content"]))
                cell = _first_markdown_cell(model["content"])
                if cell is not None and _source(cell).startswith(block):
                    cell["source"] = _source(cell)[len(block):]
        saved = await super().save(model, path)
        return saved
