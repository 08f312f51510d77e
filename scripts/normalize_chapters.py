"""Store the chapters exactly as JupyterLab (through Jupytext) saves them.

Opening a chapter ``.md`` in JupyterLab and saving it (autosave does so as soon as the
kernel starts) rewrites the file in Jupytext's own form: Jupytext's header fields, its key
order and its YAML quoting. A chapter stored in any other form is therefore rewritten the
first time a student or an author opens it. This script rewrites ``chapters/*.md`` (or the
files given) through Jupytext's reader and writer with the repository's ``jupytext.toml``,
exactly as the Jupytext contents manager does on save, so that afterwards a round trip
changes no byte (``tests/test_jupyterlab.py`` checks it).

Two changes are made on the way, and they change nothing the reader sees.

* The ``kernelspec`` header is written as JupyterLab writes it once the kernel has started
  (its notebook panel sets ``name``, ``display_name``, ``language``, in that order, from the
  environment's kernel spec, e.g. ``Python 3 (ipykernel)``); otherwise the first save of a
  student or an author rewrites the header.
* In a ``caption``
(cell metadata, e.g. ``mystnb.figure.caption``) single line breaks are joined with a
  space. A caption is Markdown, where a single line break is a space; but Jupytext writes a
string that contains line breaks as a quoted YAML scalar with every line break doubled,
which is unreadable for authors. Joined, the caption is written as a plain wrapped YAML
string. Paragraph breaks (blank lines) are kept.

Usage::

    python scripts/normalize_chapters.py            # rewrite chapters/*.md in place
    python scripts/normalize_chapters.py --check    # exit 1 and list the files that would change
    python scripts/normalize_chapters.py FILE ...   # only these files
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext
from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file

ROOT = Path(__file__).resolve().parents[1]
_SOFT_BREAK = re.compile(r"(?<!\n)[ \t]*\n[ \t]*(?!\n)")


def jupytext_format(path: Path) -> dict:
    """The format Jupytext's contents manager uses for *path*: MyST plus jupytext.toml."""
    fmt = {"extension": path.suffix, "format_name": "myst"}
    config_file = find_jupytext_configuration_file(str(path.resolve().parent))
    if config_file:
        load_jupytext_configuration_file(config_file).set_default_format_options(fmt)
    return fmt


def round_trip(text: str, fmt: dict) -> str:
    """What JupyterLab writes back after opening *text* (Jupytext read, then write)."""
    return jupytext.writes(jupytext.reads(text, fmt=dict(fmt)), fmt=dict(fmt))


def join_soft_breaks(value: str) -> str:
    """Markdown-neutral: single line breaks become spaces, blank lines stay."""
    value = value.strip()
    return _SOFT_BREAK.sub(" ", value)


def _clean_captions(meta):
    if isinstance(meta, dict):
        for key, value in meta.items():
            if key == "caption" and isinstance(value, str) and "\n" in value:
                meta[key] = join_soft_breaks(value)
            else:
                _clean_captions(value)
    elif isinstance(meta, list):
        for item in meta:
            _clean_captions(item)


def jupyterlab_kernelspec(kernelspec: dict) -> dict:
    """The kernelspec metadata JupyterLab writes for this kernel (its key order too)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = (kernelspec or {}).get("name")
    if not name:
        return kernelspec
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return kernelspec
    return {"name": name, "display_name": spec.display_name, "language": spec.language}


def normalize(text: str, fmt: dict) -> str:
    nb = jupytext.reads(text, fmt=dict(fmt))
    if "kernelspec" in nb.metadata:
        nb.metadata["kernelspec"] = jupyterlab_kernelspec(nb.metadata["kernelspec"])
    for cell in nb.cells:
        _clean_captions(cell.metadata)
    out = jupytext.writes(nb, fmt=dict(fmt))
    # Jupytext's writer is not always idempotent in one pass; stop at its fixed point.
    for _ in range(5):
        again = round_trip(out, fmt)
        if again == out:
            return out
        out = again
    raise RuntimeError("Jupytext round trip does not reach a fixed point")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    args = parser.parse_args(argv)
    files = args.files or sorted((ROOT / "chapters").glob("*.md"))
    changed = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        new = normalize(text, jupytext_format(path))
        if new != text:
            changed.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in changed:
        print(("would change " if args.check else "normalized ") + str(path))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
