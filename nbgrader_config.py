"""nbgrader configuration for the course.

Instructor master copies (solutions + hidden tests) live in ``solutions/<assignment>/``;
``nbgrader generate_assignment <assignment>`` writes the student release to
``exercises/<assignment>/``. Run nbgrader from this directory (the course root).

Grading is hardened by ``instructor/hardening/`` (what each protection does, what the
student and the instructor see, and what one kernel cannot protect: ``guide/hardening.md``,
"Hardened autograding" in the book). Its limits are set at the end of this file.
"""

import os
import sys

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

# the course root is the folder of this file (traitlets defines __file__ when loading it)
HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Stored notebooks carry no outputs; the release must not either.
c.ClearOutput.enabled = True
# A student's notebook must not take minutes; a cell that does is stopped.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60

# ---- beyond one machine (JupyterHub + nbgrader's exchange; a shared gradebook) -----------
# Students fetch and submit through nbgrader's exchange on a shared server: give the course
# an id and point every user's config (/etc/jupyter/nbgrader_config.py) at one exchange
# folder, then `make release EXCHANGE=1`, `make collect ASSIGNMENT=ch02 EXCHANGE=1`,
# `make feedback EXCHANGE=1` (docs: "Running the course", the instructor guide).
# c.CourseDirectory.course_id = "calc3ml"
# c.Exchange.root = "/srv/nbgrader/exchange"
# Several graders (or grading machines) at once: a PostgreSQL gradebook instead of SQLite.
# c.CourseDirectory.db_url = "postgresql://grader@dbhost/calc3ml"

c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# ---- hardened autograding (instructor/hardening/) ---------------------------------------
# Only the package next to this file counts, so that a course folder grades the same way
# whoever runs nbgrader there. A folder without it (e.g. a bare copy of solutions/ and this
# file, as the chapter tests make) grades with nbgrader's defaults and says so on stderr;
# set NBGRADER_REQUIRE_HARDENING=1 to make that an error instead.
hardening = None
_local = os.path.join(HERE, "instructor", "hardening")
if os.path.isfile(os.path.join(_local, "__init__.py")):
    if sys.path[:1] != [HERE]:
        sys.path.insert(0, HERE)
    from instructor import hardening

    _imported = os.path.dirname(os.path.abspath(hardening.__file__))
    if not os.path.samefile(_imported, _local):
        # e.g. `instructor` imported earlier from elsewhere: its modules must be these
        def _sources(folder):
            out = {}
            for name in sorted(os.listdir(folder)):
                if name.endswith(".py"):
                    with open(os.path.join(folder, name), "rb") as fh:
                        out[name] = fh.read()
            return out

        if _sources(_imported) != _sources(_local):
            raise RuntimeError(f"imported {_imported}, which differs from {_local}")
elif os.environ.get("NBGRADER_REQUIRE_HARDENING") == "1":
    raise RuntimeError(f"{_local}/ is missing: refusing to grade without it")
else:
    sys.stderr.write("nbgrader_config.py: grading WITHOUT hardening (no instructor/hardening/ "
                     "next to this file)\n")

if hardening is not None:
    macros = {}
    try:  # the book's TeX macros (\R, \grad, ...) so that feedback renders them too
        import yaml

        with open(os.path.join(HERE, "_config.yml"), encoding="utf-8") as fh:
            book = yaml.safe_load(fh) or {}
        macros = book["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    except (OSError, KeyError, TypeError, ImportError):
        pass
    # nbgrader collect (exchange): only what `nbgrader submit` could have made is collected;
    # a folder in another student's name, one holding a symbolic link (e.g. to solutions/),
    # or one with an unparsable name is rejected (stock nbgrader collects the first two and
    # stops on the third); see instructor/exchange.py
    c.ExchangeFactory.collect = "instructor.exchange.OwnerCheckedCollect"

    hardening.configure(c, course_root=HERE,
                        mathjax_dir=os.path.join(HERE, "_vendor", "mathjax"), tex_macros=macros)

    # A cell that ignores the interrupt, or kills the kernel, is recorded as failed and the
    # notebook re-run without it; after this many re-runs the remaining cells score 0.
    c.HardenedExecute.max_kernel_restarts = 5
    # Seconds to wait for a cell to stop after the interrupt before killing the kernel.
    c.HardenedExecute.iopub_timeout = 4
    # Output kept per cell (characters); nbgrader's LimitOutput still caps lines.
    c.HardenedExecute.max_output_bytes = 100_000
    c.LimitOutput.max_lines = 1000
    # Per grading kernel: address space (MemoryError beyond it), CPU seconds, file size.
    c.SandboxKernelManager.memory_limit = 4 * 1024**3
    c.SandboxKernelManager.cpu_seconds = 1800
    c.SandboxKernelManager.file_size_limit = 256 * 1024**2
    # Landlock confines the kernel to its scratch folder where Linux offers it (>= 5.13).
    # On a grading server without it, set this to True and grade in a container instead.
    c.SandboxKernelManager.require_filesystem_sandbox = False
    # Imports a student may use; any other is flagged for a person to look at.
    c.AuditSubmission.allowed_imports = ["math", "numpy", "functools", "itertools",
                                         "collections", "typing", "dataclasses", "numbers",
                                         "operator", "fractions", "decimal", "copy",
                                         "warnings", "scipy", "matplotlib", "sympy"]
