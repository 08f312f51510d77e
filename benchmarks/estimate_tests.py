"""How long `make test` takes, and an estimate for the complete 11-chapter course.

    make bench        (or: .venv/bin/python benchmarks/estimate_tests.py [report.xml])

Reads the JUnit report that `make test` writes (_build/test-report.xml: every test's
setup + call + teardown time) and splits the suite's time three ways:

* per chapter: tests of one chapter or its assignment (``ch05`` in the test's file or
  parameters): they are repeated for every new chapter, at the mean cost of the chapters
  that have them today;
* per page: the modules that build the book or visit every page in Chromium
  (``BOOK_WIDE``): they grow with the number of chapters, taken as proportional (an upper
  bound: their fixed start-up cost is scaled too);
* the rest (calclib, the instructor loop, the hub...): independent of the chapter count.

The budgets of issue 10 (today <= 20 min; 11 chapters <= 35 min) are judged on the run's
wall-clock time, which with pytest-xdist is less than the sum of the tests' times.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "_build" / "test-report.xml"
#: Chapters of the complete course (chapter 1 has no assignment), and the budgets (min).
COMPLETE_CHAPTERS = 11
BUDGET_TODAY, BUDGET_COMPLETE = 20.0, 35.0
#: Test modules whose cost grows with the number of pages of the book.
BOOK_WIDE = ("test_book", "test_browser", "test_a11y", "test_selfcheck", "test_pdf",
             "test_parallel_execution", "test_chapters")
CHAPTER = re.compile(r"ch(\d\d)")


def split(report: Path):
    per_chapter: dict[int, float] = defaultdict(float)
    book_wide = other = 0.0
    for case in ET.parse(report).getroot().iter("testcase"):
        secs = float(case.get("time") or 0.0)
        classname, name = case.get("classname", ""), case.get("name", "")
        module = next((part for part in classname.split(".") if part.startswith("test_")),
                      classname)
        found = CHAPTER.search(module) or (CHAPTER.search(name)
                                           if module not in BOOK_WIDE else None)
        if found:
            per_chapter[int(found.group(1))] += secs
        elif module in BOOK_WIDE:
            book_wide += secs
        else:
            other += secs
    return dict(per_chapter), book_wide, other


def main() -> None:
    report = Path(sys.argv[1]) if len(sys.argv) > 1 else REPORT
    if not report.is_file():
        print(f"test-suite estimate: no {report} yet; run `make test` first")
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import chapter_files

    chapters = len(chapter_files())
    per_chapter, book_wide, other = split(report)
    with_tests = [secs for ch, secs in per_chapter.items() if ch >= 2]
    mean_chapter = sum(with_tests) / len(with_tests) if with_tests else 0.0
    today = sum(per_chapter.values()) + book_wide + other
    missing = [ch for ch in range(2, COMPLETE_CHAPTERS + 1) if ch not in per_chapter]
    complete = (today + mean_chapter * len(missing)
                + book_wide * (COMPLETE_CHAPTERS / chapters - 1))
    print(f"make test (from {report}, {chapters} chapters in the book):")
    for ch, secs in sorted(per_chapter.items()):
        print(f"  chapter {ch:2d} and its assignment {secs / 60:6.1f} min")
    print(f"  book-wide (build, Chromium)    {book_wide / 60:6.1f} min")
    print(f"  everything else                {other / 60:6.1f} min")
    # `make test` runs test files side by side (pytest-xdist): the per-test times add up to
    # more than the run takes. The budget is the run's wall-clock time (the report's
    # testsuite time); the estimate scales it by the summed times' growth.
    suite = next(ET.parse(report).getroot().iter("testsuite"))
    wall = float(suite.get("time") or today)
    print(f"  sum of the tests' times        {today / 60:6.1f} min  (one worker would take about this)")
    print(f"  total today (wall clock)       {wall / 60:6.1f} min  (budget <= "
          f"{BUDGET_TODAY:.0f} min {'ok' if wall / 60 <= BUDGET_TODAY else 'MISSED'})")
    estimate = wall * complete / today if today else wall
    print(f"  estimate for {COMPLETE_CHAPTERS} chapters          {estimate / 60:6.1f} min  "
          f"(+{len(missing)} chapters at {mean_chapter / 60:.1f} min summed, book-wide x"
          f"{COMPLETE_CHAPTERS / chapters:.2f}; budget <= {BUDGET_COMPLETE:.0f} min "
          f"{'ok' if estimate / 60 <= BUDGET_COMPLETE else 'MISSED'})")


if __name__ == "__main__":
    main()
