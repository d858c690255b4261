"""A multi-layer perceptron domain classifier trained through skorch."""

from numbers import Real

import numpy as np
import torch
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetBinaryClassifier

from .._compat import Interval, _fit_context
from ._base import (
    COMMON_CONSTRAINTS,
    EARLY_STOPPING_CONSTRAINTS,
    TorchEstimatorMixin,
    WeightedLossMixin,
    mlp,
)


class _WeightedBinaryNet(WeightedLossMixin, NeuralNetBinaryClassifier):
    """skorch's binary classifier with a per-row weighted cross-entropy."""

    def row_loss(self, y_pred, y_true, X=None, training=False):
        # The criterion is built with reduction="none": one loss per row.
        return NeuralNetBinaryClassifier.get_loss(self, y_pred, y_true, X, training)


class MLPDomainClassifier(TorchEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A multi-layer perceptron binary classifier trained with skorch.

    A domain classifier for :class:`skratio.DensityRatioEstimator` and
    :class:`skratio.CalibratedRatio` when the two domains differ in ways a
    linear model cannot see. The network is a
    :class:`skorch.NeuralNetBinaryClassifier` (the fitted ``net_``) trained
    with Adam on the binary cross-entropy; per-row ``sample_weight`` enters the
    loss as the mean over each mini-batch of ``w_i * loss_i``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(64, 64)
        Width of each hidden layer (ReLU activations).
    dropout : float, default=0.0
        Dropout probability after each hidden layer (0 for none).
    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer.
    max_epochs : int, default=50
        Passes over the training rows.
    lr : float, default=1e-3
        Learning rate of Adam.
    batch_size : int, default=128
        Rows per mini-batch (at most the number of rows); the last incomplete
        batch of each epoch is dropped, the rows being reshuffled every epoch.
    weight_decay : float, default=0.0
        L2 penalty (Adam's ``weight_decay``).
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the rows and stop when
        their (weighted) loss has not improved for ``n_iter_no_change`` epochs,
        keeping the best parameters.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    normalize_weights : bool, default=False
        Self-normalise the weights within each mini-batch:
        ``sum(w_i * loss_i) / sum(w_i)`` instead of ``mean(w_i * loss_i)``.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and predict; ``"auto"`` takes a CUDA GPU when torch
        finds one. ``"cuda"`` without a GPU raises a ``ValueError`` at fit.
    callbacks : list of skorch callbacks or None, default=None
        Passed to the skorch net (e.g. ``skorch.callbacks.LRScheduler``).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, dropout and the validation
        split; torch's global random state is left untouched.
    verbose : int, default=0
        ``> 0`` prints skorch's table of the losses, one line per epoch (plain
        text unless the output is a terminal).

    Attributes
    ----------
    net_ : skorch.NeuralNetBinaryClassifier
        The trained skorch net; ``net_.module_`` is the torch module,
        ``net_.history_`` the training history.
        ``net_.save_params(f_params=..., use_safetensors=True)`` saves the
        parameters.
    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class.
    device_ : str
        The device the model was trained on, ``"cpu"`` or ``"cuda"`` (what
        ``device="auto"`` chose).
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string
        column names.

    See Also
    --------
    skratio.DensityRatioEstimator : Turns the classifier into density ratios.
    sklearn.neural_network.MLPClassifier : The same network without torch.

    Notes
    -----
    Inputs (numpy arrays of any float dtype, DataFrames) are cast to float32.
    :meth:`decision_function` returns the network's logit, i.e. the log-odds
    ``log c(x) - log(1 - c(x))``, unrounded in the tails.

    Examples
    --------
    >>> from skratio import DensityRatioEstimator
    >>> from skratio.datasets import make_gaussian_shift
    >>> from skratio.deep import MLPDomainClassifier
    >>> X, y, log_ratio = make_gaussian_shift(200, 200, random_state=0)
    >>> clf = MLPDomainClassifier((16,), max_epochs=5, random_state=0)
    >>> ratio = DensityRatioEstimator(clf).fit(X, y)
    >>> ratio.predict_weight(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        **EARLY_STOPPING_CONSTRAINTS,
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 64),
        *,
        dropout=0.0,
        batch_norm=False,
        max_epochs=50,
        lr=1e-3,
        batch_size=128,
        weight_decay=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        normalize_weights=False,
        device="cpu",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.normalize_weights = normalize_weights
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` with binary labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; cast to float32.
        y : array-like of shape (n_samples,)
            Two class labels; the larger one (``classes_[1]``) is positive.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights of the loss, divided by their mean first:
            only their ratios matter, and a weight of 2 counts as the row
            repeated.

        Returns
        -------
        self : MLPDomainClassifier
            The fitted classifier.
        """
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2
        )
        X = self._as_float32(X)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y")
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target "
                f"is {y_type}."
            )
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError(
                f"{type(self).__name__} needs rows of 2 classes; got 1 class "
                f"({self.classes_[0]!r})."
            )
        sample_weight = self._validate_weights(sample_weight, X)
        self._fit_net(
            _WeightedBinaryNet,
            lambda: mlp(
                X.shape[1],
                self.hidden_layer_sizes,
                1,
                dropout=self.dropout,
                batch_norm=self.batch_norm,
            ),
            X,
            y_encoded.astype(np.float32),
            sample_weight,
            stratified=True,
            criterion=torch.nn.BCEWithLogitsLoss,
            criterion__reduction="none",
            optimizer__weight_decay=self.weight_decay,
        )
        return self

    def decision_function(self, X):
        """Log-odds of the positive class ``classes_[1]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        log_odds : ndarray of shape (n_samples,)
            ``log c(x) - log(1 - c(x))`` with ``c(x) = P(classes_[1] | x)``.
        """
        check_is_fitted(self)
        X = self._validate_rows(X, reset=False)
        return self.net_.forward(X).numpy().astype(np.float64)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = self.random_state is None
        return tags
