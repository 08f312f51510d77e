"""Small fixes to the HTML that Jupyter Book 1 produces for this course.

1. Offer every executed chapter as an ``.ipynb`` download in the book's header.

sphinx-book-theme shows a ".ipynb" entry in its download menu when the page context has
``ipynb_source``, but it only sets that for MyST-markdown notebooks when a launch service
(Binder, JupyterHub, ...) *and* a repository URL are configured. The course must offer the
download without either, so this extension does the same copy unconditionally: myst-nb
writes each executed notebook to ``_build/jupyter_execute/<page>.ipynb``; we copy it into
``_build/html/_sources/`` and point the theme at it. When launch buttons are configured
(``repository.url`` in _config.yml) the theme copies the unmerged notebook over ours, so
the outputs are merged in after it; ``colab_url`` is refused with its reason.

2. Drop duplicated ``<script>`` tags. sphinx-thebe 0.3 registers its inline configuration
script (``const THEBE_JS_URL = ...``) twice, and the second copy throws "Identifier
'THEBE_JS_URL' has already been declared" on every page; the browser test requires a
clean console.

3. Ask calclib for every slider frame, and keep them. ``cl.slider`` draws only the
initial frame in a live kernel (the widget draws the others on demand); the static book
needs them all in the page. ``setup()`` puts :func:`execution_environment` into the
Sphinx process's environment (``CALCLIB_STATIC_FRAMES=1``, and ``CALCLIB_FRAME_CACHE``,
the persistent frame cache ``_build/.frame_cache`` of calclib.frame_cache), and the
kernels that myst-nb/nbclient start for execution inherit it. scripts/execute_parallel.py,
which executes the notebooks before the build, applies the same function.

4. Drop the ipywidgets state that myst-nb embeds for executed notebooks. The course
loads no widget JavaScript in the static book (sliders use their pre-rendered HTML
version, see calclib.sliders), so nothing reads that state; it only adds one encoded
frame per slider to the page weight.
"""


from __future__ import annotations

import os
from pathlib import Path
from shutil import copy2

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _add_ipynb_source(app, pagename, templatename, context, doctree):
    if doctree is None or context.get("ipynb_source"):
        return
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    source = context.get("sourcename", "")
    if not (source.endswith(".md") or source.endswith(".md.txt")):
        return  # .ipynb pages are already downloadable as their own source
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"    # the outputs: _merge_download, after the theme


def _merge_cached_outputs(app, path: Path) -> None:
    """Put the cached outputs into a notebook that myst-nb wrote without them.

    When a page's outputs come from the execution cache, myst-nb 1.x renders the merged
    notebook but writes the *unmerged* one to jupyter_execute/ (its cache client replaces
    its own copy). A reader must get the executed notebook, so merge from the same cache.
    """
    import nbformat
    from jupyter_cache import get_cache

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or any(c.get("outputs") or c.get("execution_count") for c in code):
        return
    cache_dir = app.env.mystnb_config.execution_cache_path  # set by myst-nb at build start
    try:
        _, merged = get_cache(cache_dir).merge_match_into_notebook(nb)
    except KeyError:  # not in the cache (e.g. execution is off): leave it as it is
        return
    nbformat.write(merged, path)


def _clean_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        if (getattr(js, "attributes", None) or {}).get("type") == WIDGET_STATE:
            continue
        # same file (or inline body) and attributes; the copies differ only in priority
        # same file (or inline body) and attributes; copies differ in priority or in
        # an inline script's filename ("" or None)
        key = (getattr(js, "filename", js) or None,
               tuple(sorted((getattr(js, "attributes", None) or {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def _accessible_toggles(app, pagename, templatename, context, doctree):
    """myst-nb's hide-input toggles say "Show code cell source" but are labelled "Toggle
    hidden content" (axe-core: label-content-name-mismatch, serious); without the label
    their accessible name is the visible text."""
    body = context.get("body")
    if body:
        context["body"] = body.replace('<summary aria-label="Toggle hidden content">',
                                       "<summary>")


def _merge_download(app, pagename, templatename, context, doctree):
    """Merge the cached outputs into the download, once, after sphinx-book-theme's launch
    code (priority 501), which copies the unmerged notebook over it when launch buttons
    are configured."""
    if context.get("ipynb_source") and doctree is not None:
        target = Path(app.outdir) / "_sources" / context["ipynb_source"]
        if target.is_file():
            _merge_cached_outputs(app, target)


def _launch_settings(app, config):
    """Launch buttons only with a repository (repository.url in _config.yml): without it the
    launch services are dropped, so the theme adds nothing. Colab is refused with its reason."""
    options = config.html_theme_options or {}
    launch = options.get("launch_buttons") or {}
    if not str(options.get("repository_url") or "").strip():
        for key in ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url"):
            launch.pop(key, None)
    if launch.get("colab_url"):
        from sphinx.errors import ConfigError

        raise ConfigError(
            "launch_buttons.colab_url is set, but Colab opens only .ipynb files from GitHub and "
            "the chapters are MyST markdown (chapters/*.md): every Colab button would be a broken "
            "link. Remove colab_url; set repository.url (Binder) and optionally "
            "launch_buttons.jupyterhub_url instead.")


def execution_environment(srcdir) -> dict[str, str]:
    """The environment variables the chapters' kernels need in a build of the book.

    (calclib.sliders.STATIC_FRAMES_ENV and calclib.frame_cache.FRAME_CACHE_ENV; not
    imported here, the extension needs no calclib.)
    """
    return {"CALCLIB_STATIC_FRAMES": "1",
            "CALCLIB_FRAME_CACHE": str(Path(srcdir).absolute() / "_build" / ".frame_cache")}


def setup(app):
    # Forced, not setdefault: the execution cache keeps outputs by code only, so a build
    # that ran with lazy frames would store one-frame sliders for every later build.
    os.environ.update(execution_environment(app.srcdir))
    # before sphinx-book-theme builds its header buttons (priority 501)
    app.connect("html-page-context", _add_ipynb_source, priority=500)
    app.connect("html-page-context", _merge_download, priority=502)
    app.connect("config-inited", _launch_settings)
    app.connect("html-page-context", _clean_scripts, priority=900)
    app.connect("html-page-context", _accessible_toggles, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

