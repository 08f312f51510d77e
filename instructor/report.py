"""Plain-text tables and the per-assignment status every command ends with."""

from __future__ import annotations

from dataclasses import dataclass, field

from .course import Course

# The outcome of one submission, as every summary counts it. Each submission is in
# exactly one of these, so the columns of a summary add up to the number of submissions.
GRADED = "graded"                  # autograded; the score is final
MANUAL = "needs manual grading"    # autograded; some cells wait for a person (formgrader)
FAILED = "failed"                  # nbgrader could not grade it: see the log
SKIPPED = "skipped"                # already autograded and unchanged (use --force)
NOT_GRADED = "not graded yet"      # submitted, never autograded
OUTCOMES = (GRADED, MANUAL, FAILED, SKIPPED)


def table(headers: list[str], rows: list[list[object]], indent: str = "  ") -> str:
    """An aligned text table: numbers right-aligned, text left-aligned."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] in ("", None) for row in rows)
               and rows for i in range(len(headers))]

    def line(values):
        return indent + "  ".join(v.rjust(w) if num else v.ljust(w)
                                  for v, w, num in zip(values, widths, numeric)).rstrip()

    sep = indent + "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in cells)])


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


@dataclass
class AssignmentStatus:
    """Where one assignment stands, read from the folders and the gradebook."""

    assignment: str
    submitted: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    feedback: int = 0
    mean_score: float | None = None
    max_score: float | None = None
    manual: list[str] = field(default_factory=list)       # students needing manual grading
    not_graded: list[str] = field(default_factory=list)   # submitted, no autograded notebook


def status(course: Course, assignments: list[str] | None = None) -> list[AssignmentStatus]:
    """Per assignment: submissions, and how many are graded / need manual grading / are not
    graded (failed, or never autograded), feedback files written, mean score."""
    from nbgrader.api import MissingEntry

    names = assignments if assignments is not None else course.gradebook_assignments()
    out = []
    with course.gradebook() as gb:
        for name in names:
            st = AssignmentStatus(name, counts={GRADED: 0, MANUAL: 0, NOT_GRADED: 0})
            try:
                st.max_score = float(gb.find_assignment(name).max_score)
            except MissingEntry:
                pass
            submitted = course.students_in(course.submitted, name)
            st.submitted = len(submitted)
            scores = []
            for student in submitted:
                if not course.notebook_files(course.autograded, student, name):
                    st.counts[NOT_GRADED] += 1
                    st.not_graded.append(student)
                    continue
                try:
                    sub = gb.find_submission(name, student)
                except MissingEntry:
                    st.counts[NOT_GRADED] += 1
                    st.not_graded.append(student)
                    continue
                scores.append(float(sub.score))
                if sub.needs_manual_grade:
                    st.counts[MANUAL] += 1
                    st.manual.append(student)
                else:
                    st.counts[GRADED] += 1
                if course.notebook_files(course.feedback, student, name, ".html"):
                    st.feedback += 1
            st.mean_score = sum(scores) / len(scores) if scores else None
            out.append(st)
    return out


def status_table(rows: list[AssignmentStatus]) -> str:
    headers = ["assignment", "submitted", GRADED, MANUAL, "failed / not graded", "feedback",
               "mean (autograded)", "max"]
    body = [[s.assignment, s.submitted, s.counts[GRADED], s.counts[MANUAL],
             s.counts[NOT_GRADED], s.feedback,
             None if s.mean_score is None else round(s.mean_score, 1), s.max_score]
            for s in rows]
    return table(headers, body)
