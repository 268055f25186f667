"""The public names and positional signatures that notebooks and exercises rely on."""

import ast
import inspect
from pathlib import Path

import pytest

import nnlab

CONTRACT = {
    "dense_forward": ["inputs", "weights", "biases"],
    "dense_backward": ["dvalues", "inputs", "weights"],
    "relu": ["x"], "relu_backward": ["dvalues", "inputs"],
    "sigmoid": ["x"], "sigmoid_backward": ["dvalues", "outputs"],
    "tanh": ["x"], "tanh_backward": ["dvalues", "outputs"],
    "softmax": ["x"], "softmax_backward": ["dvalues", "outputs"],
    "categorical_cross_entropy": ["probs", "y_true"],
    "categorical_cross_entropy_backward": ["probs", "y_true"],
    "softmax_cross_entropy_backward": ["probs", "y_true"],
    "binary_cross_entropy": ["probs", "y_true"], "binary_cross_entropy_backward": ["probs", "y_true"],
    "mean_squared_error": ["y_pred", "y_true"], "mean_squared_error_backward": ["y_pred", "y_true"],
    "mean_absolute_error": ["y_pred", "y_true"], "mean_absolute_error_backward": ["y_pred", "y_true"],
    "accuracy": ["outputs", "y_true"],
    "l1_penalty": ["weights", "lam"], "l1_gradient": ["weights", "lam"],
    "l2_penalty": ["weights", "lam"], "l2_gradient": ["weights", "lam"],
    "dropout_forward": ["inputs", "rate", "rng"], "dropout_backward": ["dvalues", "mask"],
    "sgd_update": ["param", "grad", "state"], "adagrad_update": ["param", "grad", "state"],
    "rmsprop_update": ["param", "grad", "state"], "adam_update": ["param", "grad", "state"],
    "inverse_time_decay": ["learning_rate", "decay", "step"],
    "exponential_decay": ["learning_rate", "rate", "step"],
    "inverse_sqrt_decay": ["learning_rate", "k", "step"],
    "step_decay": ["learning_rate", "drop", "every", "step"],
    "numerical_gradient": ["f", "x", "epsilon"],
    "relative_error": ["a", "b"],
    "count_parameters": ["layer_sizes"],
    "k_fold_indices": ["n_samples", "k"],
    "train_val_test_split": ["X", "y"],
}
REQUIRED = inspect.Parameter.empty
KEYWORD_ONLY = {
    "sgd_update": {"learning_rate": REQUIRED, "momentum": 0.0},
    "adagrad_update": {"learning_rate": REQUIRED, "epsilon": 1e-7},
    "rmsprop_update": {"learning_rate": REQUIRED, "rho": 0.9, "epsilon": 1e-7},
    "adam_update": {"learning_rate": REQUIRED, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "k_fold_indices": {"shuffle": True, "rng": None, "stratify": None},
    "train_val_test_split": {"val_fraction": REQUIRED, "test_fraction": REQUIRED, "rng": REQUIRED,
                             "stratify": False},
}


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_positional_signature(name):
    params = inspect.signature(getattr(nnlab, name)).parameters.values()
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == CONTRACT[name]
    for key, default in KEYWORD_ONLY.get(name, {}).items():
        param = inspect.signature(getattr(nnlab, name)).parameters[key]
        assert param.kind is param.KEYWORD_ONLY
        assert param.default is default or param.default == default


def test_numerical_gradient_default_epsilon():
    assert inspect.signature(nnlab.numerical_gradient).parameters["epsilon"].default == 1e-5


FORBIDDEN = {"seed", "randn", "rand", "random", "randint", "normal", "uniform", "shuffle",
             "permutation", "choice", "set_state"}


def test_package_never_uses_the_global_random_generator_or_nnfs_init():
    package = Path(nnlab.__file__).parent
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
                inner = node.value
                is_global = (isinstance(inner, ast.Attribute) and inner.attr == "random"
                             and isinstance(inner.value, ast.Name) and inner.value.id == "np")
                assert not is_global, f"{path.name}:{node.lineno} uses np.random.{node.attr}"
            if isinstance(node, ast.Attribute) and node.attr == "init":
                assert not (isinstance(node.value, ast.Name) and node.value.id == "nnfs"), path.name
