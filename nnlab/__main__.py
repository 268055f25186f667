"""The nnlab command line: ``nnlab grade ...`` and ``nnlab exercises release`` (also ``python -m nnlab``)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from .variants import DEFAULT_SALT

DEFAULT_SOLUTIONS = Path("exercises/solutions")
DEFAULT_EXERCISES = Path("exercises")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnlab", description="The nnlab course's command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="grade exercise notebooks",
                           description="Grade one notebook, or a class: files and directories of "
                                       "notebooks (searched recursively).")
    grade.add_argument("paths", nargs="+", metavar="SUBMISSION", help="notebooks or directories")
    grade.add_argument("--csv", metavar="FILE", help="write one row per submission (atomically, "
                       "after each graded submission)")
    grade.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="parallel workers")
    grade.add_argument("--json", action="store_true", help="print a JSON report (same as --format json)")
    grade.add_argument("--format", choices=("text", "json", "gradescope"), default="text",
                       help="text (default), json, or gradescope (writes results.json)")
    grade.add_argument("--output", metavar="FILE", default=None,
                       help="where --format gradescope writes (default: results.json)")
    grade.add_argument("--timeout", type=float, default=10.0, metavar="S",
                       help="time limit per task and per notebook cell, in seconds (default 10)")
    grade.add_argument("--memory-mb", type=int, default=1024, metavar="MB",
                       help="memory the student code may use, in MB (default 1024)")
    grade.add_argument("--seed", type=int, default=0,
                       help="seed of the grader's inputs (use a private one for a real exam)")
    grade.add_argument("--exercise", metavar="NAME", default=None,
                       help="grade every notebook as this exercise; a notebook of another "
                            "exercise scores 0")
    grade.add_argument("--require-sandbox", action="store_true",
                       help="refuse to grade without the bubblewrap sandbox (use it for grades)")
    grade.add_argument("--user", metavar="NAME", default=None,
                       help="where bubblewrap cannot run and the grader is root, run the "
                            "student code as this unprivileged user (e.g. nobody)")
    grade.add_argument("--salt", default=DEFAULT_SALT, metavar="TEXT",
                       help="the course salt the student notebooks were released with (each "
                            f"student's numbers depend on it and on STUDENT_ID; default {DEFAULT_SALT!r})")
    grade.add_argument("--reference", type=Path, default=None, metavar="DIR",
                       help="the held-out references (default: $NNLAB_REFERENCE, else this "
                            "checkout's exercises/reference)")

    ex = sub.add_parser("exercises", help="manage the exercise notebooks")
    ex_sub = ex.add_subparsers(dest="action", required=True)
    rel = ex_sub.add_parser("release", help="generate the student notebooks from the solutions")
    rel.add_argument("--solutions", type=Path, default=DEFAULT_SOLUTIONS, metavar="DIR")
    rel.add_argument("--out", "--to", type=Path, default=DEFAULT_EXERCISES, metavar="DIR",
                     help="where the student notebooks go (a class release: no solutions)")
    rel.add_argument("--no-execute", action="store_true",
                     help="write the notebooks without executing them (no stored outputs)")
    rel.add_argument("--check", action="store_true",
                     help="only report student notebooks that drifted from the solutions (exit 1)")
    rel.add_argument("--salt", default=DEFAULT_SALT, metavar="TEXT",
                     help="the course salt written into the student notebooks (grade with the "
                          "same --salt)")
    gs = ex_sub.add_parser("gradescope", help="build a Gradescope autograder zip for one exercise")
    gs.add_argument("exercise", metavar="EXERCISE", help="e.g. 07_optimizers")
    gs.add_argument("-o", "--output", type=Path, default=Path("autograder.zip"), metavar="ZIP")
    gs.add_argument("--wheel", type=Path, default=None,
                    help="the course wheel to ship (default: build it from this checkout)")
    gs.add_argument("--timeout", type=float, default=10.0, metavar="S")
    gs.add_argument("--salt", default=DEFAULT_SALT, metavar="TEXT",
                    help="the course salt of the class release")
    gs.add_argument("--reference", type=Path, default=None, metavar="DIR",
                    help="the held-out references to ship (default: this checkout's)")
    return parser


def _gradescope_bundle(args) -> int:
    from .grading.gradescope import build_bundle

    try:
        path = build_bundle(args.exercise, args.output, wheel=args.wheel, timeout=args.timeout,
                            salt=args.salt, references=args.reference)
    except (ValueError, RuntimeError, LookupError) as exc:
        print(f"nnlab exercises gradescope: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it as the autograder of {args.exercise}", file=sys.stderr)
    return 0


def _grade(args) -> int:
    fmt = "json" if args.json else args.format
    if fmt == "gradescope":
        return _grade_gradescope(args)
    from .grading.grader import find_submissions, grade_many
    from .grading.references import MissingReference
    from .grading.report import clean, json_report, text_report, write_csv
    from .grading.sandbox import SandboxUnavailable
    from .grading.tasks import EXERCISES

    if args.exercise is not None and args.exercise not in EXERCISES:
        print(f"nnlab grade: unknown exercise {args.exercise!r}; one of {', '.join(EXERCISES)}",
              file=sys.stderr)
        return 2
    files = find_submissions(args.paths)
    if not files:
        print("nnlab grade: no notebooks found", file=sys.stderr)
        return 2
    done: list[dict] = []

    def on_result(report: dict) -> None:
        done.append(report)
        if args.csv:
            write_csv(args.csv, done)  # rewritten after every submission: an interruption keeps them
        if fmt == "text":
            print(text_report(report), flush=True)
        elif len(files) > 1:
            status = report["error"] or f"{report['score']:g}/{report['max_score']:g}"
            print(f"graded {clean(report['submission'])}: {clean(status)}", file=sys.stderr,
                  flush=True)

    try:
        reports = grade_many(files, jobs=args.jobs, on_result=on_result, **_options(args))
    except (SandboxUnavailable, MissingReference) as exc:
        print(f"nnlab grade: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = f"; {len(done)} graded submissions kept in {args.csv}" if args.csv else ""
        print(f"nnlab grade: interrupted{kept}", file=sys.stderr)
        return 130
    if fmt == "json":
        data = [json_report(r) for r in reports]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    return 1 if any(r["error"] for r in reports) else 0


def _options(args) -> dict:
    return {"seed": args.seed, "timeout": args.timeout, "memory_mb": args.memory_mb,
            "exercise": args.exercise, "require_sandbox": args.require_sandbox, "user": args.user,
            "salt": args.salt, "references": args.reference}


def _grade_gradescope(args) -> int:
    """Gradescope mode: exactly one submission, and results.json is written whatever happens."""
    from .grading.report import gradescope_error, gradescope_results, write_json

    out = args.output or "results.json"
    try:
        from .grading.grader import find_submissions, grade_many

        files = find_submissions(args.paths)
        if len(files) != 1:
            found = ", ".join(p.name for p in files) or "none"
            write_json(out, gradescope_error(
                f"expected exactly one notebook (.ipynb) in the submission; found {len(files)}: "
                f"{found}"))
            return 0
        reports = grade_many(files, jobs=1, **_options(args))
        write_json(out, gradescope_results(reports[0]))
    except BaseException as exc:  # a results.json with 0 points beats none at all
        write_json(out, gradescope_error(f"the autograder failed: {type(exc).__name__}: {exc}"))
        if not isinstance(exc, Exception):
            raise
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _release(args) -> int:
    from .grading.release import release, solution_files

    if not solution_files(args.solutions):
        print(f"nnlab exercises release: no solution notebooks in {args.solutions}/ (run it from "
              "the course folder, or pass --solutions)", file=sys.stderr)
        return 2
    drifted = release(args.solutions, args.out, run=not args.no_execute, check_only=args.check,
                      salt=args.salt)
    if args.check and drifted:
        print("run `nnlab exercises release` to regenerate them", file=sys.stderr)
        return 1
    return 0


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "grade":
        signal.signal(signal.SIGTERM, _terminate)
        if hasattr(signal, "SIGPIPE"):  # `nnlab grade ... | head`: stop quietly, as Unix tools do
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return _grade(args)
    if args.action == "gradescope":
        return _gradescope_bundle(args)
    return _release(args)


if __name__ == "__main__":
    sys.exit(main())
