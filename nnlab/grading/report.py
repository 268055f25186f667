"""Reports: a text summary, the class CSV (written atomically), Gradescope's results.json."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path

from .core import plural
from .tasks import EXERCISES

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text) -> str:
    """Text safe for one line of a terminal or a CSV cell: control characters escaped."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(text))


def text_report(report: dict) -> str:
    name = clean(report["submission"])
    warning = f"\n  WARNING: {clean(report['warning'])}" if report.get("warning") else ""
    if report["error"]:
        return f"{name}: ERROR: {clean(report['error'])}{warning}"
    manual = report.get("manual_points") or 0
    written = f" (+ {plural(manual, 'point')} of written answers, graded by hand)" if manual else ""
    lines = [f"{name} ({report['exercise']}): {report['score']:g} / {report['max_score']:g}"
             f"{written}{warning}"]
    width = max(len(t["name"]) for t in report["tasks"])
    for t in report["tasks"]:
        points = (f"{'':>5} {t['manual_points']:g} pts" if "manual_points" in t
                  else f"{t['score']:>5g}/{t['max_score']:<3g}")
        lines.append(f"  {t['name']:<{width}}  {points:<9} {t['status']:<13} {clean(t['feedback'])}")
    return "\n".join(lines)


def json_report(report: dict) -> dict:
    keys = ("submission", "exercise", "score", "max_score", "manual_points", "tasks", "error",
            "warning")
    return {k: report.get(k, 0.0 if k == "manual_points" else None) for k in keys}


def csv_columns(reports: list[dict]) -> list[str]:
    seen = {r["exercise"] for r in reports if r["exercise"]}
    tasks = [t.name for name, ex in EXERCISES.items() if name in seen for t in ex.tasks]
    return ["submission", "exercise", *tasks, "score", "max_score", "error"]


def write_csv(path, reports: list[dict]) -> None:
    """Write the class CSV atomically: a temporary file in the same folder, then os.replace."""
    path = Path(path)
    buf = io.StringIO()
    columns = csv_columns(reports)
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in sorted(reports, key=lambda r: (r["submission"], r["file"])):
        row = {"submission": clean(r["submission"]), "exercise": r["exercise"] or "",
               "score": r["score"], "max_score": r["max_score"], "error": clean(r["error"] or "")}
        row.update({t["name"]: ("manual" if t["status"] == "manual" else "") if "manual_points" in t
                    else t["score"] for t in r["tasks"]})
        writer.writerow(row)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            fh.write(buf.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def gradescope_error(message: str) -> dict:
    """results.json for a submission that could not be graded: 0 points and why."""
    return {"score": 0.0, "output": f"This submission could not be graded: {message}", "tests": []}


def gradescope_results(report: dict) -> dict:
    """Gradescope's results.json: a total and one test per task (status passed or failed)."""
    if report["error"]:
        return gradescope_error(report["error"])
    tests = [{"name": t["name"] + (" (written answer, graded by hand)" if "manual_points" in t else ""),
              "score": t["score"], "max_score": t["max_score"],
              "status": "passed" if t["status"] in ("passed", "manual") else "failed",
              "output": f"[{t['status']}] {t['feedback']}", "visibility": "visible"}
             for t in report["tasks"]]
    return {"score": report["score"], "output": f"{report['exercise']}: {report['score']:g} / "
            f"{report['max_score']:g}", "tests": tests}


def write_json(path, data) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
