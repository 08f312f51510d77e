"""A gradebook that holds a term's work is never deleted by accident.

``make exercises`` (regenerate the student release) removes ``gradebook.db`` afterwards,
which is right for the authors of the course (the file is a by-product of
``generate_assignment``) and wrong for an instructor in the middle of a term: it is one
word away from ``make release``. Before it does, it runs::

    python -m instructor.safety gradebook.db [--discard]

which exits 0 when the gradebook is missing or holds no submissions, and otherwise refuses
(exit 2, saying what it holds and what to run instead) unless ``--discard`` is given
(``make exercises DISCARD_GRADEBOOK=1``), and then first copies it to a dated backup
``gradebook-backup-YYYYMMDD-HHMMSS.db`` beside it.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path


def holdings(db: Path) -> tuple[int, int]:
    """``(submissions, hand-graded cells)`` in a SQLite gradebook (0, 0 if it has none)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        def count(sql: str) -> int:
            try:
                return con.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:  # not (yet) an nbgrader gradebook
                return 0
        return (count("SELECT COUNT(*) FROM submitted_assignment"),
                count("SELECT COUNT(*) FROM grade WHERE manual_score IS NOT NULL"))
    finally:
        con.close()


def backup(db: Path) -> Path:
    """A consistent copy of the gradebook (SQLite's backup API), named with the time."""
    dest = db.with_name(f"{db.stem}-backup-{time.strftime('%Y%m%d-%H%M%S')}{db.suffix}")
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = sqlite3.connect(dest)
    try:
        src.backup(out)
    finally:
        out.close()
        src.close()
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m instructor.safety",
                                description="Refuse to let a gradebook with work in it go.")
    p.add_argument("gradebook", type=Path)
    p.add_argument("--discard", action="store_true",
                   help="let it go anyway, after a dated backup")
    args = p.parse_args(argv)
    db = args.gradebook
    if not db.is_file():
        return 0
    submissions, by_hand = holdings(db)
    if not submissions and not by_hand:
        return 0
    what = f"{submissions} submission(s)" + (f", {by_hand} hand-graded cell(s)" if by_hand else "")
    if not args.discard:
        print(f"error: {db} holds {what}: `make exercises` would delete it.\n"
              f"  To regenerate the student version and keep the grades: make release "
              f"[ASSIGNMENT=ch02]\n"
              f"  To start over anyway (a dated backup is kept): make exercises "
              f"DISCARD_GRADEBOOK=1", file=sys.stderr)
        return 2
    dest = backup(db)
    print(f"{db} held {what}: backed up to {dest} before it is removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
