"""Normalizing flows from zuko, trained with weighted maximum likelihood."""

import torch
import zuko
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import StrOptions
from .._validation import IntegerInterval
from ._base import (
    COMMON_CONSTRAINTS,
    EARLY_STOPPING_CONSTRAINTS,
    GenerativeMixin,
    LikelihoodMixin,
    Standardize,
)

_ARCHITECTURES = {
    "realnvp": zuko.flows.RealNVP,
    "maf": zuko.flows.MAF,
    "nsf": zuko.flows.NSF,
}


class _FlowModule(torch.nn.Module):
    """A zuko flow whose first transform standardises; ``forward`` is the NLL."""

    def __init__(self, flow):
        super().__init__()
        self.flow = flow

    def log_prob(self, x):
        return self.flow().log_prob(x)

    def forward(self, x):
        return -self.log_prob(x)

    def sample(self, n_samples):
        return self.flow().sample((n_samples,))


class Flow(LikelihoodMixin, GenerativeMixin, DensityMixin, BaseEstimator):
    """A normalizing flow with exact likelihoods, trained with sample weights.

    The transforms come from :mod:`zuko.flows` (affine coupling as in RealNVP,
    masked autoregressive as in MAF, or neural spline flows) after a fixed
    standardising first transform (the weighted mean and standard deviation of
    the training rows, with its Jacobian in the likelihood). Training minimises the
    weighted negative log-likelihood, the mean over each mini-batch of
    ``w_i * (-log p(x_i))``, so that :class:`skratio.WeightedGenerativeTrainer`
    can debias it (Algorithm 1 of Choi et al. 2020).

    Parameters
    ----------
    architecture : {"maf", "realnvp", "nsf"}, default="maf"
        ``"maf"``: masked autoregressive flow (:class:`zuko.flows.MAF`);
        ``"realnvp"``: affine coupling layers (:class:`zuko.flows.RealNVP`);
        ``"nsf"``: rational-quadratic neural spline flow
        (:class:`zuko.flows.NSF`, splines on [-5, 5] of the standardised
        data, identity outside).
    n_transforms : int, default=3
        Number of transforms.
    hidden_layer_sizes : array-like of int, default=(64, 64)
        Hidden widths of the network of each transform.
    max_epochs : int, default=100
        Passes over the training rows.
    lr : float, default=1e-3
        Learning rate of Adam.
    batch_size : int, default=128
        Rows per mini-batch (at most the number of rows); the last incomplete
        batch of each epoch is dropped, the rows being reshuffled every epoch.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when their
        weighted negative log-likelihood has not improved for
        ``n_iter_no_change`` epochs, keeping the best parameters.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    normalize_weights : bool, default=False
        Self-normalise the weights within each mini-batch:
        ``sum(w_i * loss_i) / sum(w_i)`` instead of ``mean(w_i * loss_i)``.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and evaluate; ``"auto"`` takes a CUDA GPU when torch
        finds one. ``"cuda"`` without a GPU raises a ``ValueError`` at fit.
    callbacks : list of skorch callbacks or None, default=None
        Passed to the skorch net.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial parameters, the shuffling and the validation split;
        torch's global random state is left untouched.
    verbose : int, default=0
        ``> 0`` prints skorch's table of the losses, one line per epoch (plain
        text unless the output is a terminal).

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module, whose
        ``flow`` is the zuko flow (the standardisation first in its
        ``transform``).
        ``net_.save_params(f_params=..., use_safetensors=True)`` saves the
        parameters.
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
    RealNVP : This flow with ``architecture="realnvp"``.
    VAE : A latent-variable model with a likelihood bound.
    skratio.WeightedGenerativeTrainer : Train it on biased plus reference data.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.deep import Flow
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> flow = Flow(n_transforms=1, hidden_layer_sizes=(8,), max_epochs=5,
    ...             random_state=0).fit(X)
    >>> flow.sample(3, random_state=0).shape
    (3, 2)
    >>> flow.score_samples(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        **EARLY_STOPPING_CONSTRAINTS,
        "architecture": [StrOptions(set(_ARCHITECTURES))],
        "n_transforms": [IntegerInterval(1, None, closed="left")],
    }

    def __init__(
        self,
        architecture="maf",
        *,
        n_transforms=3,
        hidden_layer_sizes=(64, 64),
        max_epochs=100,
        lr=1e-3,
        batch_size=128,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        normalize_weights=False,
        device="cpu",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.architecture = architecture
        self.n_transforms = n_transforms
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.normalize_weights = normalize_weights
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def _build_module(self, n_features, mean, scale):
        flow = _ARCHITECTURES[self.architecture](
            n_features,
            transforms=self.n_transforms,
            hidden_features=tuple(self.hidden_layer_sizes),
        )
        # The standardisation comes first on the way from the data to the
        # base distribution, so zuko adds its log-Jacobian to the likelihood
        # and undoes it last when sampling.
        return _FlowModule(
            zuko.flows.Flow([Standardize(mean, scale), flow.transform], flow.base)
        )

    def score_samples(self, X):
        """Exact log-density of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``log p(x)`` under the flow, in the units of ``X``.
        """
        check_is_fitted(self)
        X = self._validate_rows(X, reset=False)
        return self._map_rows(self.net_.module_.log_prob, X)


class RealNVP(Flow):
    """A normalizing flow of affine coupling layers (RealNVP, Dinh et al. 2017).

    :class:`Flow` with ``architecture="realnvp"`` by default; see :class:`Flow`
    for the parameters and attributes.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.deep import RealNVP
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> RealNVP(n_transforms=2, max_epochs=2, random_state=0).fit(X).sample(2).shape
    (2, 2)
    """

    def __init__(
        self,
        architecture="realnvp",
        *,
        n_transforms=3,
        hidden_layer_sizes=(64, 64),
        max_epochs=100,
        lr=1e-3,
        batch_size=128,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        normalize_weights=False,
        device="cpu",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            architecture,
            n_transforms=n_transforms,
            hidden_layer_sizes=hidden_layer_sizes,
            max_epochs=max_epochs,
            lr=lr,
            batch_size=batch_size,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            normalize_weights=normalize_weights,
            device=device,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )
