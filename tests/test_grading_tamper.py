"""Integrity: nothing the student code does can raise its score or stop the batch.

Each test hands the grader a submission built from a solution notebook plus one hostile cell.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys

import pytest
from grading_helpers import ROOT, by_task, submission

from nnlab.grading import grade_many, grade_notebook
from nnlab.grading.grader import static_reference_use
from nnlab.grading.tasks import EXERCISES

WRONG_SOFTMAX = '''
def softmax(x):
    return np.ones_like(x) / 2  # wrong
'''


def _grade(tmp_path, exercise, code, *, prepend=False, **options):
    cells = {"prepend": [code]} if prepend else {"append": [code]}
    return grade_notebook(submission(tmp_path, exercise, **cells), **options)


def test_redefining_numpy_comparisons_in_the_child_changes_nothing(tmp_path):
    code = WRONG_SOFTMAX + '''
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import nnlab.grading.core as core
core.compare_arrays = lambda *a, **k: None
core.compare_outputs = lambda *a, **k: None
'''
    report = _grade(tmp_path, "01_forward_pass", code)
    assert by_task(report)["softmax"]["status"] == "failed"
    assert by_task(report)["softmax"]["score"] == 0


def test_an_object_that_equals_everything_scores_zero(tmp_path):
    code = '''
class Anything:
    def __eq__(self, other):
        return True
    __array_priority__ = 1000

def softmax(x):
    return Anything()

def dense_forward(inputs, weights, biases):
    return np.array([Anything()] * 3, dtype=object)
'''
    tasks = by_task(_grade(tmp_path, "01_forward_pass", code))
    for name in ("softmax", "dense_forward"):
        assert tasks[name]["score"] == 0 and tasks[name]["status"] == "error"
        assert "expected numbers" in tasks[name]["feedback"]


def test_printing_all_tests_passed_changes_nothing(tmp_path):
    code = WRONG_SOFTMAX + 'print("All tests passed! Score: 100%")\n'
    report = _grade(tmp_path, "01_forward_pass", code)
    assert by_task(report)["softmax"]["score"] == 0
    assert report["score"] < report["max_score"]


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "raise SystemExit(3)", "os._exit(0)"])
def test_exiting_inside_a_task_only_costs_that_task(tmp_path, exit_call):
    code = f'''
import os, sys
def softmax(x):
    {exit_call}
'''
    report = _grade(tmp_path, "01_forward_pass", code)
    tasks = by_task(report)
    assert tasks["softmax"]["score"] == 0 and tasks["softmax"]["status"] == "error"
    assert all(t["status"] == "passed" for n, t in tasks.items() if n != "softmax")


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "os._exit(0)"])
def test_exiting_at_top_level(tmp_path, exit_call):
    report = _grade(tmp_path, "01_forward_pass", f"import os, sys\n{exit_call}\n", prepend=True)
    statuses = {t["status"] for t in report["tasks"]}
    if exit_call.startswith("sys"):
        # SystemExit in a cell is caught like any error: the rest of the notebook runs.
        assert statuses == {"passed"}
    else:
        assert statuses == {"error"} and report["score"] == 0
        assert "ended the Python process" in report["tasks"][0]["feedback"]


def test_an_infinite_loop_in_a_task_times_out_and_the_rest_is_graded(tmp_path):
    code = '''
def softmax(x):
    while True:
        try:
            pass
        except BaseException:
            pass
'''
    report = _grade(tmp_path, "01_forward_pass", code, timeout=1.0)
    tasks = by_task(report)
    assert tasks["softmax"]["status"] == "timeout" and tasks["softmax"]["score"] == 0
    assert all(t["status"] == "passed" for n, t in tasks.items() if n != "softmax")


def test_an_infinite_loop_at_top_level_times_out(tmp_path):
    code = '''
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
'''
    report = _grade(tmp_path, "01_forward_pass", code, prepend=True, timeout=1.0)
    assert {t["status"] for t in report["tasks"]} == {"timeout"}
    assert report["score"] == 0


def test_a_huge_allocation_hits_the_memory_limit(tmp_path):
    code = '''
def softmax(x):
    big = np.ones((200_000, 100_000))  # 160 GB
    return big[:1]
'''
    report = _grade(tmp_path, "01_forward_pass", code, memory_mb=512)
    task = by_task(report)["softmax"]
    assert task["status"] == "error" and "memory" in task["feedback"].lower()
    assert by_task(report)["dense_forward"]["status"] == "passed"


def test_a_crash_of_the_interpreter(tmp_path):
    code = '''
import ctypes
def softmax(x):
    ctypes.string_at(0)  # segmentation fault
'''
    report = _grade(tmp_path, "01_forward_pass", code)
    task = by_task(report)["softmax"]
    assert task["status"] == "error" and "died" in task["feedback"]
    assert by_task(report)["answer_n_params"]["status"] == "passed"


def test_processes_started_by_the_student_code_do_not_survive(tmp_path):
    marker = tmp_path / "pid.txt"
    code = f"""
import subprocess
p = subprocess.Popen(["sleep", "60"])
open({str(marker)!r}, "w").write(str(p.pid))
"""
    report = _grade(tmp_path, "02_loss", code)
    assert report["score"] == report["max_score"]
    pid = int(marker.read_text())
    import time
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        # a zombie until its reaper notices: check its state
        state = open(f"/proc/{pid}/stat").read().split()[2] if os.path.exists(f"/proc/{pid}") else "X"
        if state in ("Z", "X"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the student's subprocess is still running")


CHEATS = {
    "direct": ("def adam_update(param, grad, state, **kw):\n"
               "    return nnlab.adam_update(param, grad, state, **kw)\n"),
    "alias": ("from nnlab import adam_update as helper\n"
              "def adam_update(param, grad, state, **kw):\n    return helper(param, grad, state, **kw)\n"),
    "getattr": ("def adam_update(param, grad, state, **kw):\n"
                "    return getattr(nnlab, 'adam_' + 'update')(param, grad, state, **kw)\n"),
    "class": ("_opt = {}\ndef adam_update(param, grad, state, **kw):\n"
              "    opt = state.get('opt') or nnlab.Adam(kw['learning_rate'])\n"
              "    new = param.copy()\n    opt.step([new], [grad])\n    return new, {'opt': opt}\n"),
    "fallback": ("def adam_update(param, grad, state, **kw):\n    try:\n"
                 "        return nnlab.adam_update(param, grad, state, **kw)\n"
                 "    except BaseException:\n        return param, state\n"),
}


@pytest.mark.parametrize("how", sorted(CHEATS))
def test_calling_nnlabs_own_implementation_scores_zero(tmp_path, how):
    report = _grade(tmp_path, "07_optimizers", CHEATS[how])
    task = by_task(report)["adam_update"]
    assert task["score"] == 0
    assert "calls nnlab's own" in task["feedback"] and "adam_update" in task["feedback"]
    assert by_task(report)["rmsprop_update"]["status"] == "passed"


def test_a_demo_cell_comparing_with_nnlab_is_fine(tmp_path):
    code = ("p, s = nnlab.adam_update(np.ones(2), np.ones(2), {}, learning_rate=0.1)\n"
            "print(np.allclose(p, adam_update(np.ones(2), np.ones(2), {}, learning_rate=0.1)[0]))\n")
    report = _grade(tmp_path, "07_optimizers", code)
    assert report["score"] == report["max_score"]


def test_reading_the_answer_key_scores_zero(tmp_path):
    code = "from nnlab.grading.tasks import worked_example\nanswer_w5_new = worked_example.W5_NEW\n"
    report = _grade(tmp_path, "05_worked_example_2-2-2", code)
    assert report["score"] == 0
    assert "answer key" in report["tasks"][0]["feedback"]


def test_static_check_sees_aliases_but_not_unrelated_nnlab_use():
    ex = EXERCISES["07_optimizers"]
    cells = ["import nnlab\nfrom nnlab import adam_update as a",
             "def adam_update(p, g, s, **kw):\n    return a(p, g, s, **kw)",
             "def rmsprop_update(p, g, s, **kw):\n    return nnlab.relu(p), s"]
    assert static_reference_use(cells, ex) == {"adam_update": "nnlab.optimizers.adam_update"}


def test_grading_never_modifies_the_submission(tmp_path):
    code = "open('scratch.txt', 'w').write('x')\n"
    path = submission(tmp_path, "02_loss", append=[code])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    grade_notebook(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_bad_files_get_a_clear_error_and_the_batch_goes_on(tmp_path):
    good = submission(tmp_path, "10_dropout", name="alice_10_dropout.ipynb")
    submission(tmp_path, "10_dropout", name="homework.ipynb")
    submission(tmp_path, "10_dropout", name="homework2.ipynb", metadata=False)
    truncated = tmp_path / "bob_10_dropout.ipynb"
    truncated.write_bytes(good.read_bytes()[:500])
    not_json = tmp_path / "carol_10_dropout.ipynb"
    not_json.write_text("this is not a notebook")
    binary = tmp_path / "dave_10_dropout.ipynb"
    binary.write_bytes(bytes(range(256)))
    reports = {r["submission"]: r for r in grade_many([tmp_path], jobs=2)}
    assert reports["alice_10_dropout"]["score"] == reports["alice_10_dropout"]["max_score"]
    assert reports["homework"]["score"] == reports["homework"]["max_score"]  # metadata says which
    assert "cannot tell which exercise" in reports["homework2"]["error"]
    assert "truncated or not JSON" in reports["bob_10_dropout"]["error"]
    assert "truncated or not JSON" in reports["carol_10_dropout"]["error"]
    assert "not UTF-8" in reports["dave_10_dropout"]["error"]


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "nnlab", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_cli_csv_json_and_gradescope(tmp_path):
    a = submission(tmp_path, "02_loss", name="alice_02_loss.ipynb")
    b = submission(tmp_path, "02_loss", name="bob_02_loss.ipynb", student=True)
    bad = tmp_path / "eve_02_loss.ipynb"
    bad.write_text("{")
    out = _cli("grade", str(tmp_path), "--csv", str(tmp_path / "grades.csv"), "-j", "2", "--json")
    assert out.returncode == 1  # one file could not be graded
    data = json.loads(out.stdout)
    assert [r["submission"] for r in data] == ["alice_02_loss", "bob_02_loss", "eve_02_loss"]
    rows = list(csv.DictReader((tmp_path / "grades.csv").open()))
    assert [r["submission"] for r in rows] == ["alice_02_loss", "bob_02_loss", "eve_02_loss"]
    assert float(rows[0]["score"]) == 6 and float(rows[1]["score"]) == 0
    assert rows[0]["categorical_cross_entropy"] == "3.0" and rows[2]["error"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    single = _cli("grade", str(a), "--json")
    assert single.returncode == 0
    report = json.loads(single.stdout)
    assert set(report) >= {"exercise", "score", "max_score", "tasks"}
    assert report["tasks"][0]["status"] in ("passed", "partial", "failed", "not_attempted",
                                            "error", "timeout")

    results = tmp_path / "results" / "results.json"
    gs = _cli("grade", str(b), "--format", "gradescope", "--output", str(results))
    assert gs.returncode == 0, gs.stderr
    g = json.loads(results.read_text())
    assert g["score"] == 0 and len(g["tests"]) == 4
    assert set(g["tests"][0]) >= {"name", "score", "max_score", "output", "status"}
    assert g["tests"][0]["status"] == "failed" and "not_attempted" in g["tests"][0]["output"]


def test_an_interrupted_run_keeps_the_rows_already_graded(tmp_path):
    from nnlab.grading.report import write_csv

    files = [submission(tmp_path, "11_validation", name=f"s{i}_11_validation.ipynb") for i in range(4)]
    csv_path = tmp_path / "grades.csv"
    done = []

    def on_result(report):
        done.append(report)
        write_csv(csv_path, done)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_many(files, jobs=1, on_result=on_result)
    rows = list(csv.DictReader(csv_path.open()))
    assert len(rows) == 2 and all(float(r["score"]) == 5 for r in rows)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".ipynb") == ["grades.csv"]


def test_the_cli_reports_an_interruption(tmp_path):
    slow = "import time\ntime.sleep(30)\n"
    files = [submission(tmp_path, "11_validation", name=f"s{i}_11_validation.ipynb",
                        prepend=[slow] if i else []) for i in range(3)]
    proc = subprocess.Popen([sys.executable, "-m", "nnlab", "grade", *map(str, files), "--csv",
                             str(tmp_path / "g.csv"), "--timeout", "60"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import time
    deadline = time.monotonic() + 60
    while not (tmp_path / "g.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(2)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "kept" in err
    rows = list(csv.DictReader((tmp_path / "g.csv").open()))
    assert [r["submission"] for r in rows] == ["s0_11_validation"]
