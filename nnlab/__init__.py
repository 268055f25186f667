"""nnlab: neural networks from scratch in NumPy — the companion package of the nnlab course.

Pure functions for the math (forward/backward pairs, losses, update rules), thin classes that
compose them for training. Batch-first, float64, no global state: randomness comes from the
``rng`` (a ``np.random.Generator``) you pass.
"""

from .activations import (
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    linear,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    softmax_jacobian,
    step,
    tanh,
    tanh_backward,
)
from .data import IRIS_CLASSES, IRIS_FEATURES, load_digits, load_iris, sine_data, spiral_data, vertical_data
from .dropout import Dropout, dropout_backward, dropout_forward
from .gradcheck import numerical_gradient, relative_error
from .layers import (
    INITIALIZERS,
    Dense,
    count_parameters,
    dense_backward,
    dense_forward,
    init_book,
    init_he,
    init_uniform,
    init_xavier,
    init_zeros,
)
from .losses import (
    BinaryCrossEntropy,
    MeanSquaredError,
    SoftmaxCrossEntropy,
    accuracy,
    binary_accuracy,
    binary_cross_entropy,
    binary_cross_entropy_backward,
    categorical_cross_entropy,
    categorical_cross_entropy_backward,
    mean_absolute_error,
    mean_absolute_error_backward,
    mean_squared_error,
    mean_squared_error_backward,
    softmax_cross_entropy_backward,
)
from .model import Model, TrainingDivergedError
from .notebook import setup, show
from .optimizers import (
    SGD,
    Adagrad,
    Adam,
    RMSprop,
    adagrad_update,
    adam_update,
    exponential_decay,
    inverse_sqrt_decay,
    inverse_time_decay,
    rmsprop_update,
    sgd_update,
    step_decay,
)
from .plotting import plot_data, plot_decision_boundary, plot_final, plot_histories, plot_history
from .preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler
from .regularization import l1_gradient, l1_penalty, l2_gradient, l2_penalty
from .validation import iterate_minibatches, k_fold_indices, train_val_test_split

__version__ = "0.1.0"
