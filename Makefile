# Two commands do everything: `make book` and `make test`.
# Both first create or update the pinned virtual environment in .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

NODE_STAMP := node_modules/.installed

.PHONY: book test exercises bench lock clean distclean a11y pdf
.PHONY: release collect autograde feedback export-grades demo roster

# A venv belongs to one folder: its scripts start with `#!<that folder>/.venv/bin/python`.
# A course folder copied for a new term carries the old term's .venv (and its stamp);
# then the venv is rebuilt here instead of running the old folder's code.
VENV_SHEBANG := $(shell sed -n '1s/^#!//p' $(BIN)/pip 2>/dev/null)
VENV_MOVED   := $(if $(VENV_SHEBANG),$(if $(findstring $(abspath $(BIN))/python,$(VENV_SHEBANG)),,venv-moved))

.PHONY: venv-moved
venv-moved: ;

$(STAMP): requirements.lock pyproject.toml $(wildcard course_jupyter/*.py course_jupyter/jupyter-config/*/*.json) $(VENV_MOVED)
	@if [ -n "$(VENV_MOVED)" ]; then echo "$(VENV) belongs to another folder ($(VENV_SHEBANG)): rebuilding it"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip check --disable-pip-version-check
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m course_jupyter.install
	@touch $(STAMP)

# Browser-side test tools (axe-core), exactly as package-lock.json pins them.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $(NODE_STAMP)

## make book [JOBS=2]: build the HTML book into _build/html (notebooks execute in parallel, JOBS at a time, into jupyter-book's cache)
# scripts/execute_parallel.py first executes, in parallel, every notebook the build would
# execute and is not in _build/.jupyter_cache yet (exactly as myst-nb would); the build
# then finds them all cached. A failing notebook is reported with its traceback and stops.
book: $(STAMP)
	$(BIN)/python scripts/execute_parallel.py . $(if $(JOBS),--jobs $(JOBS))
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

## make test [TEST_JOBS=n]: the whole test suite (builds the book, runs nbgrader, drives Chromium), one test file per worker, a worker per core
# pytest-xdist runs whole files side by side (--dist loadfile keeps a file's fixtures, such as
# an assignment's graded class, in one worker); the workers share one build of the book
# (tests/conftest.py). TEST_JOBS=0 runs everything in this process, one test at a time.
TEST_JOBS ?= logical
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile --junitxml=_build/test-report.xml

## make exercises [DISCARD_GRADEBOOK=1]: regenerate the student release exercises/ from solutions/ (removes gradebook.db: refused if it holds submissions, unless DISCARD_GRADEBOOK=1, which keeps a dated backup)
exercises: $(STAMP)
	$(BIN)/python -m instructor.safety gradebook.db $(if $(DISCARD_GRADEBOOK),--discard)
	for d in solutions/*/; do PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbgrader generate_assignment $$(basename $$d) --force --log-level=WARN || exit 1; done
	rm -f gradebook.db

## make a11y: axe-core on every page of the built book, with the violation counts per page
a11y: $(STAMP) $(NODE_STAMP) book
	$(BIN)/python -m pytest tests/test_a11y.py -q -s

## make pdf: the whole book as one PDF, _build/pdf/book.pdf (single-page build, printed by Chromium)
pdf: $(STAMP)
	$(BIN)/jupyter-book build . --builder singlehtml --warningiserror --nitpick --keep-going
	$(BIN)/python scripts/make_pdf.py

## make bench: calclib accuracy, then build/execution/page-weight benchmark
bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy_derivatives.py
	$(BIN)/python benchmarks/accuracy_integrate.py
	$(BIN)/python benchmarks/bench_frames.py
	$(BIN)/python benchmarks/bench_book.py
	$(BIN)/python benchmarks/estimate_tests.py

# ---- Instructors: the grading loop on nbgrader (python -m instructor; see README) ----
# Variables: ASSIGNMENT=ch02 (default: all), STUDENT=alice, ARCHIVE=path/to/export.zip,
# JOBS=4 (default: the number of CPUs), FORCE=1 (grade again what is already graded),
# EXCHANGE=1 (release, collect and feedback through nbgrader's exchange, e.g. on JupyterHub).
ASSIGNMENT ?=
STUDENT    ?=
ARCHIVE    ?=
JOBS       ?=
FORCE      ?=
EXCHANGE   ?=
ROSTER     ?=
LMS        ?=
CLUSTER    ?=
CANVAS     ?=
INSTRUCTOR := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m instructor

## make release [ASSIGNMENT=ch02] [EXCHANGE=1]: solutions/ -> exercises/ and the gradebook (nbgrader generate_assignment) [-> the exchange]
release: $(STAMP)
	$(INSTRUCTOR) release $(ASSIGNMENT) $(if $(EXCHANGE),--exchange)

## make collect ASSIGNMENT=ch02 ARCHIVE=export.zip [LMS=canvas|moodle]: LMS export (<student>_ch02.ipynb or <student>/ch02.ipynb) -> submitted/
## make collect ASSIGNMENT=ch02 EXCHANGE=1: the exchange's inbound/ -> submitted/ (nbgrader collect --update)
collect: $(STAMP)
	@test -n "$(ASSIGNMENT)" -a -n "$(ARCHIVE)$(EXCHANGE)" || { echo "usage: make collect ASSIGNMENT=ch02 ARCHIVE=path/to/export.zip  (or EXCHANGE=1)"; exit 2; }
	$(INSTRUCTOR) collect $(ASSIGNMENT) $(ARCHIVE) $(if $(EXCHANGE),--exchange) $(if $(LMS),--lms $(LMS))

## make autograde [ASSIGNMENT=ch02] [STUDENT=alice] [JOBS=4] [FORCE=1] [CLUSTER=tcp://host:8786]: nbgrader autograde, in parallel [on a Dask cluster]
autograde: $(STAMP)
	$(INSTRUCTOR) autograde $(ASSIGNMENT) $(if $(STUDENT),--student $(STUDENT)) $(if $(JOBS),--jobs $(JOBS)) $(if $(FORCE),--force) $(if $(CLUSTER),--cluster $(CLUSTER))

## make feedback [ASSIGNMENT=ch02] [EXCHANGE=1]: HTML feedback per student in feedback/ (nbgrader generate_feedback) [-> the exchange]
feedback: $(STAMP)
	$(INSTRUCTOR) feedback $(ASSIGNMENT) $(if $(EXCHANGE),--exchange)

## make roster ROSTER=students.csv: the class list (id,first_name,last_name,email,lms_user_id) -> the gradebook (nbgrader db student import)
roster: $(STAMP)
	@test -n "$(ROSTER)" || { echo "usage: make roster ROSTER=students.csv"; exit 2; }
	$(INSTRUCTOR) roster $(ROSTER)

## make export-grades [CANVAS=canvas.csv]: the gradebook -> grades.csv, one row per rostered student and assignment, with a note (nbgrader export) [and a Canvas gradebook CSV]
export-grades: $(STAMP)
	$(INSTRUCTOR) export --to grades.csv $(if $(CANVAS),--canvas $(CANVAS))

## make demo [JOBS=2]: a generated class through the whole loop in ./demo-class/, then where to look
demo: $(STAMP)
	$(INSTRUCTOR) demo --dir demo-class $(if $(JOBS),--jobs $(JOBS))

# The lock is complete (pip freeze of a resolved venv), so it is installed with --no-deps
# and checked with pip check. It leaves out what LOCK_OMIT names (a regular expression): jsonschema's optional
# checker for the "iri" format (pulled in by jupyter-events' jsonschema[format-nongpl]),
# which compiles 38 lark grammars when imported: 1.7 s in every process that imports
# nbformat (each chapter's kernel at its first glue, each nbgrader run, the build itself).
# Nothing in the course validates IRIs; jsonschema skips the format without it.
LOCK_OMIT := rfc3987-syntax|lark

## make lock: re-resolve requirements.in into requirements.lock
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	.lock-venv/bin/python -m pip install --quiet -r requirements.in
	( echo "# Generated by 'make lock' from requirements.in. Do not edit by hand."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable \
	    | grep -v -i -E '^($(LOCK_OMIT))==' ) > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) node_modules
