"""A variational autoencoder trained with a weighted ELBO."""

import math

import torch
import zuko
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils.validation import check_is_fitted
from torch import distributions as D
from zuko.distributions import NormalizingFlow

from .._compat import StrOptions
from .._validation import IntegerInterval, check_positive_int
from ._base import (
    COMMON_CONSTRAINTS,
    EARLY_STOPPING_CONSTRAINTS,
    GenerativeMixin,
    LikelihoodMixin,
    Standardize,
    mlp,
    seeded,
)

# Bounds on the log standard deviations of the encoder and the decoder: an
# unbounded scale lets a few rows drive the likelihood to +inf early on.
_LOG_SCALE_MIN, _LOG_SCALE_MAX = -7.0, 5.0


class _VAEModule(torch.nn.Module):
    """Encoder, decoder and prior; ``forward`` is the per-row negative ELBO."""

    def __init__(
        self,
        n_features,
        latent_dim,
        hidden_layer_sizes,
        decoder,
        prior,
        n_prior_components,
        standardize,
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.standardize = standardize
        self.encoder = mlp(n_features, hidden_layer_sizes, 2 * latent_dim)
        self.decoder = mlp(latent_dim, hidden_layer_sizes[::-1], n_features)
        self.decoder_kind = decoder
        if decoder == "gaussian":
            self.decoder_log_scale = torch.nn.Parameter(torch.zeros(n_features))
        self.prior_kind = prior
        if prior == "mixture":
            self.prior_loc = torch.nn.Parameter(
                torch.randn(n_prior_components, latent_dim)
            )
            self.prior_log_scale = torch.nn.Parameter(
                torch.zeros(n_prior_components, latent_dim)
            )
            self.prior_logits = torch.nn.Parameter(torch.zeros(n_prior_components))
        elif prior == "flow":
            self.prior_flow = zuko.flows.MAF(
                latent_dim, transforms=2, hidden_features=tuple(hidden_layer_sizes)
            )
        else:
            self.register_buffer("prior_loc", torch.zeros(latent_dim))

    def prior(self):
        if self.prior_kind == "mixture":
            scale = self.prior_log_scale.clamp(_LOG_SCALE_MIN, _LOG_SCALE_MAX).exp()
            components = D.Independent(D.Normal(self.prior_loc, scale), 1)
            return D.MixtureSameFamily(
                D.Categorical(logits=self.prior_logits), components
            )
        if self.prior_kind == "flow":
            return self.prior_flow()
        standard = D.Normal(self.prior_loc, torch.ones_like(self.prior_loc))
        return D.Independent(standard, 1)

    def _encode(self, x):
        """The posterior q(z | x), the encoder reading standardised rows."""
        if self.standardize is not None:
            x = self.standardize()(x)
        loc, log_scale = self.encoder(x).chunk(2, dim=-1)
        log_scale = log_scale.clamp(_LOG_SCALE_MIN, _LOG_SCALE_MAX)
        return D.Independent(D.Normal(loc, log_scale.exp()), 1)

    def _decode(self, z):
        """The likelihood p(x | z), over rows in the units of the data."""
        out = self.decoder(z)
        if self.decoder_kind == "bernoulli":
            return D.Independent(D.Bernoulli(logits=out, validate_args=False), 1)
        scale = self.decoder_log_scale.clamp(_LOG_SCALE_MIN, _LOG_SCALE_MAX).exp()
        # A Gaussian over standardised rows, carried to the data's units by
        # the standardisation as a zuko flow, which adds its log-Jacobian.
        return NormalizingFlow(
            self.standardize(), D.Independent(D.Normal(out, scale), 1)
        )

    def log_importance_weights(self, x, n_importance_samples):
        """``log p(x, z_k) - log q(z_k | x)`` for ``k < K`` draws: shape (K, n)."""
        posterior = self._encode(x)
        z = posterior.rsample((n_importance_samples,))
        return (
            self._decode(z).log_prob(x)
            + self.prior().log_prob(z)
            - posterior.log_prob(z)
        )

    def iwae_bound(self, x, n_importance_samples):
        """``log mean_k exp(log w_k)``: the IWAE bound of Burda et al. (2016)."""
        log_weights = self.log_importance_weights(x, n_importance_samples)
        return torch.logsumexp(log_weights, dim=0) - math.log(n_importance_samples)

    def forward(self, x):
        # One draw: an unbiased estimate of the negative ELBO of each row.
        return -self.log_importance_weights(x, 1)[0]

    def sample(self, n_samples):
        z = self.prior().sample((n_samples,))
        return self._decode(z).sample()


class VAE(LikelihoodMixin, GenerativeMixin, DensityMixin, BaseEstimator):
    """A variational autoencoder trained with a weighted ELBO.

    Gaussian encoder ``q(z | x)``, a Gaussian (learned per-feature scale) or
    Bernoulli decoder ``p(x | z)`` and a standard normal, mixture-of-Gaussians
    or flow prior ``p(z)``. Training maximises the evidence lower bound (ELBO),
    one reparameterised draw per row, each row's term weighted as in
    Algorithm 1 of Choi et al. (2020): the mean over each mini-batch of
    ``w_i * (-ELBO_i)``. With the Gaussian decoder the encoder reads
    standardised rows (weighted moments) and the decoder's Gaussian over them
    is carried back to the data's units, its Jacobian in the likelihood.

    Parameters
    ----------
    latent_dim : int, default=2
        Dimension of the latent space.
    hidden_layer_sizes : array-like of int, default=(64, 64)
        Hidden widths of the encoder; the decoder mirrors them.
    decoder : {"gaussian", "bernoulli"}, default="gaussian"
        Likelihood of the rows given the latent code. ``"bernoulli"`` needs
        rows in [0, 1] (binary data, or intensities read as probabilities, for
        which the likelihood is the cross-entropy rather than a density).
    prior : {"normal", "mixture", "flow"}, default="normal"
        ``"normal"``: ``N(0, I)``. ``"mixture"``: a trainable mixture of
        ``n_prior_components`` diagonal Gaussians. ``"flow"``: a trainable
        masked autoregressive flow (:class:`zuko.flows.MAF`, 2 transforms).
    n_prior_components : int, default=10
        Components of the mixture prior.
    max_epochs : int, default=100
        Passes over the training rows.
    lr : float, default=1e-3
        Learning rate of Adam.
    batch_size : int, default=128
        Rows per mini-batch (at most the number of rows); the last incomplete
        batch of each epoch is dropped, the rows being reshuffled every epoch.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when their
        weighted negative ELBO has not improved for ``n_iter_no_change``
        epochs, keeping the best parameters.
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
        Seeds the initial parameters, the shuffling, the encoder's draws and
        the validation split; torch's global random state is left untouched.
    verbose : int, default=0
        ``> 0`` prints skorch's table of the losses, one line per epoch (plain
        text unless the output is a terminal).

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module.
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
    Flow : A generative model with exact likelihoods.
    skratio.WeightedGenerativeTrainer : Train it on biased plus reference data.
    skratio.SIRResampler : Correct its samples with a density ratio.

    References
    ----------
    Kingma and Welling (2014), "Auto-encoding variational Bayes"; Burda,
    Grosse and Salakhutdinov (2016), "Importance weighted autoencoders".

    Examples
    --------
    >>> import numpy as np
    >>> from skratio.deep import VAE
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> vae = VAE(latent_dim=2, hidden_layer_sizes=(16,), max_epochs=5,
    ...           random_state=0).fit(X)
    >>> vae.sample(4, random_state=0).shape
    (4, 3)
    >>> vae.score_samples(X[:2], n_importance_samples=10).shape
    (2,)
    """

    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        **EARLY_STOPPING_CONSTRAINTS,
        "latent_dim": [IntegerInterval(1, None, closed="left")],
        "decoder": [StrOptions({"gaussian", "bernoulli"})],
        "prior": [StrOptions({"normal", "mixture", "flow"})],
        "n_prior_components": [IntegerInterval(1, None, closed="left")],
    }

    def __init__(
        self,
        latent_dim=2,
        *,
        hidden_layer_sizes=(64, 64),
        decoder="gaussian",
        prior="normal",
        n_prior_components=10,
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
        self.latent_dim = latent_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.decoder = decoder
        self.prior = prior
        self.n_prior_components = n_prior_components
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

    def _check_rows(self, X):
        if self.decoder == "bernoulli" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                'decoder="bernoulli" needs rows in [0, 1]; got values in '
                f'[{X.min():g}, {X.max():g}]. Scale them or use decoder="gaussian".'
            )

    def _build_module(self, n_features, mean, scale):
        return _VAEModule(
            n_features,
            self.latent_dim,
            tuple(self.hidden_layer_sizes),
            self.decoder,
            self.prior,
            self.n_prior_components,
            Standardize(mean, scale) if self.decoder == "gaussian" else None,
        )

    def score_samples(self, X, n_importance_samples=50, random_state=0):
        """Importance-weighted lower bound on the log-likelihood of each row.

        The bound of Burda et al. (2016) with ``K = n_importance_samples``
        draws from the encoder: ``log (1/K) sum_k p(x, z_k) / q(z_k | x)``.
        ``K=1`` is (an unbiased draw of) the ELBO; the expected bound grows
        with ``K`` toward ``log p(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        n_importance_samples : int, default=50
            Draws ``K`` per row.
        random_state : int, RandomState instance or None, default=0
            Seeds the draws, so that repeated calls agree by default.

        Returns
        -------
        log_likelihood_bound : ndarray of shape (n_samples,)
            The bound per row, in the units of ``X``.
        """
        check_is_fitted(self)
        n_importance_samples = check_positive_int(
            n_importance_samples, "n_importance_samples"
        )
        X = self._validate_rows(X, reset=False)
        module = self.net_.module_
        # Rows per batch keep K x rows draws of a few hundred thousand at most.
        rows = max(1, 2**18 // n_importance_samples)
        with seeded(random_state, self.net_.device):
            return self._map_rows(
                lambda x: module.iwae_bound(x, n_importance_samples), X, rows
            )
