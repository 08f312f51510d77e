"""``python -m instructor``: the instructor's grading loop on nbgrader.

Every command runs nbgrader's own apps (``generate_assignment``, ``zip_collect``,
``autograde``, ``generate_feedback``, ``export``) in the course folder, prints one progress
line per assignment or submission, and ends with a summary table. nbgrader's full logs
are kept in ``<course>/logs/``. Exit code 1 when something could not be done (a submission
that failed to grade counts), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

from .course import Course, CourseError, relative
from .gradebook import MergeError
from .parallel import BusyError, WorkerError
from .report import FAILED, GRADED, MANUAL, OUTCOMES, SKIPPED, status, status_table, table

FORMGRADER_HINT = ("grade those cells by hand in nbgrader's formgrader: `.venv/bin/jupyter lab` "
                   "in the course folder, then Nbgrader > Formgrader")


def cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


def _warnings(prefix: str = "    "):
    """An ``on_line`` callback that shows nbgrader's warnings and errors as they come."""
    def on_line(level: str, message: str) -> None:
        if level in ("WARNING", "ERROR", "CRITICAL"):
            say(f"{prefix}nbgrader {level.lower()}: {message.strip()}")
    return on_line


# ---- release -----------------------------------------------------------------------------

def release(course: Course, assignment: str | None, exchange: bool = False) -> int:
    """``nbgrader generate_assignment`` for one assignment or all of ``solutions/``; with
    ``exchange``, then ``nbgrader release_assignment`` into nbgrader's exchange."""
    if exchange:
        from .exchange import exchange_settings

        exchange_settings(course)  # no course id: say so before generating anything
    names = [assignment] if assignment else course.source_assignments()
    if not names:
        raise CourseError(f"no assignments in {course.source_dir}")
    for a in names:
        course.require_assignment(a)
    say(f"release: {len(names)} assignment(s) from {relative(course.source_dir)}/ "
        f"-> {relative(course.root / course.coursedir.release_directory)}/ and the gradebook")
    rows, failed = [], 0
    for i, a in enumerate(names, 1):
        say(f"  [{i}/{len(names)}] {a}: nbgrader generate_assignment {a} --force")
        code, log = course.run_nbgrader("generate_assignment", a, "--force",
                                        log_name=f"release-{a}", on_line=_warnings())
        if code != 0:
            failed += 1
            rows.append([a, "failed", None, None, None, f"see {relative(log)}"])
            continue
        notebooks, auto, manual = _points(course, a)
        out = course.root / course.coursedir.release_directory / a
        where = relative(out) + "/"
        if exchange:
            from .exchange import release_assignment

            ok, where_or_why = release_assignment(course, a, say)
            if not ok:
                failed += 1
                rows.append([a, "failed", notebooks, auto, manual, where_or_why])
                continue
            where += " and " + where_or_why
        rows.append([a, "released", notebooks, auto, manual, where])
    say("", "release summary:",
        table(["assignment", "status", "notebooks", "autograded points", "manual points",
               "student version"], rows))
    if failed:
        say(f"{failed} assignment(s) failed: nbgrader's log says why")
    return 1 if failed else 0


def _points(course: Course, assignment: str) -> tuple[int, float, float]:
    """(notebooks, autograded points, points graded by hand) from the gradebook."""
    with course.gradebook() as gb:
        a = gb.find_assignment(assignment)
        auto = manual = 0.0
        for nb in a.notebooks:
            solution_names = {c.name for c in nb.solution_cells}
            for c in nb.grade_cells:
                if c.name in solution_names:
                    manual += c.max_score
                else:
                    auto += c.max_score
            manual += sum(c.max_score for c in nb.task_cells)
        return len(a.notebooks), auto, manual


# ---- collect -----------------------------------------------------------------------------

# zip_collect warns about these every time; the summary says the same more clearly
_ROUTINE_COLLECT_WARNINGS = ("Directory not found. Creating", "Clearing existing files",
                             "Skipped", "files collected")

def collect(course: Course, assignment: str, archive: Path, lms: str = "plain") -> int:
    """Stage an LMS export and run ``nbgrader zip_collect`` with the course's collector
    (the plain layouts of :mod:`instructor.collect`, or a preset of :mod:`instructor.lms`)."""
    from .collect import COLLECTOR, fix_for, layouts, released_notebooks, stage
    from .lms import PRESETS

    course.require_assignment(assignment)
    notebooks = released_notebooks(course, assignment)
    if not notebooks:
        raise CourseError(f"{assignment} has not been released (no notebooks in "
                          f"{course.coursedir.release_directory}/{assignment}/): "
                          f"run `make release ASSIGNMENT={assignment}` first")
    if lms != "plain" and lms not in PRESETS:
        raise CourseError(f"unknown LMS preset {lms!r}: plain, {', '.join(PRESETS)}")
    collector = PRESETS.get(lms, COLLECTOR)
    zc = course.config.get("ZipCollectApp", {})
    downloaded = course.root / zc.get("downloaded_directory", "downloaded") / assignment
    archive_dir = downloaded / zc.get("archive_directory", "archive")
    extracted_dir = downloaded / zc.get("extracted_directory", "extracted")
    stage(archive, archive_dir)
    say(f"collect: {archive} -> {relative(archive_dir)}/ -> {course.submitted}/<student>/{assignment}/",
        f"  nbgrader zip_collect {assignment} --force --collector={collector}")

    submitted_root = (course.root / course.submitted).resolve()
    state = {"src": "", "n": 0}
    collected: dict[str, list[str]] = {}
    skipped: list[str] = []

    def on_line(level: str, message: str) -> None:
        message = message.strip()
        if message.startswith("Copying from:"):
            state["src"] = message.split(":", 1)[1].strip()
        elif message.startswith("Copying to:"):
            dest = Path(message.split(":", 1)[1].strip())
            try:
                student = dest.resolve().relative_to(submitted_root).parts[0]
            except ValueError:
                return  # the archive -> extracted step
            state["n"] += 1
            src = os.path.relpath(state["src"], extracted_dir)
            collected.setdefault(student, []).append(src)
            say(f"  [{state['n']:>3}] {student:<20} <- {src}")
        elif message.startswith("Skipped, the name fits no"):
            skipped.append(message.split(": ", 1)[1])
        elif level in ("ERROR", "CRITICAL") or (
                level == "WARNING" and not any(w in message for w in _ROUTINE_COLLECT_WARNINGS)):
            say(f"    nbgrader {level.lower()}: {message}")

    code, log = course.run_nbgrader("zip_collect", assignment, "--force",
                                    f"--collector={collector}", log_name=f"collect-{assignment}",
                                    on_line=on_line, plugins=True)
    skipped.sort()
    # what the export warns about later (instructor.exporters.collect_skipped)
    downloaded.mkdir(parents=True, exist_ok=True)
    (downloaded / "skipped.txt").write_text("".join(f + "\n" for f in skipped))
    in_submitted = [s for s in collected
                    if course.notebook_files(course.submitted, s, assignment)]
    say("", "collect summary:",
        table(["assignment", "files in export", "students collected", "files skipped",
               "students in submitted/"],
              [[assignment, sum(map(len, collected.values())) + len(skipped), len(in_submitted),
                len(skipped), len(course.students_in(course.submitted, assignment))]]))
    if skipped:
        say(f"  skipped (names must be {layouts(notebooks) if lms == 'plain' else lms + ' export names'}; "
            "see `python -m instructor collect --help`):")
        for f in skipped:
            fix = fix_for(f, notebooks) if lms == "plain" else None
            say(f"    {f}" + (f"  -> rename it {fix!r} in the export and collect again"
                             if fix else ""))
    if code != 0:
        say(f"nbgrader zip_collect failed: see {relative(log)}")
        return 1
    if not in_submitted:
        say("", f"nothing collected; names must be {layouts(notebooks)} "
                f"(<student> is the student id)" if lms == "plain" else
                f"nothing collected; names must be {lms} export names (see "
                f"`python -m instructor collect --help`)")
        return 1
    regrade = sorted(set(in_submitted) & set(course.students_in(course.autograded, assignment)))
    if regrade:
        say(f"  {len(regrade)} of them were autograded before ({', '.join(regrade[:5])}"
            f"{', ...' if len(regrade) > 5 else ''}): `make autograde ASSIGNMENT={assignment}` "
            f"grades again those whose files changed, and says which")
    if assignment in course.gradebook_assignments():
        say("", "status:", status_table(status(course, [assignment])))
    return 0


# ---- autograde ---------------------------------------------------------------------------

def autograde(course: Course, assignment: str | None, student: str | None, jobs: int | None,
              force: bool, timeout: float, cluster: str | None = None) -> int:
    """Autograde in parallel (see :mod:`instructor.parallel`) and summarize.

    A submission already graded is graded again when its files changed since
    (:mod:`instructor.resubmit`), or with ``force``; the summary says which and why, and
    which of them had been graded by hand (nbgrader asks a person to confirm those again).
    """
    from . import parallel
    from .resubmit import decide, hand_graded, write_record

    if assignment is not None:
        course.require_assignment(assignment, released=True)
    released = course.gradebook_assignments()
    names = [assignment] if assignment else released
    tasks = []
    for a in names:
        students = course.students_in(course.submitted, a)
        if student is not None:
            students = [s for s in students if s == student]
        tasks += [(a, s) for s in students]
    if not tasks:
        where = f"{course.submitted}/{student or '<student>'}/{assignment or '<assignment>'}/"
        if student is not None or assignment is not None:
            raise CourseError(f"nothing submitted in {where}")
        say(f"autograde: nothing submitted in {where}")
        return 0
    misnamed = _misnamed(course, tasks)
    decisions = {(a, s): decide(course, a, s) for a, s in tasks}
    regrade = {t for t, d in decisions.items() if d.regrade}
    again = {t for t in tasks if course.notebook_files(course.autograded, t[1], t[0])
             and (force or t in regrade)}
    before_by_hand = hand_graded(course, sorted(again))
    jobs = jobs or cpus()
    workers = min(jobs, len(tasks))
    mode = ("writing to the gradebook server" if course.db_path is None
            else "each with its own copy of the gradebook, merged at the end")
    say(f"autograde: {len(tasks)} submission(s) of {', '.join(sorted({a for a, _ in tasks}))}, "
        f"{workers} worker(s) ({mode}){', --force' if force else ''}")
    if regrade and not force:
        say(f"  {len(regrade)} resubmitted since graded (their files changed): graded again")
    width = len(str(len(tasks)))
    name_width = max(len(f"{a}/{s}") for a, s in tasks)

    def progress(o: "parallel.Outcome", done: int, total: int) -> None:
        score = ("" if o.score is None or o.outcome == FAILED
                 else f"{o.score:5.1f} / {o.max_score:.1f}")
        extra = f"  {o.reason}" if o.outcome == FAILED else ""
        if (o.assignment, o.student) in regrade and o.outcome != SKIPPED and not force:
            extra += "  (resubmitted: regraded)"
        if (o.assignment, o.student) in before_by_hand and o.outcome != SKIPPED:
            extra += "  (hand-graded before, re-confirm)"
        name = f"{o.assignment}/{o.student}"
        say(f"  [{done:>{width}}/{total}] {name:<{name_width}}  {o.outcome:<21} "
            f"{score:<13} {o.seconds:5.1f} s{extra}")

    t0 = time.monotonic()
    if cluster:
        from . import cluster as dask_cluster

        say(f"  on the Dask cluster {cluster}: one task per submission, merged here at the end")
        run = dask_cluster.autograde(course, tasks, address=cluster, force=force,
                                     timeout=timeout, regrade=regrade, on_outcome=progress)
    else:
        run = parallel.autograde(course, tasks, jobs=workers, force=force, timeout=timeout,
                                 regrade=regrade, on_outcome=progress)
    outcomes = run.outcomes
    for o in outcomes:
        if o.outcome in (GRADED, MANUAL):  # what was graded is what is submitted now
            write_record(course, o.assignment, o.student, decisions[(o.assignment,
                                                                     o.student)].digest)
    wall = time.monotonic() - t0
    per = Counter((o.assignment, o.outcome) for o in outcomes)
    rows = [[a, sum(per[(a, k)] for k in OUTCOMES), *(per[(a, k)] for k in OUTCOMES)]
            for a in sorted({a for a, _ in tasks})]
    if len(rows) > 1:
        rows.append(["total", len(outcomes),
                     *(sum(o.outcome == k for o in outcomes) for k in OUTCOMES)])
    graded_now = sum(o.outcome in (GRADED, MANUAL, FAILED) for o in outcomes)
    say("", f"autograde summary ({wall:.1f} s wall, {workers} worker(s), "
            f"{graded_now / wall:.2f} submissions/s):",
        table(["assignment", "submissions", *OUTCOMES], rows))
    if run.merged is not None:
        if graded_now:
            say(f"  gradebook: {graded_now} graded submission(s) merged from the workers' "
                f"copies into {relative(course.db_path)} in one transaction, read back and "
                f"checked")
        else:
            say("  gradebook: unchanged (nothing was graded)")
    failed = [o for o in outcomes if o.outcome == FAILED]
    if failed:
        say("  failed (nbgrader could not grade these; the score stays empty):",
            *(f"    {o.assignment}/{o.student}: {o.reason}"
              + (f"  [log: {relative(Path(o.log_path))}]" if o.log_path else "")
              for o in failed))
    for (a, s), (found, expected) in sorted(misnamed.items()):
        folder = course.path(course.submitted, s, a)
        say(f"  {a}/{s}: handed in {found!r}, not {expected!r}; rename it and grade again: "
            f"mv {shlex.quote(str(relative(folder / found)))} "
            f"{shlex.quote(str(relative(folder / expected)))} && "
            f"make autograde ASSIGNMENT={a} STUDENT={s}")
    regraded = [o for o in outcomes if (o.assignment, o.student) in regrade
                and o.outcome != SKIPPED]
    if regraded and not force:
        say("  regraded (resubmitted: the submitted files differ from the ones graded):",
            *(f"    {o.assignment}/{o.student}: {decisions[(o.assignment, o.student)].reason}"
              for o in regraded))
    confirm = [o for o in outcomes if (o.assignment, o.student) in before_by_hand
               and o.outcome != SKIPPED]
    if confirm:
        say("  hand-graded before, re-confirm: grading again put their hand-graded cells back "
            "to \"needs manual grading\" (nbgrader keeps the score a person gave; open each in "
            "the formgrader and confirm it):",
            *(f"    {o.assignment}/{o.student}" for o in confirm))
    waiting = status(course, sorted({a for a, _ in tasks}))
    manual_total = sum(len(st.manual) for st in waiting)
    if manual_total:
        say(f"  {manual_total} submission(s) wait for manual grading "
            f"({', '.join(f'{st.assignment}: {len(st.manual)}' for st in waiting if st.manual)}"
            f"): {FORMGRADER_HINT}")
    skipped = [o for o in outcomes if o.outcome == SKIPPED]
    if skipped:
        unrecorded = [o for o in skipped if decisions[(o.assignment, o.student)].reason]
        say("  skipped: already autograded, and the submitted files are the ones graded; "
            "add --force (make autograde FORCE=1) to grade them again")
        if unrecorded:
            say(f"  ({len(unrecorded)} of them were graded before this course recorded what it "
                "graded: nbgrader regrades those only when timestamp.txt is newer)")
    return 1 if failed else 0


def _misnamed(course: Course, tasks: list[tuple[str, str]]) -> dict:
    """``{(assignment, student): (notebook found, notebook expected)}`` for submissions
    that hold a notebook, but none of the released names (``ch02 (1).ipynb``)."""
    from .collect import released_notebooks

    out, names = {}, {}
    for a, s in tasks:
        if a not in names:
            names[a] = released_notebooks(course, a)
        found = [p.name for p in course.notebook_files(course.submitted, s, a)]
        expected = names[a]
        if found and expected and not set(found) & set(expected):
            out[(a, s)] = (found[0], expected[0])
    return out


# ---- feedback ----------------------------------------------------------------------------

def feedback(course: Course, assignment: str | None, exchange: bool = False) -> int:
    """``nbgrader generate_feedback --force``: one HTML page per student and notebook; with
    ``exchange``, then ``nbgrader release_feedback`` for students to fetch."""
    import re

    if exchange:
        from .exchange import exchange_settings, release_feedback

        exchange_settings(course)

    if assignment is not None:
        course.require_assignment(assignment, released=True)
    names = [assignment] if assignment else course.gradebook_assignments()
    names = [a for a in names if course.students_in(course.autograded, a)]
    if not names:
        raise CourseError(f"nothing autograded yet{' in ' + assignment if assignment else ''}: "
                          f"run `make autograde{' ASSIGNMENT=' + assignment if assignment else ''}` "
                          "first")
    autograded_root = re.escape(str((course.root / course.autograded)))
    rows, failed = [], 0
    for a in names:
        students = course.students_in(course.autograded, a)
        say(f"feedback {a}: {len(students)} autograded submission(s) -> "
            f"{course.feedback}/<student>/{a}/<notebook>.html",
            f"  nbgrader generate_feedback {a} --force")
        pattern = re.compile(autograded_root + r"/(?P<student>[^/]+)/")
        count = {"n": 0}

        def on_line(level: str, message: str, a=a, n=len(students)) -> None:
            m = pattern.search(message)
            if message.startswith("Converting notebook") and m:
                count["n"] += 1
                say(f"  [{count['n']:>{len(str(n))}}/{n}] {a}/{m.group('student')}")
            elif level in ("ERROR", "CRITICAL"):
                say(f"    nbgrader {level.lower()}: {message.strip()}")

        code, log = course.run_nbgrader("generate_feedback", a, "--force",
                                        log_name=f"feedback-{a}", on_line=on_line)
        written = [s for s in students if course.notebook_files(course.feedback, s, a, ".html")]
        st = status(course, [a])[0]
        missing = len(students) - len(written)
        failed += missing + (code != 0)
        row = [a, len(students), len(written), len(st.manual), missing]
        if code != 0:
            say(f"  nbgrader generate_feedback failed: see {relative(log)}")
        if exchange:
            released, rcode = release_feedback(course, a, say)
            failed += rcode != 0
            row.append(released)
        rows.append(row)
    say("", "feedback summary:",
        table(["assignment", "autograded", "feedback written", "of those " + MANUAL, FAILED,
               *(["released to the exchange"] if exchange else [])], rows))
    if any(r[3] for r in rows):
        say(f"  feedback of submissions that need manual grading shows those cells ungraded; "
            f"{FORMGRADER_HINT}, then run feedback again")
    return 1 if failed else 0


# ---- export ------------------------------------------------------------------------------

def export(course: Course, to: Path, canvas: Path | None = None) -> int:
    """``nbgrader export`` with the course's exporter (:mod:`instructor.exporters`): one CSV
    row per rostered student and assignment, sorted, with a note where a score is 0 or not
    final; with ``canvas``, also a Canvas gradebook import file."""
    from .exporters import CANVAS_CSV, GRADES_CSV, collect_skipped

    to = Path(to).resolve()
    say(f"export: the gradebook -> {relative(to)}",
        f"  nbgrader export --exporter={GRADES_CSV} --to {to}")
    code, log = course.run_nbgrader("export", f"--exporter={GRADES_CSV}", f"--to={to}",
                                    log_name="export", on_line=_warnings(), plugins=True)
    if code != 0 or not to.is_file():
        say(f"nbgrader export failed: see {relative(log)}")
        return 1
    if canvas is not None:
        canvas = Path(canvas).resolve()
        say(f"  nbgrader export --exporter={CANVAS_CSV} --to {canvas}")
        code, log = course.run_nbgrader("export", f"--exporter={CANVAS_CSV}", f"--to={canvas}",
                                        log_name="export-canvas", on_line=_warnings(),
                                        plugins=True)
        if code != 0 or not canvas.is_file():
            say(f"nbgrader export (Canvas) failed: see {relative(log)}")
            return 1
    with open(to, newline="") as fh:
        records = list(csv.DictReader(fh))
    st = {s.assignment: s for s in status(course)}
    rows = []
    for a in sorted({r["assignment"] for r in records}):
        rs = [r for r in records if r["assignment"] == a]
        scores = [float(r["score"]) for r in rs]
        s = st.get(a)
        rows.append([a, len(rs), s.submitted if s else 0,
                     s.counts[GRADED] if s else 0, s.counts[MANUAL] if s else 0,
                     s.counts["not graded yet"] if s else 0,
                     sum(r["note"].startswith("nothing") for r in rs),
                     round(sum(scores) / len(scores), 1) if scores else None,
                     float(rs[0]["max_score"]) if rs else None])
    say(f"  {len(records)} row(s): {len({r['student_id'] for r in records})} student(s) x "
        f"{len({r['assignment'] for r in records})} assignment(s) (no submission scores 0; "
        f"the note column says why)",
        "", "export summary:",
        table(["assignment", "rows", "submitted", GRADED, MANUAL, "failed / not graded",
               "nothing handed in", "mean score", "max"], rows))
    for a in sorted({r["assignment"] for r in records}):
        skipped = collect_skipped(course.root, course.config, course.coursedir, a)
        if skipped:
            say(f"  warning: collect skipped {len(skipped)} file(s) of the last {a} export "
                f"(their names fit no layout), so nobody's grade comes from them:",
                *(f"    {f}" for f in skipped[:10]),
                *(["    ..."] if len(skipped) > 10 else []),
                f"  rename them in the export, `make collect ASSIGNMENT={a} ARCHIVE=...` "
                f"and `make autograde ASSIGNMENT={a}` again")
    if any(r[4] for r in rows):
        say(f"  the scores of submissions that need manual grading count those cells as 0: "
            f"{FORMGRADER_HINT}, then export again")
    return 0


def extend(course: Course, assignment: str, student: str, hours: float) -> int:
    """A per-student extension of the due date: nbgrader's ``SubmittedAssignment.extension``,
    which ``autograde`` adds to the due date before it computes how late a submission is."""
    from datetime import timedelta

    course.require_assignment(assignment, released=True)
    with course.gradebook() as gb:
        a = gb.find_assignment(assignment)
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student,
                                       extension=timedelta(hours=hours) if hours else None)
        due = a.duedate
    say(f"extend: {assignment}/{student} may hand in {hours:g} h after the due date "
        f"({due or 'no due date set: nbgrader db assignment add ' + assignment + ' --duedate=...'})",
        f"  grade it again to apply it: make autograde ASSIGNMENT={assignment} STUDENT={student} "
        f"FORCE=1")
    return 0


def roster(course: Course, path: Path) -> int:
    """``nbgrader db student import``: the class list into the gradebook's students, so that
    every student gets a row in ``grades.csv`` (0 and a note when nothing was handed in)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise CourseError(f"no roster file {path}")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        ids = [(r.get("id") or "").strip() for r in reader]
    if "id" not in header:
        raise CourseError(f"{relative(path)} has no 'id' column: the header must be "
                          "id,first_name,last_name,email,lms_user_id (all but id optional)")
    if not all(ids):
        raise CourseError(f"{relative(path)}: a row without an id (row "
                          f"{ids.index('') + 2})")
    say(f"roster: {len(ids)} student(s) from {relative(path)} -> the gradebook",
        f"  nbgrader db student import {path}")
    code, log = course.run_nbgrader("db", "student", "import", str(path),
                                    log_name="roster", on_line=_warnings())
    if code != 0:
        say(f"nbgrader db student import failed: see {relative(log)}")
        return 1
    with course.gradebook() as gb:
        known = {s.id for s in gb.students}
    missing = sorted(set(ids) - known)
    if missing:
        say(f"  not imported: {', '.join(missing)}: see {relative(log)}")
        return 1
    say(f"  the gradebook now has {len(known)} student(s); `make export-grades` gives each a "
        "row for every assignment")
    return 0


def show_status(course: Course) -> int:
    rows = status(course)
    say("status:", status_table(rows) if rows else "  (no assignment in the gradebook)")
    return 0


# ---- demo --------------------------------------------------------------------------------

def demo(source: Course, dest: Path, jobs: int | None) -> int:
    """A generated class through the whole loop, in ``dest`` (default ./demo-class)."""
    from .demo import ASSIGNMENT, ClassBuilder, make_demo_course, write_lms_export

    a = ASSIGNMENT
    t0 = time.monotonic()
    say(f"demo: a generated class of {a} through the whole loop, in {relative(dest)}/", "")
    make_demo_course(source.root, dest, a)
    course = Course.load(dest)

    def step(n: int, title: str) -> None:
        say("", f"=== {n}/5 {title} " + "=" * max(0, 60 - len(title)))

    step(1, f"release {a}")
    if release(course, a):
        return 1
    export_dir = dest / "lms-export"
    kinds = write_lms_export(ClassBuilder(dest, a), export_dir)
    step(2, f"collect the LMS export {relative(export_dir.with_suffix('.zip'))}")
    if collect(course, a, export_dir.with_suffix(".zip")):
        return 1
    step(3, f"autograde {a} in parallel")
    # eve's file is not a notebook: graded as empty and held for review (hardening), or
    # failed where the course grades without hardening
    autograde(course, a, None, jobs, force=False, timeout=1200)
    step(4, f"feedback {a}")
    feedback(course, a)
    step(5, "export grades")
    grades = dest / "grades.csv"
    if export(course, grades):
        return 1

    with course.gradebook() as gb:
        scores = {s.student_id: (float(s.score), float(s.max_score), bool(s.needs_manual_grade))
                  for s in gb.find_assignment(a).submissions}
    rows = []
    for student, kind in kinds.items():
        html = course.notebook_files(course.feedback, student, a, ".html")
        if not course.notebook_files(course.autograded, student, a):
            result, score = FAILED, None
        else:
            sc, mx, manual = scores[student]
            result, score = (MANUAL if manual else GRADED), f"{sc:.1f} / {mx:.1f}"
        rows.append([student, kind, result, score,
                     relative(html[0]) if html else "-"])
    say("", f"=== the demo class ({time.monotonic() - t0:.0f} s) " + "=" * 40,
        table(["student", "handed in", "result", "score", "feedback"], rows),
        "", "Look at:",
        table(["where", "what"], [
            [relative(dest / "grades.csv"), "the grades (nbgrader export)"],
            [relative(dest / course.feedback) + f"/<student>/{a}/{a}.html",
             "feedback for each student"],
            [relative(dest / course.autograded) + f"/<student>/{a}/",
             "the graded notebooks, with outputs"],
            [relative(export_dir) + "/ (and .zip)", "what the LMS gave: the input of collect"],
            [relative(dest / "logs") + "/", f"nbgrader's logs (autograde/{a}/<student>.log for each failed submission)"],
        ]),
        "", f"The written answers wait for a person: (cd {relative(dest)} && "
            f"{Path(sys.executable).parent / 'jupyter'} lab), then Nbgrader > Formgrader.")
    return 0


# ---- command line ------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from .collect import LAYOUT_HELP

    course_help = "the course folder, with nbgrader_config.py (default: .)"
    # accepted before or after the command; SUPPRESS keeps a subcommand's default from
    # overwriting a value given before it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help=course_help)
    p = argparse.ArgumentParser(prog="python -m instructor",
        description="The instructor's grading loop on nbgrader: release, collect, autograde "
                    "(in parallel), feedback, export. Each command prints progress and a summary.")
    p.add_argument("--course", type=Path, default=Path("."), metavar="DIR", help=course_help)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("release", parents=[common],
                       help="generate the student version of one or all assignments",
                       description="nbgrader generate_assignment --force: solutions/<a>/ -> "
                                   "the release folder (exercises/<a>/) and the gradebook.")
    r.add_argument("assignment", nargs="?", metavar="ASSIGNMENT", help="default: all of solutions/")
    r.add_argument("--exchange", action="store_true",
                   help="then release it to nbgrader's exchange (nbgrader release_assignment "
                        "--force), for students on JupyterHub to fetch")

    c = sub.add_parser("collect", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="put an LMS export (folder or .zip) into submitted/",
                       description="nbgrader zip_collect with the course's collector: the export "
                                   "goes to downloaded/<a>/archive/, each notebook to "
                                   "submitted/<student>/<a>/.\n\n" + LAYOUT_HELP)
    c.add_argument("assignment", metavar="ASSIGNMENT")
    c.add_argument("archive", type=Path, nargs="?", metavar="ARCHIVE",
                   help="the LMS export: a folder or a .zip")
    c.add_argument("--lms", choices=["plain", "canvas", "moodle"], default="plain",
                   help="the export's file names: plain (the layouts above, default), canvas "
                        "(smithjohn_123456_7891011_ch02.ipynb, -1 resubmissions, _LATE_) or "
                        "moodle (Carol Smith_1234_assignsubmission_file_ch02.ipynb); students "
                        "are mapped through the roster's lms_user_id or name")
    c.add_argument("--exchange", action="store_true",
                   help="collect from nbgrader's exchange instead of an LMS export (nbgrader "
                        "collect --update: each student's newest submission)")

    a = sub.add_parser("autograde", parents=[common],
                       help="autograde submissions in parallel (all, one assignment, one student)",
                       description="Real nbgrader autograding on several cores: each worker has "
                                   "its own copy of the SQLite gradebook; the results are merged "
                                   "into the gradebook in one transaction at the end.")
    a.add_argument("assignment", nargs="?", metavar="ASSIGNMENT", help="default: every assignment")
    a.add_argument("--student", metavar="S", help="only this student")
    a.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help=f"parallel workers (default: the number of CPUs, here {cpus()})")
    a.add_argument("--force", action="store_true",
                   help="grade again submissions that are already autograded and unchanged")
    a.add_argument("--cluster", metavar="ADDRESS", default=None,
                   help="grade on a Dask distributed cluster: a scheduler address "
                        "(tcp://host:8786) or local:N (N local worker processes); the "
                        "machines share the course folder")
    a.add_argument("--timeout", type=float, default=1200, metavar="SECONDS",
                   help="give up on one submission after this long (default: 1200); "
                        "nbgrader's per-cell timeout acts first")

    f = sub.add_parser("feedback", parents=[common],
                       help="HTML feedback per student (nbgrader generate_feedback)")
    f.add_argument("assignment", nargs="?", metavar="ASSIGNMENT", help="default: every assignment")
    f.add_argument("--exchange", action="store_true",
                   help="then release it to nbgrader's exchange (nbgrader release_feedback), "
                        "for students to fetch")

    e = sub.add_parser("export", parents=[common], help="grades to CSV (nbgrader export)")
    e.add_argument("--to", type=Path, default=Path("grades.csv"), metavar="FILE",
                   help="the CSV file (default: grades.csv)")
    e.add_argument("--canvas", type=Path, default=None, metavar="FILE",
                   help="also write a Canvas gradebook import CSV (ID: the roster's lms_user_id)")

    x = sub.add_parser("extend", parents=[common],
                       help="give one student more time for one assignment (an nbgrader "
                            "extension)")
    x.add_argument("assignment", metavar="ASSIGNMENT")
    x.add_argument("student", metavar="STUDENT")
    x.add_argument("--hours", type=float, required=True, metavar="H",
                   help="hours after the due date (0 removes the extension)")

    ro = sub.add_parser("roster", parents=[common],
                        help="import the class list into the gradebook (nbgrader db student "
                             "import)")
    ro.add_argument("file", type=Path, metavar="FILE",
                    help="CSV with the header id,first_name,last_name,email,lms_user_id")

    sub.add_parser("status", parents=[common], help="where every assignment stands")

    d = sub.add_parser("demo", parents=[common],
                       help="generate a demo class and run the whole loop on it",
                       description="Copies the course's config and ch02 master into DIR, makes "
                                   "an LMS export of 12 students (correct, partial, wrong, "
                                   "adversarial), then release, collect, autograde, feedback "
                                   "and export, and says where to look.")
    d.add_argument("--dir", type=Path, default=Path("demo-class"), help="default: ./demo-class")
    d.add_argument("--jobs", "-j", type=int, default=None, metavar="N")
    return p


def _terminate(signum, frame):
    # a batch system's SIGTERM stops a run like Ctrl-C: workers and kernels are killed and
    # what was graded so far is merged into the gradebook
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    import signal

    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    # nbgrader shells out to `alembic` when it creates a gradebook
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    course = None
    try:
        course = Course.load(args.course)
        if args.command != "demo":
            course.check_server_gradebook()
        if args.command == "release":
            return release(course, args.assignment, args.exchange)
        if args.command == "collect":
            if args.exchange:
                if args.archive is not None:
                    raise CourseError("collect takes an ARCHIVE or --exchange, not both")
                from .exchange import collect as collect_exchange

                course.require_assignment(args.assignment)
                return collect_exchange(course, args.assignment, say)
            if args.archive is None:
                raise CourseError("collect needs the LMS export (ARCHIVE: a folder or a .zip), "
                                  "or --exchange")
            return collect(course, args.assignment, args.archive.resolve(), args.lms)
        if args.command == "autograde":
            if args.jobs is not None and args.jobs < 1:
                raise CourseError("--jobs must be at least 1")
            return autograde(course, args.assignment, args.student, args.jobs, args.force,
                             args.timeout, args.cluster)
        if args.command == "feedback":
            return feedback(course, args.assignment, args.exchange)
        if args.command == "export":
            return export(course, args.to, args.canvas)
        if args.command == "extend":
            return extend(course, args.assignment, args.student, args.hours)
        if args.command == "roster":
            return roster(course, args.file)
        if args.command == "status":
            return show_status(course)
        if args.command == "demo":
            return demo(course, args.dir.resolve(), args.jobs)
    except (CourseError, FileNotFoundError, FileExistsError, BusyError, WorkerError,
            MergeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if not isinstance(exc, OperationalError):
            raise
        where = course.safe_db_url if course is not None else "(gradebook)"
        print(f"error: cannot use the gradebook {where}: "
              f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: what was graded so far is in the gradebook; the same command "
              "again grades the rest", file=sys.stderr)
        return 130
    raise AssertionError(args.command)
