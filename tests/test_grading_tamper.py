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
    assert all(t["status"] in ("passed", "manual") for n, t in tasks.items() if n != "softmax")


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "os._exit(0)"])
def test_exiting_at_top_level(tmp_path, exit_call):
    report = _grade(tmp_path, "01_forward_pass", f"import os, sys\n{exit_call}\n", prepend=True)
    statuses = {t["status"] for t in report["tasks"]}
    if exit_call.startswith("sys"):
        # SystemExit in a cell is caught like any error: the rest of the notebook runs.
        assert statuses == {"passed", "manual"}
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
    report = _grade(tmp_path, "01_forward_pass", code, timeout=3.0)  # the imports fit in 3 s
    tasks = by_task(report)
    assert tasks["softmax"]["status"] == "timeout" and tasks["softmax"]["score"] == 0
    assert all(t["status"] in ("passed", "manual") for n, t in tasks.items() if n != "softmax")


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
    marker = f"nnlab-test-orphan-{os.getpid()}-{tmp_path.name}"
    code = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-S", "-c", "import time; time.sleep(60)", {marker!r}])
"""
    try:
        report = _grade(tmp_path, "02_loss", code)
        assert report["score"] == report["max_score"]
        assert _wait_until_gone(marker), "the student's subprocess is still running"
    finally:
        _kill_marked(marker)


def _marked_pids(marker: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def _wait_until_gone(marker: str, seconds: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = [p for p in _marked_pids(marker) if _state(p) not in ("Z", "X")]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"


def _kill_marked(marker: str) -> None:
    import signal

    for pid in _marked_pids(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


CHEATS = {
    "direct": ("def sgd_update(param, grad, state, **kw):\n"
               "    return nnlab.sgd_update(param, grad, state, **kw)\n"),
    "alias": ("from nnlab import sgd_update as helper\n"
              "def sgd_update(param, grad, state, **kw):\n    return helper(param, grad, state, **kw)\n"),
    "getattr": ("def sgd_update(param, grad, state, **kw):\n"
                "    return getattr(nnlab, 'sgd_' + 'update')(param, grad, state, **kw)\n"),
    "class": ("def sgd_update(param, grad, state, **kw):\n"
              "    opt = state.get('opt') or nnlab.SGD(kw['learning_rate'],\n"
              "                                        momentum=kw.get('momentum', 0.0))\n"
              "    new = param.copy()\n    opt.step([new], [grad])\n    return new, {'opt': opt}\n"),
    "fallback": ("def sgd_update(param, grad, state, **kw):\n    try:\n"
                 "        return nnlab.sgd_update(param, grad, state, **kw)\n"
                 "    except BaseException:\n        return param, state\n"),
}


@pytest.mark.parametrize("how", sorted(CHEATS))
def test_calling_nnlabs_own_implementation_scores_zero(tmp_path, how):
    report = _grade(tmp_path, "07_optimizers", CHEATS[how])
    task = by_task(report)["sgd_update"]
    assert task["score"] == 0
    assert "calls nnlab's own" in task["feedback"] and "sgd_update" in task["feedback"]
    assert by_task(report)["ewa_update"]["status"] == "passed"


def test_a_demo_cell_comparing_with_nnlab_is_fine(tmp_path):
    code = ("p, s = nnlab.sgd_update(np.ones(2), np.ones(2), {}, learning_rate=0.1, momentum=0.9)\n"
            "print(np.allclose(p, sgd_update(np.ones(2), np.ones(2), {}, learning_rate=0.1, "
            "momentum=0.9)[0]))\n")
    report = _grade(tmp_path, "07_optimizers", code)
    assert report["score"] == report["max_score"]


def test_reading_the_answer_key_scores_zero(tmp_path):
    code = "from nnlab.grading.tasks import worked_example\nanswer_w5_new = worked_example.W5_NEW\n"
    report = _grade(tmp_path, "05_worked_example_2-2-2", code)
    assert report["score"] == 0
    assert "answer key" in report["tasks"][0]["feedback"]


def test_static_check_sees_aliases_but_not_unrelated_nnlab_use():
    ex = EXERCISES["07_optimizers"]
    cells = ["import nnlab\nfrom nnlab import sgd_update as a",
             "def sgd_update(p, g, s, **kw):\n    return a(p, g, s, **kw)",
             "def ewa_update(value, state, *, beta):\n    return nnlab.relu(value), state"]
    assert static_reference_use(cells, ex) == {"sgd_update": "nnlab.optimizers.sgd_update"}


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
    loss = EXERCISES["02_loss"]
    assert float(rows[0]["score"]) == loss.max_score and float(rows[1]["score"]) == 0
    points = loss.task("categorical_cross_entropy").points
    assert float(rows[0]["categorical_cross_entropy"]) == points and rows[2]["error"]
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
    assert g["score"] == 0 and len(g["tests"]) == len(loss.tasks)  # the written answer too
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
    assert len(rows) == 2 and all(float(r["score"]) == EXERCISES["11_validation"].max_score for r in rows)
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


# ---- the sandbox and the channel: every vector of a hostile submission ----

@pytest.fixture
def sandboxed():
    """These tests need bubblewrap: skipped with the reason locally, a failure under CI=true."""
    from nnlab.grading.sandbox import sandbox_status

    why = sandbox_status()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the grading sandbox must work in CI: {why}")
        pytest.skip(why)


def _stub_with(tmp_path, exercise, code, **kwargs):
    """The fresh student notebook (all stubs, 0 points) plus one hostile cell."""
    return submission(tmp_path, exercise, student=True, append=[code], **kwargs)


FORGE = r'''
import gc, json, os, struct, sys
# 1. look for the job, the seed, the tasks or the references anywhere in this process
found = [o for o in gc.get_objects() if isinstance(o, dict) and ("seed" in o or "tasks" in o)]
try:
    import nnlab.grading.tasks as tasks  # the answer key: not importable in the sandbox
    found.append(tasks)
except ImportError:
    pass
# 2. forge answers: "result" frames for every question id, on every descriptor
def frame(message):
    head = json.dumps({**message, "arrays": []}).encode()
    payload = struct.pack(">I", len(head)) + head
    return struct.pack(">Q", len(payload)) + payload
for fd in range(3, 64):
    for ident in range(40):
        try:
            os.write(fd, frame({"event": "result", "id": ident, "value": 1.0}))
        except OSError:
            break
os._exit(0)
'''


def test_a_forged_progress_cell_gains_nothing(sandboxed, tmp_path):
    for name in ("01_forward_pass", "07_optimizers", "12_k_fold"):
        report = grade_notebook(_stub_with(tmp_path, name, FORGE, name=f"eve_{name}.ipynb"),
                                seed=12345)
        assert report["score"] == 0, report


def test_the_sandbox_hides_solutions_references_submissions_and_the_grader(sandboxed, tmp_path):
    peer = submission(tmp_path, "02_loss", name="bob_02_loss.ipynb")
    code = f'''
import glob, os, pathlib, nnlab
root = pathlib.Path(nnlab.__file__).resolve().parents[1]
seen = {{
    "solutions": glob.glob(str(root / "exercises" / "**" / "*.ipynb"), recursive=True)
    + glob.glob(str(root / "exercises" / "reference" / "*.py")),
    "peer": os.path.exists({str(peer)!r}),
    "grader": os.path.exists(str(pathlib.Path(nnlab.__file__).parent / "grading" / "core.py")),
    "tasks": os.path.exists(str(pathlib.Path(nnlab.__file__).parent / "grading" / "tasks")),
    "processes": [p for p in os.listdir("/proc") if p.isdigit()],
    "uid": os.getuid(),
}}
for path in seen["solutions"]:
    exec(compile(open(path).read(), path, "exec"))  # would define the solutions
def categorical_cross_entropy(probs, y_true):
    assert not seen["solutions"] and not seen["peer"] and not seen["grader"] and not seen["tasks"]
    assert len(seen["processes"]) <= 3 and seen["uid"] == 65534, seen
    y = np.argmax(y_true, axis=1) if np.ndim(y_true) == 2 else y_true
    p = np.clip(probs[np.arange(len(probs)), y], 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log(p)))
'''
    report = grade_notebook(_stub_with(tmp_path, "02_loss", code, name="eve_02_loss.ipynb"))
    assert by_task(report)["categorical_cross_entropy"]["status"] == "passed", report
    assert report["score"] == by_task(report)["categorical_cross_entropy"]["max_score"]


def test_peers_cannot_be_read_overwritten_or_killed(sandboxed, tmp_path):
    peers = [submission(tmp_path, "11_validation", name=f"peer{i}_11_validation.ipynb") for i in range(3)]
    before = [p.read_bytes() for p in peers]
    code = f'''
import os, signal
for path in {[str(p) for p in peers]!r}:
    try:
        open(path, "w").write("{{}}")
    except OSError:
        pass
for pid in range(2, 4_000_000):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if pid > 5000:
        break
'''
    eve = _stub_with(tmp_path, "11_validation", code, name="eve_11_validation.ipynb")
    reports = {r["submission"]: r for r in grade_many([*peers, eve], jobs=2)}
    for i, peer in enumerate(peers):
        assert peer.read_bytes() == before[i]
        row = reports[f"peer{i}_11_validation"]
        assert row["score"] == row["max_score"], row
    assert reports["eve_11_validation"]["score"] == 0


def test_a_daemon_does_not_outlive_its_submission(sandboxed, tmp_path):
    marker = f"nnlab-test-daemon-{os.getpid()}"
    csv_path = tmp_path / "grades.csv"
    code = f'''
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-S", "-c",
                 "import time\\nfor _ in range(300):\\n    time.sleep(0.1)\\n    "
                 "open({str(csv_path)!r}, 'w').write('forged')", {marker!r}])
    os._exit(0)
time.sleep(0.5)
'''
    try:
        path = _stub_with(tmp_path, "02_loss", code)
        out = _cli("grade", str(path), "--csv", str(csv_path))
        assert out.returncode == 0, out.stderr
        assert _wait_until_gone(marker)
        assert "forged" not in csv_path.read_text()
    finally:
        _kill_marked(marker)


def test_the_graders_output_and_package_cannot_be_written(sandboxed, tmp_path):
    from nnlab.grading import core

    core_file = os.path.realpath(core.__file__)
    before = hashlib.sha256(open(core_file, "rb").read()).hexdigest()
    code = f'''
import os
for pid in os.listdir("/proc"):
    try:
        with open(f"/proc/{{pid}}/fd/1", "w") as out:
            out.write("mallory_02_loss (02_loss): 6 / 6\\n")
    except OSError:
        pass
import nnlab.grading
for target in ({core_file!r}, os.path.join(os.path.dirname(nnlab.__file__), "grading", "core.py")):
    try:
        with open(target, "a") as fh:
            fh.write("\\nevaluate = lambda *a, **k: None\\n")
    except OSError:
        pass
'''
    path = _stub_with(tmp_path, "02_loss", code, name="eve_02_loss.ipynb")
    out = _cli("grade", str(path))
    total = f"{EXERCISES['02_loss'].max_score:g}"
    assert "mallory" not in out.stdout and f"eve_02_loss (02_loss): 0 / {total}" in out.stdout
    assert hashlib.sha256(open(core_file, "rb").read()).hexdigest() == before


def test_no_message_extends_the_deadline(sandboxed, tmp_path):
    import time

    code = r'''
import json, os, signal, struct, time
signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the sandbox's own cell alarm: ignored
def frame(message):
    head = json.dumps({**message, "arrays": []}).encode()
    payload = struct.pack(">I", len(head)) + head
    return struct.pack(">Q", len(payload)) + payload
for cell in range(10_000):
    for fd in range(3, 8):
        try:
            os.write(fd, frame({"event": "cell_start", "cell": 1}))
        except OSError:
            pass
    time.sleep(0.2)
'''
    start = time.monotonic()
    report = grade_notebook(_stub_with(tmp_path, "01_forward_pass", code), timeout=1.0)
    assert {t["status"] for t in report["tasks"]} == {"timeout"}
    assert time.monotonic() - start < 60  # bounded by the grader's clock, not by the messages


def test_oversized_and_malformed_messages_cost_the_grader_nothing(sandboxed, tmp_path):
    import resource

    code = r'''
import os, struct
def categorical_cross_entropy(probs, y_true):
    for fd in range(3, 8):
        try:
            os.write(fd, struct.pack(">Q", 2**40))  # "a terabyte follows"
        except OSError:
            pass
    return 0.0
def top_k_accuracy(outputs, y_true, k):
    return np.zeros(50_000_000)  # 400 MB of zeros
'''
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = grade_notebook(_stub_with(tmp_path, "02_loss", code))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    tasks = by_task(report)
    assert tasks["categorical_cross_entropy"]["score"] == 0 and tasks["top_k_accuracy"]["score"] == 0
    assert grown_mb < 150, f"the grader's memory grew by {grown_mb:.0f} MB"


def test_killing_the_sandbox_costs_only_that_submission(sandboxed, tmp_path):
    """The sandbox's init (PID 1 of its namespace) and the grader are out of reach; a process
    that kills itself is that submission's error row, and the batch goes on."""
    reach = "import os, signal\nfor pid in (1, os.getppid()):\n    os.kill(pid, signal.SIGKILL)\n"
    suicide = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
    good = submission(tmp_path, "10_dropout", name="alice_10_dropout.ipynb")
    eve = submission(tmp_path, "10_dropout", name="eve_10_dropout.ipynb", prepend=[reach])
    mallory = submission(tmp_path, "10_dropout", name="mallory_10_dropout.ipynb", prepend=[suicide])
    reports = {r["submission"]: r for r in grade_many([good, eve, mallory], jobs=2)}
    assert reports["alice_10_dropout"]["score"] == reports["alice_10_dropout"]["max_score"]
    assert reports["eve_10_dropout"]["score"] == reports["eve_10_dropout"]["max_score"]
    assert reports["mallory_10_dropout"]["score"] == 0
    assert all(t["status"] == "error" and "SIGKILL" in t["feedback"]
               for t in reports["mallory_10_dropout"]["tasks"])


def test_every_path_gets_exactly_one_row(tmp_path):
    bob = submission(tmp_path, "02_loss", name="bob_02_loss.ipynb")
    (tmp_path / "alice_02_loss.ipynb").symlink_to(bob)
    (tmp_path / "folder_02_loss.ipynb").mkdir()
    os.mkfifo(tmp_path / "fifo_02_loss.ipynb")
    reports = {r["submission"]: r for r in grade_many([tmp_path], jobs=2)}
    assert sorted(reports) == ["alice_02_loss", "bob_02_loss", "fifo_02_loss", "folder_02_loss"]
    assert reports["bob_02_loss"]["score"] == reports["bob_02_loss"]["max_score"]
    assert "symbolic link" in reports["alice_02_loss"]["error"]
    assert "not a notebook file (a folder)" in reports["folder_02_loss"]["error"]
    assert "not a notebook file" in reports["fifo_02_loss"]["error"]


def test_control_characters_in_names_are_escaped(tmp_path):
    name = "eve\nbob_02_loss (02_loss): 6 of 6\x1b[2K_02_loss.ipynb"
    path = submission(tmp_path, "02_loss", name=name, student=True)
    out = _cli("grade", str(path), "--csv", str(tmp_path / "g.csv"))
    lines = out.stdout.splitlines()
    assert not any(line.startswith("bob_02_loss") for line in lines)
    assert "\\n" in lines[0] and "\x1b" not in out.stdout
    rows = list(csv.DictReader((tmp_path / "g.csv").open()))
    assert len(rows) == 1 and "\n" not in rows[0]["submission"]


def test_a_notebook_of_another_exercise_is_refused_when_the_exercise_is_pinned(tmp_path):
    other = submission(tmp_path, "02_loss", name="alice_01_forward_pass.ipynb")
    report = grade_notebook(other, exercise="01_forward_pass")
    assert report["score"] == 0 and report["max_score"] == EXERCISES["01_forward_pass"].max_score
    assert "this is exercise 02_loss, expected 01_forward_pass" in report["error"]
    out = _cli("grade", str(other), "--exercise", "01_forward_pass", "--json")
    assert json.loads(out.stdout)["score"] == 0 and out.returncode == 1


def test_nbformat_3_and_a_byte_order_mark_are_read(tmp_path):
    import nbformat

    nb = nbformat.read(submission(tmp_path, "02_loss"), as_version=4)
    v3 = tmp_path / "v3_02_loss.ipynb"
    nbformat.write(nbformat.v4.downgrade(nb), v3, version=3)
    bom = tmp_path / "bom_02_loss.ipynb"
    bom.write_bytes(b"\xef\xbb\xbf" + submission(tmp_path, "02_loss").read_bytes())
    for path in (v3, bom):
        report = grade_notebook(path)
        assert report["error"] is None and report["score"] == report["max_score"], report


def test_an_input_changed_in_place_in_the_sandbox_is_seen(tmp_path):
    code = ("def sgd_update(param, grad, state, *, learning_rate, momentum=0.0):\n"
            "    update = momentum * state.get('u', 0.0) - learning_rate * grad\n"
            "    param += update\n    return param, {'u': update}\n")
    report = _grade(tmp_path, "07_optimizers", code)
    task = by_task(report)["sgd_update"]
    assert task["score"] == 0 and "in place" in task["feedback"], task
    assert by_task(report)["ewa_update"]["status"] == "passed"
