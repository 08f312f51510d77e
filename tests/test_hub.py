"""Beyond one machine: nbgrader's exchange with real Unix users, and a PostgreSQL gradebook.

Everything here is real: a PostgreSQL server started for the session (Debian's
``postgresql``; :mod:`pg_server`), nbgrader's own exchange commands, and -- for the
students -- separate Unix users, as on a JupyterHub with local accounts. The students run
``nbgrader fetch_assignment`` / ``submit`` / ``fetch_feedback`` as themselves; the
instructor runs ``python -m instructor release|collect|autograde|feedback --exchange``.

The PostgreSQL gradebook is checked against SQLite: the same submissions graded by plain
serial ``nbgrader autograde`` into a SQLite gradebook give exactly the same rows, and two
graders working at once on one PostgreSQL gradebook (two course folders, as on two
machines) lose and duplicate nothing.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest

from grading_utils import ROOT, scores
from pg_server import PostgresServer, free_port

sys.path.insert(0, str(ROOT))
from instructor.demo import ClassBuilder, write_course_config  # noqa: E402
from instructor.gradebook import snapshot  # noqa: E402

A = "ch02"
COURSE_ID = "calc3ml"
BIN = Path(sys.executable).parent
STUDENTS = ("cm_alice", "cm_bob", "cm_carol")
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"  # util-linux
slow = pytest.mark.slow
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="separate student users need root")


# ---- helpers ------------------------------------------------------------------------------

def env() -> dict[str, str]:
    return dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
                PYDEVD_DISABLE_FILE_VALIDATION="1")


def instructor(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "instructor", "--course", str(course), *args],
                          cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout)


def nbgrader(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env(),
                          capture_output=True, text=True, timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def make_course(dest: Path, extra: str) -> Path:
    """A course folder that grades exactly as the course does, plus ``extra`` settings."""
    dest.mkdir(parents=True)
    write_course_config(dest, ROOT, extra=extra)
    shutil.copytree(ROOT / "solutions" / A, dest / "solutions" / A)
    return dest


def settings(db_url: str | None = None, exchange: Path | None = None) -> str:
    lines = [f"c.CourseDirectory.course_id = {COURSE_ID!r}"]
    if exchange is not None:
        lines.append(f"c.Exchange.root = {str(exchange)!r}")
    if db_url is not None:
        lines.append(f"c.CourseDirectory.db_url = {db_url!r}")
    return "\n".join(lines) + "\n"


def sqlite_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def grades_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return sorted(csv.DictReader(fh), key=lambda r: (r["assignment"], r["student_id"]))


@pytest.fixture(scope="module")
def pg():
    with PostgresServer() as server:
        yield server


# ---- students as Unix users -------------------------------------------------------------

def student_python() -> str:
    """A Python the student users may execute, with the course's packages importable.

    The venv's interpreter may live in a folder only its owner can enter (here: /root);
    then Debian's /usr/bin/python3 of the same version runs the same installed packages.
    """
    probe = subprocess.run([SETPRIV, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            sys.executable, "-c", "pass"], capture_output=True, cwd="/")
    if probe.returncode == 0:
        return sys.executable
    system = "/usr/bin/python3"
    version = subprocess.run([system, "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True)
    assert version.stdout.strip() == str(tuple(sys.version_info[:2])), (
        f"the student users can run neither {sys.executable} nor a {system} of the same "
        f"version (got {version.stdout.strip() or version.stderr})")
    return system


SITE = next(p for p in sys.path if p.endswith("site-packages") and str(BIN.parent) in p)


class Student(NamedTuple):
    name: str
    home: Path
    uid: int
    gid: int

    def run(self, *args: str, as_user: str | None = None, timeout: float = 120,
            python: str = "") -> subprocess.CompletedProcess:
        """``nbgrader *args`` (or ``sh -c`` when args[0] == 'sh') as this Unix user, in
        their home, with the config a hub would give them (their ./nbgrader_config.py)."""
        cmd = (list(args) if args[0] == "sh" else [python, "-m", "nbgrader", *args])
        return subprocess.run(self.as_me(cmd), cwd=self.home, env=self.env(as_user),
                              capture_output=True, text=True, timeout=timeout)

    def env(self, as_user: str | None = None) -> dict[str, str]:
        """A login environment; ``as_user`` is what it claims in USER and LOGNAME."""
        name = as_user or self.name
        return {"HOME": str(self.home), "USER": name, "LOGNAME": name, "LANG": "C.UTF-8",
                "PATH": "/usr/bin:/bin", "PYTHONPATH": SITE}

    def as_me(self, cmd: list[str]) -> list[str]:
        """``cmd`` under util-linux's setpriv: this user's uid and gid, no supplementary
        groups, no capabilities left."""
        return [SETPRIV, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--",
                *cmd]

    def put(self, relpath: str, nb) -> Path:
        """Save ``nb`` in the student's home, owned by them (the student editing it)."""
        path = self.home / relpath
        nbformat.write(nb, str(path))
        os.chown(path, self.uid, self.gid)
        return path


def new_student(base: Path, name: str, exchange: Path, server_config: dict | None = None) -> Student:
    """A Unix user with a private home holding the nbgrader config a hub gives students
    (and, optionally, a Jupyter server config)."""
    user = unix_user(name)
    home = base / "home" / name
    home.mkdir(parents=True)
    (home / "nbgrader_config.py").write_text(  # as /etc/jupyter/nbgrader_config.py would
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
    if server_config is not None:
        (home / ".jupyter").mkdir()
        (home / ".jupyter" / "jupyter_server_config.json").write_text(json.dumps(server_config))
    for d, _, files in os.walk(home):
        os.chown(d, user.pw_uid, user.pw_gid)
        for f in files:
            os.chown(os.path.join(d, f), user.pw_uid, user.pw_gid)
    home.chmod(0o700)
    return Student(name, home, user.pw_uid, user.pw_gid)


def unix_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"  # root's PATH may lack sbin
        subprocess.run([useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", name], check=True)
        return pwd.getpwnam(name)


# ---- the whole loop on a hub ------------------------------------------------------------

class Hub(NamedTuple):
    base: Path
    exchange: Path
    course: Path
    reference: Path          # the same submissions graded serially into SQLite
    students: dict[str, Student]
    python: str
    submitted: dict[str, object]   # what each student's collected notebook must be
    release: subprocess.CompletedProcess
    collect: subprocess.CompletedProcess
    stock_collect: Path      # submitted/ of a stock `nbgrader collect` of the same inbound
    stock_crash: subprocess.CompletedProcess  # stock collect once a bad folder name is there
    autograde: subprocess.CompletedProcess
    feedback: subprocess.CompletedProcess
    denied: dict[str, subprocess.CompletedProcess]
    fetched_feedback: dict[str, subprocess.CompletedProcess]
    db_url: str


@pytest.fixture(scope="module")
def hub(pg, tmp_path_factory) -> Hub:
    if os.geteuid() != 0:
        pytest.skip("separate student users need root")
    closed = [d for d in [ROOT, *ROOT.parents] if not d.stat().st_mode & 0o001]
    assert not closed, (
        f"the students (separate Unix users) run the course's .venv, but {closed[0]} is not "
        f"searchable by other users (mode {closed[0].stat().st_mode & 0o777:o}): check the "
        "course out under a directory they can traverse, or chmod o+x it")
    python = student_python()
    base = Path(tempfile.mkdtemp(prefix="calc3ml-hub-"))  # pytest's tmp is 0700 root
    base.chmod(0o755)
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # what nbgrader's docs ask of the exchange root
    db_url = pg.create_database("hub")
    course = make_course(base / "instructor" / "course", settings(db_url, exchange))
    (base / "instructor").chmod(0o700)  # solutions and hidden tests: the instructor's only

    release = ok(instructor(course, "release", A, "--exchange"))

    students = {name: new_student(base, name, exchange) for name in STUDENTS}
    alice, bob, carol = (students[n] for n in STUDENTS)

    b = ClassBuilder(course, A)
    nb = f"{A}/{A}.ipynb"
    for s in students.values():
        ok(s.run("fetch_assignment", A, python=python))
    # alice: correct; carol: the untouched release; bob: wrong, then a newer partial one
    alice.put(nb, b.correct())
    ok(alice.run("submit", A, python=python))
    # carol claims to be bob through the environment (USER, LOGNAME): nbgrader asks the
    # OS who she is, so this is a submission of carol's; then her real one
    ok(carol.run("submit", A, as_user=bob.name, python=python))
    ok(carol.run("submit", A, python=python))
    bob.put(nb, b.wrong(b.parts[0]))
    ok(bob.run("submit", A, python=python))
    bob_final = b.partial(b.parts[:4])
    bob.put(nb, bob_final)
    ok(bob.run("submit", A, python=python))
    # alice, last of all, submits a stub in bob's name, as `nbgrader submit` allows
    alice.put(nb, b.stub())
    ok(alice.run("submit", A, "--student", bob.name, python=python))

    inbound = exchange / COURSE_ID / "inbound"
    denied = {
        "list inbound": alice.run("sh", "-c", f"ls {inbound}"),
        "read the course": alice.run("sh", "-c", f"cat {course / 'solutions' / A / (A + '.ipynb')}"),
        "read the gradebook folder": alice.run("sh", "-c", f"ls {course}"),
    }

    # carol, who cannot read the course, hands in a folder of her own making, newer than
    # anything: her notebook is a symbolic link to the instructor's master solution, which
    # collect (run by the instructor) would follow
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    crafted = inbound / f"{carol.name}+{A}+{later:%Y-%m-%d %H:%M:%S.%f} UTC+crafted"
    master = course / "solutions" / A / f"{A}.ipynb"
    ok(carol.run("sh", "-c", f"mkdir '{crafted}' && ln -s '{master}' '{crafted}/{A}.ipynb' && "
                             f"echo '{later:%Y-%m-%d %H:%M:%S.%f} UTC' > '{crafted}/timestamp.txt'"))

    # what stock nbgrader collect does with the same inbound, in a copy of the course
    stock_cmd = ["collect", A, "--update",
                 "--ExchangeFactory.collect=nbgrader.exchange.default.collect.ExchangeCollect"]
    stock = shutil.copytree(course, base / "instructor" / "stock")
    ok(nbgrader(stock, *stock_cmd))
    # then carol adds a folder whose name nbgrader cannot parse
    ok(carol.run("sh", "-c", f"mkdir '{inbound}/{carol.name}+{A}+garbage+x'"))
    stock_crash = nbgrader(shutil.copytree(course, base / "instructor" / "stock2"), *stock_cmd)

    collect = ok(instructor(course, "collect", A, "--exchange"))
    autograde = ok(instructor(course, "autograde", A, "--jobs", "2"))
    feedback = ok(instructor(course, "feedback", A, "--exchange"))
    fetched = {s.name: s.run("fetch_feedback", A, python=python) for s in students.values()}
    denied["list released feedback"] = alice.run(
        "sh", "-c", f"ls {exchange / COURSE_ID / 'feedback'}")

    # the SQLite reference: the same collected submissions, plain serial nbgrader
    reference = make_course(base / "instructor" / "reference", settings())
    ok(nbgrader(reference, "generate_assignment", A, "--force"))
    shutil.copytree(course / "submitted", reference / "submitted")
    ok(nbgrader(reference, "autograde", A))

    yield Hub(base, exchange, course, reference, students, python,
              {alice.name: b.correct(), bob.name: bob_final, carol.name: b.stub()},
              release, collect, stock / "submitted", stock_crash, autograde, feedback, denied,
              fetched, db_url)
    shutil.rmtree(base)


def answers(nb) -> list[str]:
    """The sources of the solution cells: what a student wrote."""
    return [c.source for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


@slow
@needs_root
def test_release_reaches_the_exchange_without_hidden_tests(hub):
    out = hub.release.stdout
    assert re.search(rf"^\s*{A}\s+released\s.*{COURSE_ID}/outbound/{A}/", out, re.M), out
    released = hub.exchange / COURSE_ID / "outbound" / A / f"{A}.ipynb"
    assert released.is_file()
    assert "BEGIN HIDDEN TESTS" not in released.read_text()
    assert "BEGIN HIDDEN TESTS" in (hub.course / "solutions" / A / f"{A}.ipynb").read_text()
    # every student fetched the release into their home, owned by them
    for s in hub.students.values():
        fetched = s.home / A / f"{A}.ipynb"
        assert fetched.stat().st_uid == s.uid


@slow
@needs_root
def test_students_cannot_see_each_other_or_the_course(hub):
    for what, proc in hub.denied.items():
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, (what, proc)
    # the submissions themselves are named with a random part nobody can list or guess
    inbound = list((hub.exchange / COURSE_ID / "inbound").iterdir())
    names = [p.name for p in inbound]
    assert len(names) == 8 and all(len(n.split("+")) == 4 for n in names), names
    # a claim made through the environment (USER=cm_bob) is ignored: nbgrader asks the OS
    owners = sorted((p.name.split("+")[0], pwd.getpwuid(p.stat().st_uid).pw_name)
                    for p in inbound)
    assert owners == [("cm_alice", "cm_alice"), ("cm_bob", "cm_alice"), ("cm_bob", "cm_bob"),
                      ("cm_bob", "cm_bob")] + [("cm_carol", "cm_carol")] * 4, owners


@slow
@needs_root
def test_collect_takes_each_students_newest_genuine_submission(hub):
    out = hub.collect.stdout
    # columns: new, updated, unchanged, rejected, students in submitted/
    assert re.search(rf"^\s*{A}\s+3\s+0\s+0\s+3\s+3\s*$", out, re.M), out
    assert out.count("REJECTED") == 3, out
    assert "it claims to be by cm_bob but is owned by cm_alice" in out, out
    assert f"it holds a symbolic link, {A}.ipynb -> " in out, out
    assert "+garbage+x: its name is not one `nbgrader submit` makes" in out, out
    for name, expected in hub.submitted.items():
        got = nbformat.read(hub.course / "submitted" / name / A / f"{A}.ipynb", 4)
        assert answers(got) == answers(expected), name
    # the impostor's submissions stay in the exchange for the instructor to look at
    log = (hub.course / "logs" / f"exchange-collect-{A}.log").read_text()
    assert log.count("Rejected submission cm_bob+ch02+") == 1


@slow
@needs_root
def test_stock_nbgrader_collect_would_take_the_impostors_stub(hub):
    """The holes OwnerCheckedCollect closes, shown on stock nbgrader collect: it takes the
    impostor's submission as bob's, the instructor's master solution as carol's (she only
    made a symbolic link to it), and stops for everyone on a folder name it cannot parse."""
    got = nbformat.read(hub.stock_collect / "cm_bob" / A / f"{A}.ipynb", 4)
    stub = hub.submitted["cm_carol"]
    assert answers(got) == answers(stub) != answers(hub.submitted["cm_bob"])
    carol = hub.stock_collect / "cm_carol" / A / f"{A}.ipynb"
    assert not carol.is_symlink()  # a copy of the instructor's file, not a link
    master = nbformat.read(hub.course / "solutions" / A / f"{A}.ipynb", 4)
    assert answers(nbformat.read(carol, 4)) == answers(master) != answers(stub)
    crash = hub.stock_crash
    assert crash.returncode != 0 and "garbage" in crash.stdout + crash.stderr, crash


@slow
@needs_root
def test_postgres_gradebook_equals_serial_sqlite(hub):
    out = hub.autograde.stdout
    assert "writing to the gradebook server" in out and "2 worker(s)" in out, out
    pg_rows = snapshot(hub.db_url, course_id=COURSE_ID)
    ref_rows = snapshot(sqlite_url(hub.reference), course_id=COURSE_ID)
    assert {k[2] for k in pg_rows if k[0] == "grade"} == set(STUDENTS)
    assert pg_rows == ref_rows
    got = {s: sum(v[0] or 0 for v in g.values()) for s, g in scores(hub.reference, A).items()}
    assert got["cm_alice"] == 26 and got["cm_carol"] == 0 and 0 < got["cm_bob"] < 26, got


@slow
@needs_root
def test_formgrader_queries_work_on_postgres(hub):
    """The aggregate queries behind formgrader's pages (nbgrader has had SQL that only
    SQLite accepted) give the same answers on PostgreSQL as on SQLite."""
    from nbgrader.api import Gradebook

    def views(url: str) -> dict:
        with Gradebook(url, COURSE_ID) as gb:
            def clean(ds):
                return sorted((tuple(sorted((k, v) for k, v in d.items() if k != "id"))
                               for d in ds), key=repr)
            return {
                "submissions": clean(gb.submission_dicts(A)),
                "students": clean(gb.student_dicts()),
                "notebook submissions": clean(gb.notebook_submission_dicts(A, A)),
                "assignment": [gb.average_assignment_score(A),
                               gb.average_assignment_code_score(A),
                               gb.average_assignment_written_score(A),
                               gb.average_assignment_task_score(A)],
                "notebook": [gb.average_notebook_score(A, A), gb.average_notebook_code_score(A, A),
                             gb.average_notebook_written_score(A, A),
                             gb.average_notebook_task_score(A, A)],
            }

    pg, ref = views(hub.db_url), views(sqlite_url(hub.reference))
    assert pg["students"] and pg["submissions"]
    assert pg == ref


@slow
@needs_root
def test_each_student_fetches_only_their_own_feedback(hub):
    assert re.search(r"released to the exchange", hub.feedback.stdout), hub.feedback.stdout
    assert re.search(rf"^\s*{A}\s+3\s+3\s+\d+\s+0\s+3\s*$", hub.feedback.stdout, re.M), \
        hub.feedback.stdout
    total = {s: sum(v[0] or 0 for v in g.values()) for s, g in scores(hub.reference, A).items()}
    assert total["cm_alice"] == 26 and total["cm_carol"] == 0
    for name, proc in hub.fetched_feedback.items():
        assert proc.returncode == 0, (name, proc.stdout, proc.stderr)
        pages = list((hub.students[name].home / A / "feedback").glob(f"*/{A}.html"))
        assert len(pages) == 1, (name, pages)
        html = pages[0].read_text()
        for other in STUDENTS:
            if other != name:
                assert other not in html
        # the student's own score, as in the gradebook, and no hidden test's source
        # ("Score so far" while a written answer waits for a person)
        shown = re.search(r"\(Score(?: so far)?: (\d+\.\d) / 28\.0", html)
        assert shown and shown.group(1) == f"{total[name]:.1f}", (name, re.findall(r"\(Score[^<]*", html))
        assert "HIDDEN TESTS" not in html and "_hidden_tests_unit_vector" not in html


@slow
@needs_root
def test_export_from_postgres_equals_sqlite(hub, tmp_path):
    pg_csv, ref_csv = tmp_path / "pg.csv", tmp_path / "ref.csv"
    ok(instructor(hub.course, "export", "--to", str(pg_csv)))
    ok(nbgrader(hub.reference, "export", f"--to={ref_csv}"))
    got, want = grades_csv(pg_csv), grades_csv(ref_csv)
    assert [r["student_id"] for r in got] == sorted(STUDENTS)
    # the course's export is nbgrader's columns plus a note saying why a score is not final
    notes = {r["student_id"]: r.pop("note") for r in got}
    assert got == want
    from nbgrader.api import Gradebook

    with Gradebook(sqlite_url(hub.reference), COURSE_ID) as gb:
        manual = {s: gb.find_submission(A, s).needs_manual_grade for s in STUDENTS}
    assert {s: n.startswith("needs manual grading") for s, n in notes.items()} == manual, notes
    assert all(n == "" or n.startswith("needs manual grading") for n in notes.values()), notes


class JupyterServer:
    """A real Jupyter server running as a student, with nbgrader's student extensions (the
    Assignments tab's back end) enabled as a hub enables them for its users."""

    def __init__(self, student: Student, python: str):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.log = open(student.home.parent / f"{student.name}-server.log", "w+")
        self.proc = subprocess.Popen(
            student.as_me([python, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1",
                           f"--port={self.port}", f"--IdentityProvider.token={self.token}",
                           f"--ServerApp.root_dir={student.home}"]),
            cwd=student.home, env=student.env(), stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 90
        while True:
            try:
                self.call("GET", "/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > end:
                    self.stop()
                    raise RuntimeError(f"the student's Jupyter server did not start:\n{self.output()}")
                time.sleep(0.5)

    def call(self, method: str, path: str, **form):
        data = urllib.parse.urlencode(form).encode() if method == "POST" else None
        query = "?" + urllib.parse.urlencode(form) if method == "GET" and form else ""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}{query}", data=data,
                                     method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read().decode())

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@slow
@needs_root
def test_assignments_tab_fetch_and_submit(hub):
    """What a student clicks in JupyterLab's Assignments tab (nbgrader's assignment_list
    server extension, in a Jupyter server running as that student), then the instructor
    collects it with the others. Runs last of the hub tests: it adds a fourth student."""
    extensions = {"ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.assignment_list": True,
        "nbgrader.server_extensions.course_list": True}}}
    dave = new_student(hub.base, "cm_dave", hub.exchange, extensions)
    server = JupyterServer(dave, hub.python)
    try:
        listed = server.call("GET", "/assignments", course_id=COURSE_ID)
        assert listed["success"], listed
        assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [(A, "released")]
        fetched = server.call("POST", "/assignments/fetch", course_id=COURSE_ID,
                              assignment_id=A)
        assert (A, "fetched") in [(a["assignment_id"], a["status"]) for a in fetched["value"]]
        notebook = dave.home / A / f"{A}.ipynb"
        assert notebook.stat().st_uid == dave.uid
        answer = ClassBuilder(hub.course, A).partial(ClassBuilder(hub.course, A).parts[:2])
        dave.put(f"{A}/{A}.ipynb", answer)
        submitted = server.call("POST", "/assignments/submit", course_id=COURSE_ID,
                                assignment_id=A)
        assert submitted.get("success"), submitted
        statuses = {a["status"] for a in submitted["value"] if a["assignment_id"] == A}
        assert "submitted" in statuses, submitted
    finally:
        server.stop()

    collect = ok(instructor(hub.course, "collect", A, "--exchange"))
    # columns: new, updated, unchanged, rejected, students in submitted/ -- the impostor's
    # submission is still in the exchange and still rejected
    assert re.search(rf"^\s*{A}\s+1\s+0\s+3\s+3\s+4\s*$", collect.stdout, re.M), collect.stdout
    got = nbformat.read(hub.course / "submitted" / "cm_dave" / A / f"{A}.ipynb", 4)
    assert answers(got) == answers(answer)


# ---- several graders on one PostgreSQL gradebook ----------------------------------------

@slow
def test_two_graders_at_once_share_one_postgres_gradebook(pg, tmp_path):
    """Two course folders (two grading machines), each with half the class, grade at the
    same time into one PostgreSQL gradebook; the result is exactly a serial SQLite run of
    the whole class, with no row lost or duplicated -- also after one grader re-runs."""
    db_url = pg.create_database("two_graders")
    first = make_course(tmp_path / "machine1", settings(db_url))
    ok(instructor(first, "release", A))
    second = make_course(tmp_path / "machine2", settings(db_url))
    shutil.copytree(first / "exercises", second / "exercises")
    reference = make_course(tmp_path / "reference", settings())
    ok(nbgrader(reference, "generate_assignment", A, "--force"))

    klass = ClassBuilder(first, A).generated_class(12, seed=3)
    for i, (student, (_, nb)) in enumerate(sorted(klass.items())):
        for course in ((first if i % 2 == 0 else second), reference):
            path = course / "submitted" / student / A / f"{A}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, str(path))

    runs = [subprocess.Popen([sys.executable, "-m", "instructor", "--course", str(c),
                              "autograde", A, "--jobs", "2"], cwd=ROOT, env=env(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for c in (first, second)]
    outs = [p.communicate(timeout=900)[0] for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    ok(nbgrader(reference, "autograde", A))

    want = snapshot(sqlite_url(reference), course_id=COURSE_ID)
    got = snapshot(db_url, course_id=COURSE_ID)  # raises on a duplicated row
    assert {k[2] for k in got if k[0] == "submission"} == set(klass)
    assert got == want
    counts = pg.query("two_graders", "SELECT COUNT(*) FROM submitted_assignment")[0][0]
    assert counts == len(klass)

    again = ok(instructor(first, "autograde", A, "--jobs", "2", "--force"))
    assert "6 submission(s)" in again.stdout
    assert snapshot(db_url, course_id=COURSE_ID) == want
    assert pg.query("two_graders", "SELECT COUNT(*) FROM grade")[0][0] == \
        sum(1 for k in want if k[0] == "grade")


# ---- clear errors -------------------------------------------------------------------------

def test_unreachable_gradebook_server_is_a_clear_error(tmp_path):
    url = f"postgresql://grader:s3cret@127.0.0.1:{free_port()}/nowhere"
    course = make_course(tmp_path / "course", settings(url))
    (course / "submitted" / "alice" / A).mkdir(parents=True)
    proc = instructor(course, "autograde", A)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error: cannot use the gradebook postgresql://grader:***@127.0.0.1:" in proc.stderr
    assert "s3cret" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


def test_postgres_gradebook_without_a_course_id_is_a_clear_error(pg, tmp_path):
    """PostgreSQL enforces the gradebook's course foreign key (SQLite does not): stock
    nbgrader then fails with a ForeignKeyViolation traceback on generate_assignment."""
    url = pg.create_database("no_course_id")
    course = tmp_path / "course"
    course.mkdir()
    write_course_config(course, ROOT, extra=f"c.CourseDirectory.db_url = {url!r}\n")
    shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
    stock = nbgrader(course, "generate_assignment", A)
    assert "ForeignKeyViolation" in stock.stdout + stock.stderr
    for args in (["release", A], ["autograde", A], ["status"]):
        proc = instructor(course, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "needs a course id: set c.CourseDirectory.course_id" in proc.stderr, proc.stderr


def test_exchange_without_a_course_id_is_a_clear_error(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    write_course_config(course, ROOT, extra=f"c.Exchange.root = {str(tmp_path / 'x')!r}\n")
    shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
    for args in (["release", A, "--exchange"], ["collect", A, "--exchange"],
                 ["feedback", A, "--exchange"]):
        proc = instructor(course, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "set c.CourseDirectory.course_id" in proc.stderr, (args, proc.stderr)
    assert not (course / "exercises").exists()  # nothing generated before the error
    both = instructor(course, "collect", A, "export.zip", "--exchange")
    assert both.returncode == 2 and "not both" in both.stderr
    neither = instructor(course, "collect", A)
    assert neither.returncode == 2 and "or --exchange" in neither.stderr
