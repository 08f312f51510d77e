"""Under each section's heading, the calclib functions that section's code uses, each a link
to its entry on the reference page (reference/calclib.md).

When a chapter's doctree is read, every section numbered ``N.M`` is searched for the code
cells the reader sees (myst-nb's ``cell_code_source`` containers); each ``cl.a.b`` they call
is resolved against the real ``calclib`` to the object's own module and name (``cl.slider``
is ``calclib.sliders.slider``), and one line, "calclib in this section: ...", is put under
the section's title. The links are ordinary ``py:func`` / ``py:class`` cross-references, so a
function the reference page does not document fails the build (``--nitpick -W``).
"""

from __future__ import annotations

import importlib
import inspect
import re

from docutils import nodes
from sphinx import addnodes

USE = re.compile(r"\bcl\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
SECTION = re.compile(r"^\d+\.\d+\s")
CLASS = "calclib-used"


def _resolve(dotted: str):
    """``"vectors.norm"`` -> ``("func", "calclib.vectors.norm")``; None for a constant,
    a module or a name that calclib does not have."""
    obj = importlib.import_module("calclib")
    for part in dotted.split("."):
        if not hasattr(obj, part):
            return None
        obj = getattr(obj, part)
    if inspect.isclass(obj):
        kind = "class"
    elif inspect.isfunction(obj):
        kind = "func"
    else:
        return None
    module = getattr(obj, "__module__", "") or ""
    if not module.startswith("calclib"):
        return None
    return kind, f"{module}.{obj.__qualname__}"


def used_in(section: nodes.section) -> list[tuple[str, str, str]]:
    """``(kind, target, shown)`` for each calclib function or class the section's visible code
    cells use, in order of first use; ``shown`` is how the code spells it (``cl.slider``)."""
    seen, out = set(), []
    for block in section.findall(nodes.literal_block):
        if block.parent.get("nb_element") != "cell_code_source":
            continue
        for dotted in USE.findall(block.astext()):
            found = _resolve(dotted)
            if found and found[1] not in seen:
                seen.add(found[1])
                out.append((*found, f"cl.{dotted}"))
    return out


def _line(app, docname: str, uses) -> nodes.paragraph:
    para = nodes.paragraph(classes=[CLASS])
    para += nodes.strong(text="calclib in this section: ")
    for i, (kind, target, shown) in enumerate(uses):
        if i:
            para += nodes.Text(", ")
        ref = addnodes.pending_xref("", refdomain="py", reftype=kind, reftarget=target,
                                    refexplicit=True, refwarn=True, refdoc=docname)
        ref += nodes.literal(text=shown, classes=["xref", "py", f"py-{kind}"])
        para += ref
    return para


def add_lines(app, doctree) -> None:
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is None or title.parent is not section or not SECTION.match(title.astext()):
            continue
        uses = used_in(section)
        if uses:
            section.insert(section.index(title) + 1, _line(app, docname, uses))


def setup(app):
    app.connect("doctree-read", add_lines)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
