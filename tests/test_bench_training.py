"""The training benchmark compares ways that compute the same thing, and says so."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_training.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_training", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_way_computes_the_same_losses_and_accuracies(bench):
    runs = {way: bench.train(way, bench.CHECK_EPOCHS) for way in bench.WAYS}
    assert set(runs) == {"NumPy, reused buffers", "NumPy, plain", "nnlab functions", "Model.fit"}
    reference = runs["Model.fit"]
    for losses, accs in runs.values():
        np.testing.assert_allclose(losses, reference[0], rtol=0, atol=bench.TOLERANCE)
        np.testing.assert_allclose(accs, reference[1], rtol=0, atol=bench.TOLERANCE)
    assert reference[0][-1] < reference[0][0]  # it trains
    assert bench.check_equivalence() <= bench.TOLERANCE


def test_the_benchmark_prints_times_ratios_and_targets(bench, capsys):
    assert bench.main(["--epochs", "20", "--rounds", "3"]) == 0
    out = capsys.readouterr().out
    assert "max |difference| 0.0e+00 (tolerance 1e-09): ok" in out
    assert "3 rounds x 20 epochs" in out and "load average" in out
    for way in bench.WAYS:
        assert way in out
    assert "targets: Model.fit <= 1.15x the baseline:" in out


def test_a_way_that_computes_something_else_fails_the_benchmark(bench, monkeypatch, capsys):
    def slightly_off(X, y, params, epochs):  # Adam with a learning rate 1e-6 too high
        monkeypatch.setattr(bench, "LR", 0.05 * (1 + 1e-6))
        try:
            return bench.run_plain(X, y, params, epochs)
        finally:
            monkeypatch.setattr(bench, "LR", 0.05)

    monkeypatch.setitem(bench.WAYS, "NumPy, plain", slightly_off)
    assert bench.main(["--epochs", "20", "--rounds", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "rounds" not in out  # nothing is timed
