"""Parallel autograding against plain serial nbgrader, on a generated class.

    .venv/bin/python benchmarks/bench_grading.py [--students 104] [--jobs 2] [--rounds 1] [--bare]

Generates a class of ch02 submissions (about 40 % correct, 30 % partial, 30 % wrong,
built from the released notebook like ``tests/grading_utils.py`` does), copies the course
twice, and in the same run grades it

1. serially with plain ``nbgrader autograde ch02``, and
2. with ``python -m instructor autograde ch02 --jobs N``,

then prints wall times, throughput, the speed-up, the load average around each run (other
work on the machine takes cores from both), and checks that the two gradebooks hold the
same rows with the same values for every student and every cell. Exit code 1 if they
differ. ``--rounds 2`` runs serial, parallel, parallel, serial (each in a fresh copy), so
that load from other work that rises or falls during the benchmark weighs on both alike.

The course copies load the repository's ``nbgrader_config.py`` (so they grade exactly as
the course does, hardening included); ``--bare`` copies the file instead, as the tests do.

``--postgres`` grades the parallel runs into a PostgreSQL gradebook instead (a throwaway
server started from Debian's ``postgresql`` programs, as the tests do; one fresh database
per run, released into with ``nbgrader generate_assignment`` before the clock starts):
the workers then write to the server directly, and the gradebook is compared with the
serial run's SQLite one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from instructor.course import nbgrader_env  # noqa: E402
from instructor.demo import ClassBuilder, write_course_config  # noqa: E402
from instructor.gradebook import compare, snapshot  # noqa: E402

A = "ch02"


def timed(cmd: list[str], cwd: Path) -> dict:
    """Run ``cmd``; wall time, CPU time of it and its children, load averages around it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dict(wall=wall, cpu=cpu, load0=load0, load1=os.getloadavg(), code=proc.returncode,
                out=proc.stdout, err=proc.stderr)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=104)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rounds", type=int, default=1,
                   help="serial+parallel pairs, in ABBA order (default: 1)")
    p.add_argument("--bare", action="store_true",
                   help="copy nbgrader_config.py instead of loading it (no hardening)")
    p.add_argument("--keep", action="store_true", help="keep the course copies")
    p.add_argument("--postgres", action="store_true",
                   help="parallel runs write to a PostgreSQL gradebook (a throwaway server)")
    args = p.parse_args(argv)
    if min(args.students, args.jobs, args.rounds) < 1:
        p.error("--students, --jobs and --rounds must be >= 1")

    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    server = None
    db_urls: dict[Path, str] = {}
    try:
        if args.postgres:
            sys.path.insert(0, str(ROOT / "tests"))
            from pg_server import PostgresServer

            server = PostgresServer().start()
        base = tmp / "base"
        base.mkdir()
        if args.bare:
            shutil.copy2(ROOT / "nbgrader_config.py", base / "nbgrader_config.py")
        else:
            write_course_config(base, ROOT)
        shutil.copytree(ROOT / "solutions" / A, base / "solutions" / A)
        gen = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", A,
                              "--force"], cwd=base, env=nbgrader_env(), capture_output=True,
                             text=True)
        if gen.returncode != 0:
            print(gen.stdout, gen.stderr)
            return 1
        hardened = "WITHOUT hardening" not in gen.stderr
        b = ClassBuilder(base, A)
        kinds = {}
        for student, (kind, nb) in b.generated_class(args.students, args.seed).items():
            b.write_submitted(student, nb)
            kinds[kind] = kinds.get(kind, 0) + 1

        print(f"bench_grading: {args.students} submissions of {A} "
              f"({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}); "
              f"{os.cpu_count()} CPUs; config: {'bare copy' if args.bare else 'the course'}"
              f"{' (hardened)' if hardened else ' (nbgrader defaults)'}"
              f"{'; parallel runs into PostgreSQL' if server else ''}", flush=True)

        order = ["serial", "parallel"] * args.rounds
        for i in range(1, args.rounds, 2):  # ABBA: S P | P S | S P ...
            order[2 * i], order[2 * i + 1] = order[2 * i + 1], order[2 * i]
        runs: list[tuple[str, Path, dict]] = []
        for i, kind in enumerate(order):
            course = shutil.copytree(base, tmp / f"{i}-{kind}")
            if kind == "serial":
                print(f"  [{i + 1}/{len(order)}] serial:   nbgrader autograde {A} ...", flush=True)
                r = timed([sys.executable, "-m", "nbgrader", "autograde", A], course)
            else:
                if server is not None:
                    url = server.create_database(f"run{i}")
                    with open(course / "nbgrader_config.py", "a") as fh:
                        fh.write(f"\nc.CourseDirectory.db_url = {url!r}\n"
                                 "c.CourseDirectory.course_id = 'default_course'\n")
                    (course / "gradebook.db").unlink()
                    gen = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment",
                                          A, "--force"], cwd=course, env=nbgrader_env(),
                                         capture_output=True, text=True)
                    if gen.returncode != 0:
                        print(gen.stdout, gen.stderr)
                        return 1
                    db_urls[course] = url
                print(f"  [{i + 1}/{len(order)}] parallel: python -m instructor autograde {A} "
                      f"--jobs {args.jobs}{' (PostgreSQL)' if server else ''} ...", flush=True)
                r = timed([sys.executable, "-m", "instructor", "--course", str(course),
                           "autograde", A, "--jobs", str(args.jobs)], ROOT)
            if r["code"] != 0:
                print(f"{kind} run failed (exit {r['code']}):\n{r['out'][-3000:]}\n{r['err'][-3000:]}")
                return 1
            runs.append((kind, course, r))

        n = args.students
        print()
        print(f"  {'run':<36} {'wall s':>7} {'subm/s':>7} {'CPU s':>7} {'CPU/wall':>8}   "
              "load avg (1 min) before -> after")
        for kind, _, r in runs:
            label = ("nbgrader autograde (serial)" if kind == "serial"
                     else f"instructor autograde --jobs {args.jobs}"
                          f"{' (pg)' if server else ''}")
            print(f"  {label:<36} {r['wall']:7.1f} {n / r['wall']:7.2f} {r['cpu']:7.1f} "
                  f"{r['cpu'] / r['wall']:8.2f}   {r['load0'][0]:.2f} -> {r['load1'][0]:.2f}")
        wall = {k: sum(r["wall"] for kk, _, r in runs if kk == k) for k in ("serial", "parallel")}
        speedup = wall["serial"] / wall["parallel"]
        print(f"\n  speed-up: {speedup:.2f}x on {args.jobs} workers "
              f"(total serial / total parallel wall time; target >= 1.7x on 2 cores)")

        reference = next(c for k, c, _ in runs if k == "serial")
        db_s = f"sqlite:///{reference / 'gradebook.db'}"
        snap = snapshot(db_s)
        for kind, course, _ in runs:
            if course == reference:
                continue
            diff = compare(db_s, db_urls.get(course, f"sqlite:///{course / 'gradebook.db'}"))
            if diff:
                print(f"  gradebook of {course.name} DIFFERS from {reference.name} in "
                      f"{len(diff)} rows, e.g.:", *diff[:10], sep="\n    ")
                return 1
        students = {k[2] for k in snap if k[0] == "grade"}
        grades = sum(k[0] == "grade" for k in snap)
        print(f"  gradebooks identical ({len(runs)} runs): {len(students)} students, {grades} "
              f"grade rows, {sum(k[0] == 'comment' for k in snap)} comment rows, same values "
              f"(auto/manual score, needs manual grade, comments, timestamps)")
        if speedup < 1.7:
            print("  below 1.7x: see the load average -- the two runs share the machine with "
                  "other work, and a worker only gets the cores nobody else uses")
        return 0
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"  course copies kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
