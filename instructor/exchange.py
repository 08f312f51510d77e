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
``release_feedback`` and summarize what they did. :class:`OwnerCheckedCollect` closes
holes of the exchange that stock ``nbgrader collect`` leaves open (a submission in
another student's name, a symbolic link to the instructor's solutions, a folder name that
stops collect for everyone).
"""

from __future__ import annotations

import datetime
import os
import pwd
import re
import stat
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from .course import Course, CourseError, relative


class OwnerCheckedCollect(ExchangeCollect):
    """``nbgrader collect`` that collects only what ``nbgrader submit`` could have made.

    ``inbound/`` is writable by every user (mode 0733), so a student can put anything
    there, not only through ``nbgrader submit``. Stock ``nbgrader collect`` trusts what it
    finds; this one rejects (logs an error, leaves it in the exchange, collects the named
    student's newest *genuine* submission instead):

    - a folder that claims to be another student's (its owner is not the student it names:
      ``nbgrader submit --student=bob`` run by alice) -- with ``check_owner`` on;
    - a folder holding a symbolic link, or anything but plain files and folders: collect
      runs as the instructor and follows links, so a link to the instructor's
      ``solutions/ch02/ch02.ipynb`` would be collected as the student's answer (full
      marks), and a FIFO would hang it; ``nbgrader submit`` never makes either;
    - a file inside owned by someone other than the student -- with ``check_owner`` on;
    - a name nbgrader cannot parse (``alice+ch02+garbage+x``): stock collect stops with a
      ParserError on it, collecting nobody's submission.

    Registered in ``nbgrader_config.py`` as ``c.ExchangeFactory.collect``.
    ``c.ExchangeCollect.check_owner`` (default True) turns the ownership checks off for
    hubs whose users share one Unix account; the other checks always apply.
    """

    def _path_to_record(self, path):
        try:
            rec = super()._path_to_record(path)
        except Exception as exc:  # ParserError on the timestamp, or nbgrader's "Invalid filename"
            name = os.path.basename(path)
            rec = {"username": name.split("+", 1)[0], "filename": name,
                   "timestamp": datetime.datetime.min,
                   "problem": f"its name is not one `nbgrader submit` makes ({exc})"}
        else:
            rec["problem"] = self._problem(path, rec["username"])
        rec["genuine"] = rec["problem"] is None
        self._records.append(rec)  # (reset by init_src, the only caller)
        return rec

    def _problem(self, path: str, username: str) -> str | None:
        """Why ``path`` is not a genuine submission of ``username``; None if it is."""
        uid = None
        if self.check_owner:
            try:
                uid = pwd.getpwnam(username).pw_uid
            except KeyError:
                return f"it claims to be by {username}, who is not a user here"

        def owner(st) -> str:
            try:
                return pwd.getpwuid(st.st_uid).pw_name
            except KeyError:
                return f"uid {st.st_uid}"

        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                return "it is a symbolic link"
            if not stat.S_ISDIR(st.st_mode):
                return "it is not a folder"
            if uid is not None and st.st_uid != uid:
                return (f"it claims to be by {username} but is owned by {owner(st)} (a student "
                        "submitting in another's name?)")
            for top, dirs, files in os.walk(path):
                for name in dirs + files:
                    p = os.path.join(top, name)
                    rel = os.path.relpath(p, path)
                    st = os.lstat(p)
                    if stat.S_ISLNK(st.st_mode):
                        return f"it holds a symbolic link, {rel} -> {os.readlink(p)}"
                    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                        return f"it holds {rel}, which is not a plain file"
                    if uid is not None and st.st_uid != uid:
                        return f"it holds {rel}, owned by {owner(st)}, not by {username}"
        except OSError as exc:
            return f"it cannot be read ({exc.strerror})"
        return None

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
            # (only with before_duedate can nbgrader's pick be a rejected one while a genuine
            # one exists: fall back to that student's newest genuine submission)
            genuine = [r for r in self._records
                       if r["username"] == rec["username"] and r.get("genuine", True)]
            if genuine:
                kept.append(max(genuine, key=lambda r: r["timestamp"]))
        for rec in self._records:
            if not rec.get("genuine", True):
                self.log.error("Rejected submission %s: %s; it is not collected. Look at it in %s",
                               rec["filename"], rec["problem"], self.inbound_path)
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
_REJECTED = re.compile(r"^Rejected submission (?P<file>.+?): (?P<why>.*); it is not collected")
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
            got["rejected"].append((m.group("file"), m.group("why")))
            say(f"    REJECTED {m.group('file')}: {m.group('why')}")
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
            "the named students' own newest genuine submissions (if any) were collected "
            "instead")
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
