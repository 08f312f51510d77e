"""Execute the book's notebooks in parallel into jupyter-book's execution cache.

    python scripts/execute_parallel.py [BOOK] [--jobs N]      (run by `make book`)

Jupyter Book 1.x (myst-nb, ``execute_notebooks: cache``) executes one notebook at a time
while Sphinx reads the pages. This step runs first and fills the same jupyter-cache
(``_build/.jupyter_cache``) with every notebook the build would execute, N at a time, so
that the following ``jupyter-book build`` only finds "Using cached notebook" and
executes nothing.

The cache stays valid because every notebook is handled exactly as myst-nb 1.x would
(myst_nb/core/execute/cache.py, ``NotebookClientCache``):

* the configuration is jupyter-book's own (``jupyter_book.config.get_final_config`` of
  _config.yml), turned into myst-nb's ``NbParserConfig`` and myst-parser's
  ``MdParserConfig``;
* the pages are those of _toc.yml (all source files if ``only_build_toc_files`` is false),
  and a page is a notebook if myst-nb's ``create_nb_reader`` says so; it is read with that
  reader and the book's Markdown configuration, so the notebook hashed here is the one
  myst-nb hashes (jupyter-cache hashes the kernelspec and the code cells, their source
  and metadata);
* the kernel-name aliases, the notebook-level ``mystnb`` overrides and
  ``execute.exclude_patterns`` are applied as myst-nb applies them;
* a notebook already in the cache (``cache.match_cache_notebook``) is skipped;
* the rest run in a process pool with jupyter-cache's ``single_nb_execution`` and the
  book's timeout, ``allow_errors`` and working folder (``run_in_temp``), like myst-nb
  (cells tagged ``raises-exception`` may raise, as under myst-nb);
* results are added to the project and cached from the main process only (one writer of
  the SQLite database) with ``cache_notebook_bundle``, as myst-nb does.

jupyter-cache's own ``local-parallel`` executor is not used as is: its pool always has
``os.cpu_count()`` workers, and it re-reads each notebook with the ``myst_nb_md`` reader
plugin, which ignores the book's Markdown configuration (``myst_enable_extensions``), so
the notebook it executes is not guaranteed to be the one myst-nb hashes.

A notebook that fails is reported with its traceback (also stored in the cache's project
record and in _build/reports/<page>.err.log, as myst-nb does), the others still run and
are cached, and the exit status is 1, so that `make book` stops.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat


@dataclass
class Job:
    docname: str
    path: Path  # absolute (not symlink-resolved), as Sphinx's doc2path gives it
    notebook: nbformat.NotebookNode
    read_fmt: dict | None
    cwd: str | None  # None: a temporary folder (run_in_temp)
    timeout: int | None
    allow_errors: bool


def book_config(book: Path):
    """jupyter-book's Sphinx configuration of the book, as myst-nb and myst-parser see it."""
    from jupyter_book.config import get_final_config
    from myst_nb.core.config import NbParserConfig
    from myst_parser.config.main import MdParserConfig

    toc = book / "_toc.yml"
    config_file = book / "_config.yml"
    sphinx_config, _ = get_final_config(
        user_yaml=config_file if config_file.is_file() else None,
        cli_config={"external_toc_path": toc.as_posix(), "latex_individualpages": False},
        sourcedir=book,
    )
    nb_values = {
        name: sphinx_config[f"nb_{name}"]
        for name, _, field in NbParserConfig().as_triple()
        if not field.metadata.get("sphinx_exclude") and f"nb_{name}" in sphinx_config
    }
    md_values = {
        name: sphinx_config[f"myst_{name}"]
        for name, _, field in MdParserConfig().as_triple()
        if "sphinx" not in field.metadata.get("omit", []) and f"myst_{name}" in sphinx_config
    }
    return sphinx_config, NbParserConfig(**nb_values), MdParserConfig(**md_values)


def execution_environment(book: Path, sphinx_config) -> dict[str, str]:
    """What the book's own extensions put into the kernels' environment in a build.

    An extension may define ``execution_environment(srcdir) -> dict`` and apply it in its
    ``setup()`` (the course's _ext/course_book.py does: it asks calclib for every slider
    frame). Sphinx runs ``setup()`` only in the build, so the same function is applied
    here, or the notebooks executed here would differ from the ones myst-nb executes.
    (get_final_config has put the book's local extension folders on sys.path.)
    """
    import importlib

    env: dict[str, str] = {}
    for name in sphinx_config.get("extensions", []):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        hook = getattr(module, "execution_environment", None)
        if callable(hook):
            env.update(hook(book))
    return env


def source_files(book: Path, sphinx_config: dict, nb_config) -> list[tuple[str, Path]]:
    """(docname, path) of every page the build reads."""
    from sphinx.util.matching import Matcher
    from sphinx_external_toc.api import GlobItem
    from sphinx_external_toc.parsing import parse_toc_yaml

    suffixes = [".ipynb", ".md", *nb_config.custom_formats]  # .rst is never a notebook
    excluded = Matcher(list(sphinx_config.get("exclude_patterns", [])))

    def resolve(name: str) -> Path | None:
        for suffix in ("", *suffixes):
            path = book / f"{name}{suffix}"
            if path.is_file() and (suffix or path.suffix in suffixes):
                return path
        return None

    def docname(path: Path) -> str:
        rel = path.relative_to(book).as_posix()
        for suffix in sorted(suffixes, key=len, reverse=True):
            if rel.endswith(suffix):
                return rel[: -len(suffix)]
        return rel

    paths: list[Path] = []
    # only_build_toc_files: true (jupyter-book) is external_toc_exclude_missing (Sphinx)
    if (book / "_toc.yml").is_file() and sphinx_config.get("external_toc_exclude_missing"):
        site = parse_toc_yaml(book / "_toc.yml")
        for name in site:
            path = resolve(name)
            if path is not None:
                paths.append(path)
            for tree in site[name].subtrees:
                for item in tree.items:
                    if isinstance(item, GlobItem):
                        paths.extend(p for p in sorted(book.glob(str(item)))
                                     if p.is_file() and p.suffix in suffixes)
    else:
        paths = [p for p in sorted(book.rglob("*")) if p.is_file() and p.suffix in suffixes]
    seen, out = set(), []
    for path in paths:
        rel = path.relative_to(book).as_posix()
        if rel in seen or excluded(rel):
            continue
        seen.add(rel)
        out.append((docname(path), path))
    return out


def collect_jobs(book: Path, sphinx_config, nb_config, md_config, log) -> list[Job]:
    """Every notebook the build would execute in 'cache' mode, read as myst-nb reads it."""
    from myst_nb.core.read import create_nb_reader
    from myst_nb.core.nb_to_tokens import nb_node_to_dict

    jobs = []
    for name, path in source_files(book, sphinx_config, nb_config):
        text = path.read_text(encoding="utf8")
        reader = create_nb_reader(str(path), md_config, nb_config, text)
        if reader is None:
            continue  # a plain Markdown page
        notebook = reader.read(text)
        config = nb_config
        kernel = notebook.metadata.get("kernelspec", {}).get("name", None)
        if kernel is not None and config.kernel_rgx_aliases:
            for rgx, alias in config.kernel_rgx_aliases.items():
                if re.fullmatch(rgx, kernel):
                    notebook.metadata["kernelspec"]["name"] = alias
                    break
        if config.metadata_key in notebook.metadata:
            overrides = nb_node_to_dict(notebook.metadata[config.metadata_key])
            overrides.pop("output_folder", None)
            try:
                config = config.copy(**overrides)
            except Exception:  # myst-nb warns and keeps the book's configuration
                pass
        if config.execution_mode != "cache":
            continue  # myst-nb executes it (or not) itself
        posix = PurePosixPath(path.as_posix())
        if any(posix.match(pattern) for pattern in config.execution_excludepatterns):
            continue
        jobs.append(Job(
            name, path, notebook, reader.read_fmt,
            cwd=None if config.execution_in_temp else os.path.abspath(path.parent),
            timeout=config.execution_timeout, allow_errors=config.execution_allow_errors,
        ))
    return jobs


def execute(nb_json: str, cwd: str | None, timeout, allow_errors):
    """In a worker process: execute one notebook as myst-nb does (single_nb_execution)."""
    from contextlib import nullcontext
    from tempfile import TemporaryDirectory

    from jupyter_cache.executors.utils import single_nb_execution

    notebook = nbformat.reads(nb_json, as_version=nbformat.NO_CONVERT)
    with (TemporaryDirectory() if cwd is None else nullcontext(cwd)) as folder:
        result = single_nb_execution(notebook, cwd=os.path.abspath(folder), timeout=timeout,
                                     allow_errors=allow_errors, meta_override=True)
    err = None if result.err is None else type(result.err).__name__
    return nbformat.writes(result.nb), result.time, err, result.exc_string


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("book", nargs="?", default=".", help="the book's folder (default: .)")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="notebooks executed at once (default: the number of CPUs)")
    args = parser.parse_args(argv)
    log = lambda msg: print(f"[execute_parallel] {msg}", flush=True)  # noqa: E731

    book = Path(args.book).absolute()
    sphinx_config, nb_config, md_config = book_config(book)
    os.environ.update(execution_environment(book, sphinx_config))
    if nb_config.execution_mode != "cache":
        log(f"execute_notebooks is {nb_config.execution_mode!r}, not 'cache': nothing to do")
        return 0

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.cache.db import NbProjectRecord

    cache_path = nb_config.execution_cache_path or book / "_build" / ".jupyter_cache"
    cache = get_cache(Path(cache_path).absolute())

    jobs = collect_jobs(book, sphinx_config, nb_config, md_config, log)
    todo = []
    for job in jobs:
        try:
            record = cache.match_cache_notebook(job.notebook)
        except KeyError:
            todo.append(job)
        else:
            log(f"cached:    {job.docname} (ID={record.pk})")
    if not todo:
        log(f"all {len(jobs)} notebooks are cached: nothing to execute")
        return 0

    # Longest first (last known execution time of the same file), so the pool ends together.
    last = {rec.uri: rec.data.get("execution_seconds", 0) for rec in cache.list_cache_records()}
    todo.sort(key=lambda j: (last.get(str(j.path), 0), j.path.stat().st_size), reverse=True)
    workers = max(1, min(args.jobs or os.cpu_count() or 1, len(todo)))
    log(f"executing {len(todo)} of {len(jobs)} notebooks, {workers} at a time")

    failed = []
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(execute, nbformat.writes(job.notebook), job.cwd, job.timeout,
                        job.allow_errors): job
            for job in todo
        }
        for future in as_completed(futures):
            job = futures[future]
            stage = cache.add_nb_to_project(
                str(job.path), **({"read_data": job.read_fmt} if job.read_fmt else {}))
            NbProjectRecord.remove_tracebacks([stage.pk], cache.db)
            try:
                nb_json, seconds, err, exc_string = future.result()
            except Exception as exc:  # the kernel could not start, a worker died, ...
                err, exc_string, seconds = type(exc).__name__, repr(exc), 0.0
            if err is not None:
                failed.append(job.docname)
                NbProjectRecord.set_traceback(stage.uri, exc_string, cache.db)
                report = book / "_build" / "reports" / f"{job.docname}.err.log"
                report.parent.mkdir(parents=True, exist_ok=True)
                report.write_text(exc_string or err, encoding="utf8")
                print(f"[execute_parallel] FAILED:   {job.docname} ({job.path.name}): {err}\n"
                      f"{exc_string}", file=sys.stderr, flush=True)
                continue
            executed = nbformat.reads(nb_json, as_version=nbformat.NO_CONVERT)
            record = cache.cache_notebook_bundle(
                CacheBundleIn(executed, stage.uri, data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True,
            )
            log(f"executed:  {job.docname} in {seconds:.2f} s (cached ID={record.pk})")

    log(f"{len(todo) - len(failed)} executed, {len(failed)} failed, "
        f"in {time.perf_counter() - t0:.1f} s")
    if failed:
        print("[execute_parallel] these notebooks failed (tracebacks above): "
              + ", ".join(failed), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
