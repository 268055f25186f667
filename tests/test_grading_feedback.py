"""Hand-written wrong submissions: each scores 0 on its task, and its feedback names the real
mistake, not a misleading one (issue "Exercises that measure understanding").

Each wrong variant is a small function graded through the grader's own scoring path (the
in-process harness of test_grading_catalogue.py); the last tests run a notebook through the
sandbox, where the child reports a change of NumPy's global generator.
"""

# ruff: noqa: NPY002  (the wrong variants draw from NumPy's global generator on purpose)

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import by_task, submission
from test_grading_catalogue import EXERCISES, grade

from nnlab.grading import grade_notebook
from nnlab.grading.sandbox import StudentError, check_global_rng
from nnlab.grading.tasks import find_task


def graded(task_name, impl) -> dict:
    """The grader's verdict on ``impl`` for a task (held-out tasks with their references)."""
    exercise = next(ex for ex in EXERCISES.values() if task_name in {t.name for t in ex.tasks})
    return grade(exercise, exercise.task(task_name), impl)


def assert_zero(result, *words, absent=()):
    assert result["score"] == 0, result
    for word in words:
        assert word in result["feedback"], (word, result["feedback"])
    for word in absent:
        assert word not in result["feedback"], (word, result["feedback"])


# ---- 1. randomness must come from the rng passed in ----

def _folds_from(order, n_samples, k):
    sizes = np.full(k, n_samples // k)
    sizes[: n_samples % k] += 1
    folds, start = [], 0
    for size in sizes:
        val = np.sort(order[start:start + size])
        folds.append((np.setdiff1d(np.arange(n_samples), val), val))
        start += size
    return folds


def test_dropout_with_one_fixed_mask_scores_zero():
    def dropout_forward(inputs, rate, rng):
        mask = (np.random.default_rng(0).random(inputs.shape) < 1 - rate) / (1 - rate)
        return inputs * mask, mask

    assert_zero(graded("dropout_forward", dropout_forward), "the same on every call",
                "rng passed in")


def test_dropout_with_a_mask_made_once_scores_zero():
    made = {}

    def dropout_forward(inputs, rate, rng):
        if (inputs.shape, rate) not in made:  # drawn from rng, but only the first time
            made[inputs.shape, rate] = (rng.random(inputs.shape) < 1 - rate) / (1 - rate)
        mask = made[inputs.shape, rate]
        return inputs * mask, mask

    assert_zero(graded("dropout_forward", dropout_forward), "two calls with the same generator")


def test_dropout_seeding_the_global_generator_scores_zero():
    def dropout_forward(inputs, rate, rng):
        np.random.seed(42)
        mask = (np.random.random(inputs.shape) < 1 - rate) / (1 - rate)
        return inputs * mask, mask

    state = np.random.get_state()
    assert_zero(graded("dropout_forward", dropout_forward), "global random generator",
                "rng passed in")
    assert np.array_equal(np.random.get_state()[1], state[1])  # the harness put it back


def test_dropout_that_reseeds_the_global_generator_but_draws_from_rng_scores_zero():
    def dropout_forward(inputs, rate, rng):
        np.random.seed(0)  # the right masks, but every other user of np.random is reset
        mask = (rng.random(inputs.shape) < 1 - rate) / (1 - rate)
        return inputs * mask, mask

    assert_zero(graded("dropout_forward", dropout_forward), "leave the global generator alone")


def test_dropout_from_a_generator_of_its_own_scores_zero():
    def dropout_forward(inputs, rate, rng):
        mask = (np.random.default_rng().random(inputs.shape) < 1 - rate) / (1 - rate)
        return inputs * mask, mask

    assert_zero(graded("dropout_forward", dropout_forward), "does not come from the rng")


def test_k_fold_seeding_the_global_generator_scores_zero():
    def k_fold_indices(n_samples, k, rng=None):
        if rng is not None:
            np.random.seed(0)
            order = np.random.permutation(n_samples)
        else:
            order = np.arange(n_samples)
        return _folds_from(order, n_samples, k)

    assert_zero(graded("k_fold_indices", k_fold_indices), "global random generator",
                absent=("overlap",))


def test_k_fold_with_its_own_fixed_seed_scores_zero():
    def k_fold_indices(n_samples, k, rng=None):
        if rng is not None:
            rng = np.random.default_rng(42)  # the rng given is replaced
            return _folds_from(rng.permutation(n_samples), n_samples, k)
        return _folds_from(np.arange(n_samples), n_samples, k)

    assert_zero(graded("k_fold_indices", k_fold_indices), "different seeds gave the same folds")


def test_k_fold_from_a_generator_of_its_own_scores_zero():
    def k_fold_indices(n_samples, k, rng=None):
        order = np.random.default_rng().permutation(n_samples) if rng is not None \
            else np.arange(n_samples)
        return _folds_from(order, n_samples, k)

    assert_zero(graded("k_fold_indices", k_fold_indices), "the same seed gave different folds")


def test_early_stopping_with_ties_counted_as_a_new_minimum_scores_zero():
    def early_stopping(val_losses, patience):
        best, best_epoch = np.inf, 0
        for epoch, loss in enumerate(val_losses):
            if loss <= best:  # a tie is not a new minimum
                best, best_epoch = loss, epoch
            elif epoch - best_epoch >= patience:
                return best_epoch, epoch
        return best_epoch, len(val_losses) - 1

    assert_zero(graded("early_stopping", early_stopping), "not <=")


def test_the_global_generator_counts_only_when_a_generator_was_given():
    check_global_rng("softmax", (np.zeros(3),), {})  # no generator given: its own business
    with pytest.raises(StudentError) as info:
        check_global_rng("k_fold_indices", (10, 5), {"rng": np.random.default_rng(0)})
    assert info.value.kind == "global_rng"


# ---- 2. hints that named the wrong mistake ----

def _adamw(param, grad, state, learning_rate, weight_decay, beta_1, beta_2, epsilon, t,
           flip=1.0):
    m = beta_1 * state.get("m", 0.0) + (1 - beta_1) * grad
    v = beta_2 * state.get("v", 0.0) + (1 - beta_2) * grad**2
    m_hat = m / (1 - beta_1**t)
    v_hat = v / (flip * (1 - beta_2**t))
    new = param - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon) - learning_rate * weight_decay * param
    return new, {"m": m, "v": v, "t": t}


def test_nan_from_a_negative_square_root_is_reported_as_nan_not_as_the_step_count():
    def adamw_update(param, grad, state, *, learning_rate, weight_decay, beta_1=0.9, beta_2=0.999,
                     epsilon=1e-7):
        t = state.get("t", 0) + 1  # the step is right; v̂ = v / (β₂ᵗ − 1) is negative
        return _adamw(param, grad, state, learning_rate, weight_decay, beta_1, beta_2, epsilon, t,
                      flip=-1.0)

    assert_zero(graded("adamw_update", adamw_update), "contains nan",
                absent=("starts at 1", "t = 0"))


def test_adam_whose_step_never_grows_is_told_so():
    def adamw_update(param, grad, state, *, learning_rate, weight_decay, beta_1=0.9, beta_2=0.999,
                     epsilon=1e-7):
        t = state.get("t", 1)  # never incremented
        return _adamw(param, grad, state, learning_rate, weight_decay, beta_1, beta_2, epsilon, t)

    assert_zero(graded("adamw_update", adamw_update), "grow by one", "state",
                absent=("not β",))


def test_adam_starting_at_step_0_is_still_told_so():
    def adamw_update(param, grad, state, *, learning_rate, weight_decay, beta_1=0.9, beta_2=0.999,
                     epsilon=1e-7):
        t = state.get("t", -1) + 1
        return _adamw(param, grad, state, learning_rate, weight_decay, beta_1, beta_2, epsilon, t)

    assert_zero(graded("adamw_update", adamw_update), "nan", "starts at 1")


def test_swapped_fold_pairs_are_called_swapped_not_overlapping():
    def k_fold_indices(n_samples, k, rng=None):
        order = rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
        return [(val, train) for train, val in _folds_from(order, n_samples, k)]

    assert_zero(graded("k_fold_indices", k_fold_indices), "swapped", "(train_idx, val_idx)",
                absent=("overlap",))


def test_a_scalar_l2_gradient_is_told_the_gradient_is_per_weight():
    def l2_gradient(weights, lam):
        return 2 * lam * np.sum(weights)

    assert_zero(graded("l2_gradient", l2_gradient), "per weight", "same shape as the weights",
                absent=("keepdims",))


def test_ddof_1_is_named_even_with_the_constant_feature_guarded():
    def scale_splits(X_train, X_val, X_test):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
        std = np.where(std == 0, 1, std)
        return (X_train - mean) / std, (X_val - mean) / std, (X_test - mean) / std

    assert_zero(graded("scale_splits", scale_splits), "ddof=0")


def test_the_rate_0_case_does_not_vote_against_the_right_dropout_hint():
    def dropout_forward(inputs, rate, rng):
        mask = (rng.random(inputs.shape) < rate) / rate  # rate taken as the fraction kept
        return inputs * mask, mask

    assert_zero(graded("dropout_forward", dropout_forward), "fraction dropped")


def test_one_wrong_output_among_three_costs_only_its_share():
    def scale_splits(X_train, X_val, X_test):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        std = np.where(std == 0, 1, std)
        return (X_train - mean) / std, (X_val - mean) / std, X_test - mean  # X_test not divided

    result = graded("scale_splits", scale_splits)
    assert result["status"] == "partial" and result["score"] == round(2 * 2 / 3, 2), result
    assert "right on every input: X_train, X_val" in result["feedback"]

    def regularized_gradients(weights, biases, dweights, dbiases, weight_l1, weight_l2,
                              bias_l1, bias_l2):  # the biases' penalties are forgotten
        dweights = dweights + weight_l1 * np.where(weights < 0, -1.0, 1.0) + 2 * weight_l2 * weights
        return dweights, dbiases

    result = graded("regularized_gradients", regularized_gradients)
    assert result["status"] == "partial" and result["score"] == 1.5, result


# ---- the sandbox's side: the child reports a change of NumPy's global generator ----

SEEDED_DROPOUT = '''
def dropout_forward(inputs, rate, rng):
    np.random.seed(42)
    mask = (np.random.random(inputs.shape) < 1 - rate) / (1 - rate)
    return inputs * mask, mask
'''


def test_the_sandbox_reports_a_global_generator_change(tmp_path):
    report = grade_notebook(submission(tmp_path, "10_dropout", append=[SEEDED_DROPOUT]))
    tasks = by_task(report)
    assert tasks["dropout_forward"]["score"] == 0, tasks["dropout_forward"]
    assert "global random generator" in tasks["dropout_forward"]["feedback"]
    others = [t for name, t in tasks.items() if name != "dropout_forward"]
    assert all(t["status"] in ("passed", "manual") for t in others), others


def test_check_tells_nnlabs_function_from_the_learners_own_of_the_same_name():
    import nnlab
    from nnlab.grading.selfcheck import references_nnlab

    _, task = find_task("dense_backward")

    def dense_backward(dvalues, inputs, weights):
        return dvalues @ weights.T, inputs.T @ dvalues, dvalues.sum(axis=0, keepdims=True)

    def network(dvalues, inputs, weights):  # uses nnlab elsewhere and the learner's own function
        nnlab.softmax(dvalues)
        return dense_backward(dvalues, inputs, weights)

    def copied(dvalues, inputs, weights):
        return nnlab.dense_backward(dvalues, inputs, weights)

    assert references_nnlab(network, task) is None
    assert references_nnlab(copied, task) == "nnlab.layers.dense_backward"
