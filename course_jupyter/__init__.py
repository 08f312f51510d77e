"""The course's chapters in a student's JupyterLab.

Installed with the course environment (``make``: ``pip install -e .``), two small
configuration files come with this package (``jupyter-config/``, see pyproject.toml):

* ``share/jupyter/lab/settings/overrides.d/course_jupyter.json``: Markdown files open as
  notebooks (Jupytext's "Jupytext Notebook" viewer) on a double click;
* ``etc/jupyter/jupyter_server_config.d/course_jupyter.json``: enables this server
  extension, which makes the server use
  :class:`course_jupyter.contents.ChapterContentsManager`, Jupytext's contents manager
  that also hands the book's TeX macros (``_config.yml``, sphinx ``mathjax3_config``) to
  jupyterlab-myst when a chapter is opened as a notebook, and takes them out again on save.
"""

from .contents import ChapterContentsManager, book_macros, myst_frontmatter

__all__ = ["ChapterContentsManager", "book_macros", "myst_frontmatter"]


def _jupyter_server_extension_points():
    return [{"module": "course_jupyter"}]


def _load_jupyter_server_extension(app):
    """Serve contents through ChapterContentsManager (as jupyterlab_jupytext does for its
    own manager: the contents manager exists already when extensions load)."""
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

    current = type(app.contents_manager)
    if isinstance(app.contents_manager, ChapterContentsManager):
        return
    # Only the server's default file manager, or Jupytext's wrapper of it, is replaced;
    # a contents manager someone configured on purpose is left alone.
    if not (current is AsyncLargeFileManager or (
            hasattr(current, "formats") and current.__mro__[1] is AsyncLargeFileManager)):
        app.log.warning("[course_jupyter] contents manager %s kept: chapters open "
                        "without the book's TeX macros", current.__name__)
        return
    app.contents_manager_class = ChapterContentsManager
    app.contents_manager = ChapterContentsManager(parent=app, log=app.log)
    app.session_manager.contents_manager = app.contents_manager
    app.web_app.settings["contents_manager"] = app.contents_manager
    app.log.info("[course_jupyter] chapters open with the book's TeX macros (%s)",
                 ChapterContentsManager.__name__)
