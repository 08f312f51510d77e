"""The gradebook side of parallel grading: copy, merge, compare.

SQLite has one writer at a time, and nbgrader commits after every grade cell, so several
``nbgrader autograde`` processes on one ``gradebook.db`` would queue on its lock or fail
with "database is locked". Parallel grading therefore gives each worker its OWN copy of the
gradebook (:func:`copy_gradebook`: it already holds the assignment, notebook and cell
definitions from ``generate_assignment``), and the parent process -- the only writer of the
course's gradebook -- copies back what nbgrader wrote for each graded submission
(:func:`merge`), all in one transaction, matching rows by their natural keys (assignment,
student, notebook, cell name and kind), never by the random row ids.

What ``nbgrader autograde`` writes, and so what is merged, is exactly:

- the student (created if new; names and e-mail are kept if already in the gradebook);
- the submission (created if new) and its ``timestamp``;
- per submitted notebook: ``late_submission_penalty``;
- per grade (grade and task cells): ``auto_score`` and ``needs_manual_grade``;
- per comment (solution and task cells): ``auto_comment``.

Everything a person sets in formgrader (``manual_score``, ``extra_credit``,
``manual_comment``, ``flagged``, extensions) is left as it is in the course's gradebook.
:func:`snapshot` reads every grade and comment as plain values, so two gradebooks (say, a
serial and a parallel run) can be compared cell by cell.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable

from .course import sqlite_path


class MergeError(RuntimeError):
    """The worker's gradebook does not fit the course's (e.g. re-released meanwhile)."""


def copy_gradebook(src_url: str, dest: Path) -> str:
    """Copy a SQLite gradebook to ``dest`` (SQLite's online backup: a consistent copy even
    if someone reads it meanwhile) and return the copy's URL."""
    src = sqlite_path(src_url)
    if src is None:
        raise ValueError(f"only a SQLite gradebook can be copied, not {src_url}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as s, sqlite3.connect(dest) as d:
        s.backup(d)
    s.close()
    d.close()
    return f"sqlite:///{dest}"


def merge(main_url: str, sources: Iterable[tuple[str, list[tuple[str, str]]]],
          course_id: str = "default_course") -> int:
    """Copy the autograder's results for the given submissions into the main gradebook.

    ``sources`` is ``[(worker_db_url, [(assignment, student), ...]), ...]``. One
    transaction for everything: either every submission is merged or none is. A
    submission that nbgrader never created in the worker's gradebook is skipped. After the
    commit, the merged rows are read back and compared with the workers' (raises
    :class:`MergeError` on any difference: no grade lost, none duplicated).
    Returns the number of submissions merged.
    """
    from nbgrader.api import Gradebook

    merged = 0
    with Gradebook(main_url, course_id) as main:
        session = main.db
        try:
            for url, pairs in sources:
                with Gradebook(url, course_id) as worker:
                    done = [p for p in pairs if _merge_one(main, worker, *p)]
                    if not done:
                        continue
                    session.flush()
                    session.expire_all()  # re-read from the database, not from memory
                    # read back inside the transaction: the course's gradebook must now hold
                    # exactly what the worker produced, or nothing is committed
                    want = snapshot(worker, done, autograder_fields_only=True)
                    got = snapshot(main, done, autograder_fields_only=True)
                    if want != got:
                        diff = sorted((k for k in set(want) | set(got)
                                       if want.get(k) != got.get(k)), key=repr)
                        raise MergeError(f"merged rows differ from worker {url} at {diff[:5]}")
                    merged += len(done)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return merged


def _merge_one(main, worker, assignment: str, student: str) -> bool:
    from nbgrader.api import (Comment, Grade, MissingEntry, Student, SubmittedAssignment,
                              SubmittedNotebook)

    try:
        wsub = worker.find_submission(assignment, student)
    except MissingEntry:
        return False
    session = main.db
    try:
        m_assignment = main.find_assignment(assignment)
    except MissingEntry:
        raise MergeError(f"assignment {assignment!r} is not in the course's gradebook") from None

    m_student = session.get(Student, student)
    if m_student is None:
        w = wsub.student
        m_student = Student(id=student, first_name=w.first_name, last_name=w.last_name,
                            email=w.email, lms_user_id=w.lms_user_id)
        session.add(m_student)
    # (SQLAlchemy 2 does not cascade new objects into the session through back-references:
    # every new row is added explicitly)
    m_sub = (session.query(SubmittedAssignment)
             .filter(SubmittedAssignment.assignment_id == m_assignment.id,
                     SubmittedAssignment.student_id == student).one_or_none())
    if m_sub is None:
        m_sub = SubmittedAssignment(assignment=m_assignment, student=m_student)
        session.add(m_sub)
    m_sub.timestamp = wsub.timestamp

    definitions = {nb.name: nb for nb in m_assignment.notebooks}
    m_notebooks = {nb.notebook.name: nb for nb in m_sub.notebooks}
    for w_nb in wsub.notebooks:
        name = w_nb.notebook.name
        if name not in definitions:
            raise MergeError(f"notebook {assignment}/{name} is not in the course's gradebook "
                             "(was the assignment released again while grading?)")
        cells = {(c.name, c.type): c for c in definitions[name]._base_cells}
        m_nb = m_notebooks.get(name)
        if m_nb is None:
            m_nb = SubmittedNotebook(notebook=definitions[name], assignment=m_sub)
            session.add(m_nb)
        m_nb.late_submission_penalty = w_nb.late_submission_penalty

        for kind, fields, mine, theirs in (
                (Grade, ("auto_score", "needs_manual_grade"), m_nb.grades, w_nb.grades),
                (Comment, ("auto_comment",), m_nb.comments, w_nb.comments)):
            by_cell = {row.cell_id: row for row in mine}
            for w_row in theirs:
                cell = _cell(cells, w_row.cell, assignment, name)
                row = by_cell.get(cell.id)
                if row is None:
                    row = kind(cell=cell, notebook=m_nb)
                    session.add(row)
                for f in fields:
                    setattr(row, f, getattr(w_row, f))
    session.flush()
    return True


def _cell(cells: dict, w_cell, assignment: str, notebook: str):
    try:
        return cells[(w_cell.name, w_cell.type)]
    except KeyError:
        raise MergeError(f"cell {assignment}/{notebook}/{w_cell.name} ({w_cell.type}) is not in "
                         "the course's gradebook (was the assignment released again?)") from None


def snapshot(source, pairs: Iterable[tuple[str, str]] | None = None, *,
             autograder_fields_only: bool = False,
             course_id: str = "default_course") -> dict[tuple, tuple]:
    """Every grade, comment, submitted notebook and submission of a gradebook as plain values.

    ``source`` is a database URL or an open ``nbgrader.api.Gradebook``.

    Keys are natural: ``("grade", assignment, student, notebook, cell)``,
    ``("comment", ...)``, ``("notebook", assignment, student, notebook)``,
    ``("submission", assignment, student)``. ``pairs`` limits it to those submissions.
    Raises ``AssertionError`` if a key occurs twice (a duplicated row).
    """
    from nbgrader.api import Gradebook

    if isinstance(source, str):
        with Gradebook(source, course_id) as gb:
            return snapshot(gb, pairs, autograder_fields_only=autograder_fields_only)
    gb = source
    wanted = None if pairs is None else set(pairs)
    out: dict[tuple, tuple] = {}

    def put(key, value):
        assert key not in out, f"duplicated row: {key}"
        out[key] = value

    for a in gb.assignments:
        for sub in a.submissions:
            if wanted is not None and (a.name, sub.student_id) not in wanted:
                continue
            put(("submission", a.name, sub.student_id),
                (sub.timestamp,) if autograder_fields_only else
                (sub.timestamp, sub.extension))
            for nb in sub.notebooks:
                key = (a.name, sub.student_id, nb.notebook.name)
                put(("notebook", *key),
                    (nb.late_submission_penalty,) if autograder_fields_only else
                    (nb.late_submission_penalty, nb.flagged))
                for g in nb.grades:
                    put(("grade", *key, g.cell.name),
                        (g.auto_score, g.needs_manual_grade) if autograder_fields_only else
                        (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade))
                for c in nb.comments:
                    put(("comment", *key, c.cell.name),
                        (c.auto_comment,) if autograder_fields_only else
                        (c.auto_comment, c.manual_comment))
    return out


def compare(a_url: str, b_url: str) -> list[str]:
    """Differences between two gradebooks' grades (empty list: identical), for reports."""
    a, b = snapshot(a_url), snapshot(b_url)
    out = []
    for key in sorted(set(a) | set(b), key=repr):
        if key not in a:
            out.append(f"only in {b_url}: {key}")
        elif key not in b:
            out.append(f"only in {a_url}: {key}")
        elif a[key] != b[key]:
            out.append(f"{key}: {a[key]} != {b[key]}")
    return out
