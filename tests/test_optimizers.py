"""Each optimizer against steps worked out by hand from its formula (ε = 0 keeps them exact)."""

import numpy as np
import pytest

import nnlab


def run(update, grads, **hyper):
    param, state, params = np.array([1.0]), {}, []
    for g in grads:
        param, state = update(param, np.array([g]), state, **hyper)
        params.append(float(param[0]))
    return params


def test_sgd_plain_and_with_momentum():
    # plain: 1 − 0.1·0.5 = 0.95, then 0.95 − 0.1·0.2 = 0.93
    assert run(nnlab.sgd_update, [0.5, 0.2], learning_rate=0.1) == pytest.approx([0.95, 0.93])
    # momentum 0.9: u₁ = −0.05 → 0.95;  u₂ = 0.9·(−0.05) − 0.1·0.2 = −0.065 → 0.885;
    # u₃ = 0.9·(−0.065) − 0.1·(−1) = 0.0415 → 0.9265
    assert run(nnlab.sgd_update, [0.5, 0.2, -1.0], learning_rate=0.1, momentum=0.9) == pytest.approx(
        [0.95, 0.885, 0.9265])


def test_adagrad():
    # cache 4 → 1 − 0.5·2/2 = 0.5;  cache 5 → 0.5 − 0.5·1/√5 = 0.27639320
    assert run(nnlab.adagrad_update, [2.0, 1.0], learning_rate=0.5, epsilon=0.0) == pytest.approx(
        [0.5, 0.27639320225], rel=1e-10)


def test_rmsprop_subtracts_the_update():
    # cache 0.1·4 = 0.4 → 1 − 0.01·2/√0.4 = 0.96837722;  cache 0.36 + 0.1 = 0.46 → 0.95363303
    assert run(nnlab.rmsprop_update, [2.0, 1.0], learning_rate=0.01, rho=0.9, epsilon=0.0) == pytest.approx(
        [0.96837722340, 0.95363302778], rel=1e-10)


def test_adam_with_bias_correction_from_step_one():
    # t=1: m = 0.2, v = 0.004, m̂ = 2, v̂ = 4 → 1 − 0.1·2/2 = 0.9
    # t=2: m = 0.28, v = 0.004996, m̂ = 0.28/0.19, v̂ = 0.004996/0.001999 → 0.80678204
    assert run(nnlab.adam_update, [2.0, 1.0], learning_rate=0.1, epsilon=0.0) == pytest.approx(
        [0.9, 0.80678203612], rel=1e-10)


def test_adam_epsilon_sits_outside_the_square_root():
    # t=1 with g = 1e-4: m̂ = 1e-4, √v̂ = 1e-4, so the step is lr · 1e-4 / (1e-4 + 1e-7)
    new, _ = nnlab.adam_update(np.array([0.0]), np.array([1e-4]), {}, learning_rate=1.0, epsilon=1e-7)
    assert new[0] == pytest.approx(-1e-4 / (1e-4 + 1e-7), rel=1e-12)


@pytest.mark.parametrize("update", [nnlab.sgd_update, nnlab.adagrad_update, nnlab.rmsprop_update,
                                    nnlab.adam_update])
def test_updates_never_mutate_their_arguments(update, rng):
    param, grad = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    kwargs = {"momentum": 0.9} if update is nnlab.sgd_update else {}
    _, state = update(param, grad, {}, learning_rate=0.1, **kwargs)
    param_copy, grad_copy = param.copy(), grad.copy()
    state_copy = {k: np.copy(v) for k, v in state.items()}
    new, new_state = update(param, grad, state, learning_rate=0.1, **kwargs)
    np.testing.assert_array_equal(param, param_copy)
    np.testing.assert_array_equal(grad, grad_copy)
    for key, value in state_copy.items():
        np.testing.assert_array_equal(state[key], value)
    assert new_state is not state and new is not param


def test_inverse_time_decay_table():
    # α₀ = 0.2, decay = 1: epochs 1..4 give 0.1, 0.0667, 0.05, 0.04 (not 0.67)
    rates = [nnlab.inverse_time_decay(0.2, 1.0, t) for t in range(1, 5)]
    assert rates == pytest.approx([0.1, 0.2 / 3, 0.05, 0.04])


def test_other_schedules():
    assert nnlab.exponential_decay(0.2, 0.95, 2) == pytest.approx(0.2 * 0.9025)
    assert nnlab.inverse_sqrt_decay(0.2, 1.0, 4) == pytest.approx(0.1)
    assert nnlab.inverse_sqrt_decay(0.2, 0.5, 0) == pytest.approx(0.1)
    steps = [nnlab.step_decay(0.2, 0.5, 10, t) for t in (0, 9, 10, 25)]
    assert steps == pytest.approx([0.2, 0.2, 0.1, 0.05])


def test_optimizer_classes_apply_decay_then_count_steps():
    opt = nnlab.SGD(learning_rate=1.0, decay=0.5)
    params = [np.array([1.0])]
    opt.step(params, [np.array([1.0])])  # lr 1 → 0, in place
    opt.step(params, [np.array([1.0])])  # lr 1/1.5 → −2/3
    assert params[0][0] == pytest.approx(-2 / 3)
    assert opt.iterations == 2
    assert opt.current_learning_rate == pytest.approx(0.5)


@pytest.mark.parametrize("cls, update, hyper", [
    (nnlab.SGD, nnlab.sgd_update, {}),
    (nnlab.SGD, nnlab.sgd_update, {"momentum": 0.9}),
    (nnlab.Adagrad, nnlab.adagrad_update, {}),
    (nnlab.RMSprop, nnlab.rmsprop_update, {"rho": 0.99}),
    (nnlab.Adam, nnlab.adam_update, {"beta_1": 0.8}),
])
def test_classes_are_bitwise_equal_to_their_update_functions(cls, update, hyper, rng):
    """Five steps with decay on two arrays: the in-place class and the pure function agree exactly."""
    opt = cls(learning_rate=0.05, decay=0.1, **hyper)
    params = [rng.standard_normal((3, 2)), np.zeros((1, 2))]
    refs, states = [p.copy() for p in params], [{}, {}]
    for step in range(5):
        grads = [rng.standard_normal((3, 2)), rng.standard_normal((1, 2))]
        lr = nnlab.inverse_time_decay(0.05, 0.1, step)
        assert opt.current_learning_rate == lr
        assert opt.step(params, grads) is None
        for i, grad in enumerate(grads):
            refs[i], states[i] = update(refs[i], grad, states[i], learning_rate=lr, **opt.hyper)
        for param, ref in zip(params, refs, strict=True):
            np.testing.assert_array_equal(param, ref)
    assert opt.iterations == 5


def test_states_are_made_at_the_first_step_aligned_with_the_parameters():
    opt = nnlab.Adam(0.1)
    params = [np.ones((2, 3)), np.ones((1, 3))]
    assert opt.states is None
    opt.step(params, [np.ones((2, 3)), np.ones((1, 3))])
    states = opt.states
    assert [s["m"].shape for s in states] == [(2, 3), (1, 3)]
    opt.step(params, [np.ones((2, 3)), np.ones((1, 3))])
    assert opt.states is states  # made once, then updated


def test_each_class_shows_its_own_update_rule():
    for cls in (nnlab.SGD, nnlab.Adagrad, nnlab.RMSprop, nnlab.Adam):
        assert "update" in vars(cls) and "new_state" in vars(cls)
        # one loop over the parameters, in the base class (the grader traps Optimizer.step)
        assert "step" not in vars(cls)


def test_hyper_lists_each_rule_s_settings_in_signature_order():
    assert nnlab.SGD().hyper == {"momentum": 0.0}
    assert list(nnlab.RMSprop().hyper) == ["epsilon", "rho"]
    assert list(nnlab.Adam().hyper) == ["epsilon", "beta_1", "beta_2"]
    assert repr(nnlab.Adagrad(0.5)) == "Adagrad(learning_rate=0.5, decay=0.0, epsilon=1e-07)"


def test_book_defaults():
    assert nnlab.Adam().learning_rate == 0.001 and nnlab.Adam().hyper["beta_2"] == 0.999
    assert nnlab.RMSprop().learning_rate == 0.001 and nnlab.RMSprop().hyper["rho"] == 0.9


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan")])
def test_non_positive_learning_rate_is_rejected(lr):
    with pytest.raises(ValueError, match="learning_rate must be a positive number; got"):
        nnlab.sgd_update(np.ones(2), np.ones(2), {}, learning_rate=lr)
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        nnlab.Adam(learning_rate=lr)


def test_settings_are_checked_when_the_optimizer_is_made():
    with pytest.raises(ValueError, match="decay must be >= 0; got -1"):
        nnlab.RMSprop(decay=-1)
    with pytest.raises(ValueError, match="momentum must be >= 0; got -0.5"):
        nnlab.SGD(momentum=-0.5)


def test_gradient_shape_must_match_parameter():
    with pytest.raises(ValueError, match=r"grad must have the shape of param \(2, 3\); got \(3, 2\)"):
        nnlab.adam_update(np.ones((2, 3)), np.ones((3, 2)), {}, learning_rate=0.1)
