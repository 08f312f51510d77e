"""Install the course's Jupyter configuration into the running environment (sys.prefix).

``make`` runs ``python -m course_jupyter.install`` after ``pip install -e .`` (an editable
install does not install data files). It copies

* ``jupyter-config/lab/course_jupyter.json`` to
  ``{sys.prefix}/share/jupyter/lab/settings/overrides.d/`` (JupyterLab's settings
  overrides: Markdown opens as a Jupytext notebook on a double click), and
* ``jupyter-config/server/course_jupyter.json`` to
  ``{sys.prefix}/etc/jupyter/jupyter_server_config.d/`` (the server's contents manager is
  :class:`course_jupyter.ChapterContentsManager`).

``python -m course_jupyter.install --uninstall`` removes both files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "jupyter-config"
TARGETS = {
    HERE / "lab" / "course_jupyter.json": Path("share/jupyter/lab/settings/overrides.d"),
    HERE / "server" / "course_jupyter.json": Path("etc/jupyter/jupyter_server_config.d"),
}


def install(prefix: Path = Path(sys.prefix), uninstall: bool = False) -> list[Path]:
    done = []
    for src, rel in TARGETS.items():
        dst = prefix / rel / src.name
        if uninstall:
            dst.unlink(missing_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        done.append(dst)
    return done


if __name__ == "__main__":
    for path in install(uninstall="--uninstall" in sys.argv[1:]):
        print(("removed " if "--uninstall" in sys.argv[1:] else "installed ") + str(path))
