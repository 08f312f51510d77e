"""The course's chapters in a student's JupyterLab.

Installed with the course environment (``make``: ``pip install -e .``), two small
configuration files come with this package (``jupyter-config/``, see pyproject.toml):

* ``share/jupyter/lab/settings/overrides.d/course_jupyter.json``: Markdown files open as
  notebooks (Jupytext's "Jupytext Notebook" viewer) on a double click;
* ``etc/jupyter/jupyter_server_config.d/course_jupyter.json``: the Jupyter server uses
  :class:`course_jupyter.contents.ChapterContentsManager`, Jupytext's contents manager
  that also hands the book's TeX macros (``_config.yml``, sphinx ``mathjax3_config``) to
  jupyterlab-myst when a chapter is opened as a notebook, and takes them out again on save.
"""

from .contents import ChapterContentsManager, book_macros, myst_frontmatter

__all__ = ["ChapterContentsManager", "book_macros", "myst_frontmatter"]
