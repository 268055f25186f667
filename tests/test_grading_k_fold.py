"""Exercise 12: the student's class counts keep every catalogued mistake apart from the answer;
group k-fold is graded on its properties; cross-validating one's own network passes for other
honest networks and fails for a linear model, for one network trained on all folds and for
nnlab's Model; check()'s answer-free properties accept the references and catch the classics."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import by_task, submission
from test_grading_catalogue import grade

from nnlab.grading import grade_notebook
from nnlab.grading.core import CaseResult, compare_arrays, for_numbers, run_quietly, task_rng
from nnlab.grading.grader import personal
from nnlab.grading.references import graded_exercises
from nnlab.grading.selfcheck import format_held_out
from nnlab.grading.tasks import find_task
from nnlab.variants import DEFAULT_SALT, numbers_for

NAME = "12_k_fold"
EXERCISE = graded_exercises()[NAME]  # with the held-out references, before any numbers
IDS = [f"s{i:07d}" for i in range(300)] + ["", "instructor"]


def _graded(name, impl, student="s0000001"):
    exercise = personal(EXERCISE, student, DEFAULT_SALT)
    return grade(exercise, exercise.task(name), impl)


# ---- answer_fold_counts: the student's own numbers ----

def test_the_numbers_are_per_student_and_make_the_dealing_matter():
    assert numbers_for(NAME, "s1")["k"] == numbers_for(NAME, "s1")["k"]
    seen = set()
    for student in IDS:
        n = numbers_for(NAME, student)
        counts, k = n["class_counts"], n["k"]
        assert counts.shape == (3,) and 4 <= k <= 6 and counts.sum() >= 2 * k
        assert counts[0] % k and counts[2] % k and (counts[0] + counts[1]) % k
        seen.add((*counts.tolist(), k))
    assert len(seen) > 250


def test_every_counts_mistake_and_guess_is_wrong_for_every_student():
    for student in IDS:
        task = personal(EXERCISE, student, DEFAULT_SALT).task("answer_fold_counts")
        expected = np.asarray(task.reference, dtype=np.float64)
        assert np.array_equal(expected.sum(axis=0), numbers_for(NAME, student)["class_counts"])
        wrong = [np.asarray(m.impl, dtype=np.float64) for m in task.mistakes]
        wrong += [np.full_like(expected, guess) for guess in (0.0, 1.0, -1.0, 0.5)]
        for value in wrong:
            assert compare_arrays(value, expected) is not None, (student, value)


def test_the_restarted_dealing_is_named():
    student = "s0000001"
    restart = personal(EXERCISE, student, DEFAULT_SALT).task("answer_fold_counts").mistakes[0]
    result = _graded("answer_fold_counts", restart.impl, student)
    assert result["score"] == 0 and "carries on" not in result["feedback"]
    assert "a class starts at the fold after" in result["feedback"], result


def _check_line(task, impl, numbers=None):
    """What check() prints for ``impl`` (held-out tasks: the answer-free checks only)."""
    _, public = find_task(task)
    public = for_numbers(public, numbers or numbers_for(NAME, "s1"))
    cases = public.cases(task_rng(0, NAME, task))
    results = [CaseResult(outputs=run_quietly(c.run, impl)) for c in cases]
    return format_held_out(public, cases, results)


def test_check_on_the_counts_sees_columns_and_rows_without_the_answer():
    numbers = numbers_for(NAME, "s1")
    right = personal(EXERCISE, "s1", DEFAULT_SALT).task("answer_fold_counts").reference
    assert _check_line("answer_fold_counts", right, numbers).startswith("✔")
    floor = np.tile(numbers["class_counts"] // numbers["k"], (numbers["k"], 1))
    assert "must add up to class" in _check_line("answer_fold_counts", floor, numbers)
    counts, k = numbers["class_counts"], numbers["k"]
    restarted = np.stack([np.bincount(np.arange(c) % k, minlength=k) for c in counts], axis=1)
    assert "differ by more than one" in _check_line("answer_fold_counts", restarted, numbers)


# ---- group_k_fold_indices ----

@pytest.mark.parametrize("name", ["group_k_fold_indices", "cross_val_scores",
                                  "cross_validate_model"])
def test_check_accepts_the_reference(name):
    assert _check_line(name, EXERCISE.task(name).reference).startswith(f"✔ {name}")


def test_group_folds_in_any_order_pass():
    reference = EXERCISE.task("group_k_fold_indices").reference

    def reversed_folds(groups, k):
        return reference(groups, k)[::-1]

    assert _graded("group_k_fold_indices", reversed_folds)["status"] == "passed"


def test_splitting_a_group_fails_in_check_and_in_grading():
    def by_sample(groups, k):  # balanced folds of samples, whatever their group
        parts = np.array_split(np.arange(len(groups)), k)
        return [(np.setdiff1d(np.arange(len(groups)), p), p) for p in parts]

    assert "is split over folds" in _check_line("group_k_fold_indices", by_sample)
    result = _graded("group_k_fold_indices", by_sample)
    assert result["score"] == 0 and "assign whole groups" in result["feedback"], result


def test_groups_placed_in_id_order_are_too_uneven():
    def online(groups, k):  # the fewest-samples rule, but in the order of the ids
        ids, sizes = np.unique(groups, return_counts=True)
        load, fold_of = np.zeros(k, dtype=int), {}
        for g, size in zip(ids, sizes, strict=True):
            fold_of[g] = int(np.argmin(load))
            load[fold_of[g]] += size
        f = np.array([fold_of[g] for g in groups])
        return [(np.flatnonzero(f != i), np.flatnonzero(f == i)) for i in range(k)]

    result = _graded("group_k_fold_indices", online)
    assert result["score"] == 0 and "largest first, each into" in result["feedback"], result


# ---- cross_validate_model ----

def _mlp_scores(X, y, folds, epochs, rng, *, hidden, learning_rate, batch_size=None,
                adam=False, linear=False):
    """An independent honest implementation (optionally Adam, mini-batches or no hidden layer)."""
    scores = []
    for train, val in folds:
        Xt, yt = X[train], y[train]
        sizes = [2, 3] if linear else [2, hidden, 3]
        params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            params += [rng.normal(scale=np.sqrt(2 / n_in), size=(n_in, n_out)), np.zeros((1, n_out))]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        step = 0
        for _ in range(epochs):
            order = rng.permutation(len(Xt))
            for start in range(0, len(Xt), batch_size or len(Xt)):
                idx = order[start:start + (batch_size or len(Xt))]
                acts = [Xt[idx]]
                for i in range(0, len(params), 2):
                    z = acts[-1] @ params[i] + params[i + 1]
                    acts.append(z if i == len(params) - 2 else np.maximum(z, 0))
                p = np.exp(acts[-1] - acts[-1].max(axis=1, keepdims=True))
                d = p / p.sum(axis=1, keepdims=True)
                d[np.arange(len(idx)), yt[idx]] -= 1
                d /= len(idx)
                grads = [None] * len(params)
                for i in range(len(params) - 2, -1, -2):
                    grads[i], grads[i + 1] = acts[i // 2].T @ d, d.sum(axis=0, keepdims=True)
                    d = (d @ params[i].T) * (acts[i // 2] > 0)
                step += 1
                for j, g in enumerate(grads):
                    if adam:
                        m[j] = 0.9 * m[j] + 0.1 * g
                        v[j] = 0.999 * v[j] + 0.001 * g * g
                        g = (m[j] / (1 - 0.9**step)) / (np.sqrt(v[j] / (1 - 0.999**step)) + 1e-7)
                    params[j] -= learning_rate * g
        out = X[val]
        for i in range(0, len(params), 2):
            out = out @ params[i] + params[i + 1]
            out = out if i == len(params) - 2 else np.maximum(out, 0)
        scores.append(np.mean(np.argmax(out, axis=1) == y[val]))
    return np.array(scores)


@pytest.mark.parametrize("settings", [dict(hidden=32, learning_rate=0.02, adam=True),
                                      dict(hidden=8, learning_rate=0.01, adam=True, batch_size=32),
                                      dict(hidden=64, learning_rate=0.1, batch_size=32)],
                         ids=["adam-32", "adam-8-minibatch", "sgd-64-minibatch"])
def test_other_honest_networks_pass(settings):
    def cross_validate_model(X, y, folds, *, epochs, rng):
        return _mlp_scores(X, y, folds, epochs, rng, **settings)

    assert _graded("cross_validate_model", cross_validate_model)["status"] == "passed"


def test_a_linear_model_scores_zero():
    def cross_validate_model(X, y, folds, *, epochs, rng):
        return _mlp_scores(X, y, folds, epochs, rng, hidden=0, learning_rate=0.05, adam=True,
                           linear=True)

    result = _graded("cross_validate_model", cross_validate_model)
    assert result["score"] == 0 and "a hidden layer" in result["feedback"], result


def test_one_network_for_all_folds_is_caught_by_the_special_folds():
    def cross_validate_model(X, y, folds, *, epochs, rng):  # trained once, on everything
        every = np.arange(len(X))
        trained = [(every, val) for _, val in folds]
        return _mlp_scores(X, y, trained, epochs, rng, hidden=32, learning_rate=0.02, adam=True)

    result = _graded("cross_validate_model", cross_validate_model)
    assert result["score"] == 0 and "1 of 3 checks passed" in result["feedback"], result
    assert "validation folds included" in result["feedback"], result


NNLAB_MODEL = '''
def cross_validate_model(X, y, folds, *, epochs, rng):
    scores = []
    for train, val in folds:
        model = nnlab.Model.mlp([2, 16, 3], rng=rng, optimizer=nnlab.Adam(0.02))
        model.fit(X[train], y[train], epochs=epochs)
        scores.append(np.mean(model.predict(X[val]).argmax(axis=1) == y[val]))
    return np.array(scores)
'''


def test_nnlab_model_scores_zero(tmp_path):
    report = grade_notebook(submission(tmp_path, NAME, append=[NNLAB_MODEL]))
    task = by_task(report)["cross_validate_model"]
    assert task["score"] == 0 and "nnlab" in task["feedback"], task
    assert by_task(report)["group_k_fold_indices"]["status"] == "passed"


def test_a_transposed_table_is_told_so():
    student = "s0000001"
    right = personal(EXERCISE, student, DEFAULT_SALT).task("answer_fold_counts").reference
    result = _graded("answer_fold_counts", np.asarray(right).T, student)
    assert result["score"] == 0 and "transposed" in result["feedback"], result
    assert "transposed" in _check_line("answer_fold_counts", np.asarray(right).T,
                                       numbers_for(NAME, student))
