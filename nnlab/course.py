"""The course's table of contents, and which nnlab names each notebook introduces.

A notebook may use only the nnlab names introduced by itself or an earlier notebook (plus the
helpers in ``ALWAYS_ALLOWED``); ``tests/test_notebooks.py`` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import __version__

# Where the course lives: the one setting that launch links (Binder, Colab), the Colab cell's
# pinned install and the README are built from (tests check that they are).
REPOSITORY = "https://github.com/nnlab-course/nnlab"
BRANCH = "main"

# The course package's name on the package index (`nnlab` there is an unrelated 2017 project;
# the import name stays nnlab), and the release tag of this version: v<nnlab.__version__>.
DISTRIBUTION = "nnlab-course"
RELEASE = f"v{__version__}"
# In Google Colab the setup cell installs exactly this release from the repository (never a branch).
COLAB_INSTALL = f'%pip install --quiet "{DISTRIBUTION} @ git+{REPOSITORY}@{RELEASE}"'

# The same first code cell opens every notebook (tests/test_notebooks.py checks it). It does the
# same everywhere, and in Colab first installs the course package (tests/test_colab.py).
SETUP_CELL = f"""\
import os
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # one BLAS thread, set before NumPy loads: reproducible sums
try:  # in Google Colab: install the course package first
    import google.colab
    {COLAB_INSTALL}
except ImportError:  # elsewhere it is installed already
    pass
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import nnlab
nnlab.setup()  # print options and small figures
SEED = 0"""

# Helpers for displaying things, usable from the first notebook on.
ALWAYS_ALLOWED = frozenset({"setup", "show", "plot_data", "plot_final", "widgets", "TrainingDivergedError"})


@dataclass(frozen=True)
class Notebook:
    stem: str
    title: str
    summary: str
    introduces: tuple[str, ...]


NOTEBOOKS = (
    Notebook(
        "01_forward_pass",
        "The forward pass",
        "Neurons, layers as matrix products, activation functions, a 2-64-3 network's output.",
        (
            "dense_forward", "count_parameters", "linear", "step", "relu", "sigmoid", "tanh",
            "softmax", "spiral_data", "init_book",
        ),
    ),
    Notebook(
        "02_loss",
        "Loss",
        "Measuring how wrong a network is: MSE, MAE, cross-entropy, accuracy; random search.",
        (
            "categorical_cross_entropy", "binary_cross_entropy", "mean_squared_error",
            "mean_absolute_error", "accuracy", "binary_accuracy", "plot_history", "plot_histories",
            "vertical_data", "sine_data",
        ),
    ),
    Notebook(
        "03_backprop_derivation",
        "Backpropagation",
        "Derivatives, the chain rule, the gradient of every layer, activation and loss.",
        (
            "numerical_gradient", "dense_backward", "relu_backward", "sigmoid_backward",
            "tanh_backward", "softmax_backward", "softmax_jacobian",
            "categorical_cross_entropy_backward", "softmax_cross_entropy_backward",
            "binary_cross_entropy_backward", "mean_squared_error_backward",
            "mean_absolute_error_backward",
        ),
    ),
    Notebook(
        "04_gradient_checking",
        "Gradient checking, initialisation and a first training run",
        "Checking gradients numerically, why weights must start unequal, gradient descent.",
        (
            "relative_error", "init_zeros", "init_uniform", "init_he", "init_xavier",
            "INITIALIZERS", "plot_decision_boundary",
        ),
    ),
    Notebook(
        "05_worked_example_2-2-2",
        "A worked example: the 2-2-2 sigmoid network",
        "Every number of one backpropagation step by hand, then vectorised, then 10,000 steps.",
        (),
    ),
    Notebook(
        "06_layers_and_training",
        "Layers as objects, and the training loop",
        "Dense, activation and loss classes; the training loop by hand; mini-batches; a Model.",
        (
            "Dense", "ReLU", "Sigmoid", "Tanh", "Softmax", "Linear", "SoftmaxCrossEntropy",
            "BinaryCrossEntropy", "MeanSquaredError", "iterate_minibatches", "SGD", "Model",
        ),
    ),
    Notebook(
        "07_optimizers",
        "Optimizers: the learning rate, decay and momentum",
        "Learning rate, batch sizes, learning-rate decay, weighted averages, SGD with momentum.",
        (
            "sgd_update", "inverse_time_decay", "exponential_decay", "inverse_sqrt_decay",
            "step_decay",
        ),
    ),
    Notebook(
        "08_adaptive_optimizers",
        "Adaptive optimizers: Adagrad, RMSprop, Adam",
        "Per-parameter learning rates, the optimizer classes, the book's Adam result.",
        ("adagrad_update", "rmsprop_update", "adam_update", "Adagrad", "RMSprop", "Adam"),
    ),
    Notebook(
        "09_regularization",
        "Regularization",
        "Overfitting made visible; L1 and L2 penalties, forward and backward.",
        ("l1_penalty", "l1_gradient", "l2_penalty", "l2_gradient"),
    ),
    Notebook(
        "10_dropout",
        "Dropout",
        "Inverted dropout: masks, rescaling, training versus inference.",
        ("dropout_forward", "dropout_backward", "Dropout"),
    ),
    Notebook(
        "11_validation",
        "Validation",
        "Training, validation and test sets; scaling without leakage; early stopping; tuning.",
        ("train_val_test_split", "MaxAbsScaler", "MinMaxScaler", "StandardScaler"),
    ),
    Notebook(
        "12_k_fold",
        "k-fold cross-validation",
        "Folds, stratification, confidence intervals, model selection on the Iris data.",
        ("k_fold_indices", "load_iris", "IRIS_FEATURES", "IRIS_CLASSES"),
    ),
    Notebook(
        "13_capstone_digits",
        "Capstone: handwritten digits",
        "Real images end to end: sanity checks, diagnostics, search, augmentation, one test.",
        ("load_digits",),
    ),
)


def allowed_names(stem: str) -> set[str]:
    """The nnlab names notebook ``stem`` may use: those introduced up to and including it."""
    names = set(ALWAYS_ALLOWED)
    for notebook in NOTEBOOKS:
        names.update(notebook.introduces)
        if notebook.stem == stem:
            return names
    raise KeyError(f"unknown notebook {stem!r}")
