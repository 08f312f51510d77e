"""nbgrader's exchange (JupyterHub): release to it, collect from it, release feedback to it.

On a shared machine (JupyterHub with local users, or any server where students log in),
nbgrader's exchange is a folder every user can reach, ``Exchange.root``, holding per course

- ``outbound/<assignment>/`` -- the release; students ``nbgrader fetch_assignment`` it;
- ``inbound/<student>+<assignment>+<timestamp>+<random>/`` -- one folder per
  ``nbgrader submit``; ``inbound/`` is mode 0733, so students cannot list it, and the
  random part keeps them from guessing each other's folder;
- ``feedback/<hash>.html`` -- released feedback, named by a hash of a secret only the
  submitting student's cache holds (``nbgrader fetch_feedback``).

The commands here run nbgrader's own ``release_assignment``, ``collect --update`` and
``release_feedback`` and summarize what they did. :class:`OwnerCheckedCollect` closes one
hole of the exchange: ``nbgrader submit --student=bob`` run by *alice* lands in
``inbound/`` as a submission of bob's, and stock ``nbgrader collect`` only logs a warning
("cheating attempt?") and collects it -- replacing bob's real submission if it is newer.
With ``c.ExchangeCollect.check_owner`` on (nbgrader's default), the course's collect skips any
submission whose folder is not owned by the student it names, logs an error, and uses that
student's newest genuine submission instead. (On a hub whose users all share one Unix
account -- DockerSpawner, KubeSpawner -- ownership says nothing: set
``c.ExchangeCollect.check_owner = False`` there.)
"""

from __future__ import annotations

import os
import pwd
import re
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from .course import Course, CourseError, relative


class OwnerCheckedCollect(ExchangeCollect):
    """``nbgrader collect`` that never collects a submission made in another's name.

    Registered in ``nbgrader_config.py`` as ``c.ExchangeFactory.collect``; effective while
    ``c.ExchangeCollect.check_owner`` (default True) is on.
    """

    def _path_to_record(self, path):
        rec = super()._path_to_record(path)
        rec["genuine"] = True
        if self.check_owner:
            try:
                owner = pwd.getpwuid(os.stat(path).st_uid).pw_name
            except (KeyError, OSError):
                owner = None
            rec["owner"] = owner
            rec["genuine"] = owner == rec["username"]
        self._records = getattr(self, "_records", []) + [rec]
        return rec

    def _sort_by_timestamp(self, records):
        # genuine submissions first, newest first: nbgrader takes the first of each student
        return sorted(records, key=lambda r: (r.get("genuine", True), r["timestamp"]),
                      reverse=True)

    def init_src(self):
        self._records = []
        super().init_src()
        kept = []
        for rec in self.src_records:
            if rec.get("genuine", True):
                kept.append(rec)
                continue
            # (only with before_duedate can nbgrader's pick be an impostor while a genuine
            # one exists: fall back to that student's newest genuine submission)
            genuine = [r for r in self._records
                       if r["username"] == rec["username"] and r.get("genuine", True)]
            if genuine:
                kept.append(max(genuine, key=lambda r: r["timestamp"]))
        for rec in self._records:
            if not rec.get("genuine", True):
                self.log.error(
                    "Rejected submission %s: it claims to be by %s but is owned by %s; it is not "
                    "collected (a student submitting in another's name?). Look at it in %s",
                    rec["filename"], rec["username"], rec.get("owner") or "an unknown user",
                    self.inbound_path)
        self.src_records = kept


# ---- the instructor commands ------------------------------------------------------------

def exchange_settings(course: Course) -> tuple[str, Path]:
    """(course_id, exchange root) from the course's configuration, or a CourseError."""
    from nbgrader.exchange.default.exchange import Exchange

    course_id = course.coursedir.course_id
    if not course_id:
        raise CourseError("the exchange needs a course id: set c.CourseDirectory.course_id "
                          "(e.g. \"calc3ml\") in nbgrader_config.py")
    root = Path(Exchange(config=course.config).root)
    return course_id, root


def release_assignment(course: Course, assignment: str, say) -> tuple[bool, str]:
    """``nbgrader release_assignment --force``: the release folder -> the exchange."""
    course_id, root = exchange_settings(course)
    say(f"    nbgrader release_assignment {assignment} --force  "
        f"(-> {root}/{course_id}/outbound/{assignment}/)")
    lines: list[str] = []

    def on_line(level: str, message: str) -> None:
        if level in ("ERROR", "CRITICAL") or (level == "WARNING"
                                              and "exchange directory" in message):
            lines.append(message.strip())
            say(f"    nbgrader {level.lower()}: {message.strip()}")

    code, log = course.run_nbgrader("release_assignment", assignment, "--force",
                                    log_name=f"exchange-release-{assignment}", on_line=on_line)
    if code != 0:
        return False, f"nbgrader release_assignment failed: see {relative(log)}"
    return True, f"{root}/{course_id}/outbound/{assignment}/"


_COLLECTED = re.compile(r"^(Collecting|Updating) submission: (?P<student>\S+) (?P<a>\S+)$")
_UNCHANGED = re.compile(r"^No newer submission to collect: (?P<student>\S+) (?P<a>\S+)$")
_REJECTED = re.compile(r"^Rejected submission (?P<file>.+?): it claims to be by (?P<student>\S+) "
                       r"but is owned by (?P<owner>.+?);")
_CLAIMS = re.compile(r"claims to be submitted by (?P<student>\S+) but is owned by (?P<owner>\S+);")


def collect(course: Course, assignment: str, say) -> int:
    """``nbgrader collect --update``: each student's newest submission -> submitted/."""
    from .report import status, status_table, table

    course_id, root = exchange_settings(course)
    inbound = root / course_id / "inbound"
    say(f"collect: {inbound}/ -> {course.submitted}/<student>/{assignment}/ "
        f"(each student's newest submission)",
        f"  nbgrader collect {assignment} --update")
    got = {"new": [], "updated": [], "unchanged": [], "rejected": [], "warned": []}

    def on_line(level: str, message: str) -> None:
        message = message.strip()
        m = _COLLECTED.match(message)
        if m and m.group("a") == assignment:
            kind = "new" if m.group(1) == "Collecting" else "updated"
            got[kind].append(m.group("student"))
            say(f"  [{sum(len(got[k]) for k in ('new', 'updated')):>3}] "
                f"{m.group('student'):<20} {kind}")
            return
        m = _UNCHANGED.match(message)
        if m:
            got["unchanged"].append(m.group("student"))
            return
        m = _REJECTED.match(message)
        if m:
            got["rejected"].append((m.group("file"), m.group("student"), m.group("owner")))
            say(f"    REJECTED {m.group('file')}: claims to be by {m.group('student')}, "
                f"owned by {m.group('owner')}")
            return
        m = _CLAIMS.search(message)
        if m:  # stock collect (check_owner off or another collect plugin): warned only
            got["warned"].append((m.group("student"), m.group("owner")))
        if level in ("ERROR", "CRITICAL"):
            say(f"    nbgrader {level.lower()}: {message}")

    code, log = course.run_nbgrader("collect", assignment, "--update",
                                    log_name=f"exchange-collect-{assignment}", on_line=on_line)
    say("", "collect summary:",
        table(["assignment", "new", "updated", "unchanged", "rejected",
               "students in submitted/"],
              [[assignment, len(got["new"]), len(got["updated"]), len(got["unchanged"]),
                len(got["rejected"]), len(course.students_in(course.submitted, assignment))]]))
    if got["rejected"]:
        say("  rejected submissions stay in the exchange's inbound/ folder for you to look at; "
            "the named students' own newest submissions (if any) were collected instead")
    for student, owner in got["warned"]:
        say(f"  WARNING: a submission of {student} is owned by {owner} and was collected anyway "
            f"(c.ExchangeCollect.check_owner is off, or the collect plugin is not the course's)")
    if code != 0:
        say(f"nbgrader collect failed: see {relative(log)}")
        return 1
    regrade = sorted(set(got["updated"]) & set(course.students_in(course.autograded, assignment)))
    if regrade:
        say(f"  {len(regrade)} updated submission(s) were autograded before: run "
            f"`make autograde ASSIGNMENT={assignment} FORCE=1` to grade the new versions")
    if assignment in course.gradebook_assignments():
        say("", "status:", status_table(status(course, [assignment])))
    return 0


def release_feedback(course: Course, assignment: str, say) -> tuple[int, int]:
    """``nbgrader release_feedback``: feedback/ -> the exchange. Returns (released, code)."""
    course_id, root = exchange_settings(course)
    say(f"  nbgrader release_feedback {assignment}  (-> {root}/{course_id}/feedback/)")
    n = {"released": 0}

    def on_line(level: str, message: str) -> None:
        if message.startswith("Releasing feedback for student"):
            n["released"] += 1
        elif level in ("ERROR", "CRITICAL"):
            say(f"    nbgrader {level.lower()}: {message.strip()}")

    code, log = course.run_nbgrader("release_feedback", assignment,
                                    log_name=f"exchange-feedback-{assignment}", on_line=on_line)
    if code != 0:
        say(f"  nbgrader release_feedback failed: see {relative(log)}")
    return n["released"], code
