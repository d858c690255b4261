"""Training code shared by the torch estimators of :mod:`skratio.deep`.

Every estimator here is a scikit-learn estimator whose ``__init__`` only stores
parameters; ``fit`` builds a skorch net (``net_``) around a torch module and
trains it with per-example weights entering the loss as in Algorithm 1 of
Choi et al. (2020): the mean over the mini-batch of ``w_i * loss_i``.
"""

import contextlib
import re
import sys
from collections.abc import Mapping
from numbers import Real

import numpy as np
import torch
import zuko
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import ValidSplit, unpack_data
from torch.distributions import AffineTransform
from torch.utils.data import BatchSampler, RandomSampler, SequentialSampler

from .._compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._generators import MAX_SEED
from .._protocol import derive_seed
from .._validation import IntegerInterval, check_positive_int

_FLOAT32_MAX = float(np.finfo(np.float32).max)
# The colours skorch's epoch table puts around the best scores.
_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
# Samples drawn after training to check that the model generates finite rows.
_N_CHECK_SAMPLES = 256

# Parameters every estimator of skratio.deep shares (the GAN has no
# validation split, so no early stopping).
COMMON_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like"],
    "max_epochs": [IntegerInterval(1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [IntegerInterval(2, None, closed="left")],
    "normalize_weights": ["boolean"],
    "device": [StrOptions({"cpu", "cuda", "auto"})],
    "callbacks": [list, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}
EARLY_STOPPING_CONSTRAINTS = {
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [IntegerInterval(1, None, closed="left")],
}


def resolve_device(device):
    """``"cpu"``, ``"cuda"`` or ``"auto"`` -> the torch device to train on."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            'device="cuda" was requested but torch finds no CUDA GPU '
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda}). "
            'Use device="cpu", or device="auto" to take a GPU only when there is one.'
        )
    return device


@contextlib.contextmanager
def seeded(random_state, device="cpu"):
    """Run torch code under a seed drawn from ``random_state``.

    The global torch random state is forked, so the caller's is left as it
    was; the data loader's shuffling, dropout and any sampling inside are
    reproducible for a fixed ``random_state``.
    """
    seed = derive_seed(random_state)
    devices = [torch.device(device).index or 0] if device == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def mlp(n_inputs, hidden_layer_sizes, n_outputs, *, dropout=0.0, batch_norm=False):
    """An MLP: (Linear, [BatchNorm], ReLU, [Dropout]) per hidden layer, then Linear."""
    layers = []
    for width in hidden_layer_sizes:
        layers.append(torch.nn.Linear(n_inputs, width))
        if batch_norm:
            layers.append(torch.nn.BatchNorm1d(width))
        layers.append(torch.nn.ReLU())
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
        n_inputs = width
    layers.append(torch.nn.Linear(n_inputs, n_outputs))
    return torch.nn.Sequential(*layers)


def weighted_mean(loss, weight, normalize):
    """The weighted mini-batch loss of Algorithm 1.

    ``mean(w_i * loss_i)`` over the batch, or ``sum(w_i * loss_i) / sum(w_i)``
    when ``normalize`` (self-normalised within the batch); the plain mean when
    there are no weights.
    """
    if weight is None:
        return loss.mean()
    weight = weight.to(loss.dtype)
    if normalize:
        # A batch of zero-weight rows contributes nothing (not 0/0).
        total = weight.sum().clamp_min(torch.finfo(loss.dtype).tiny)
        return (weight * loss).sum() / total
    return (weight * loss).mean()


class Standardize(zuko.flows.LazyTransform):
    """The standardisation ``x -> (x - mean) / scale`` as a zuko lazy transform.

    Called, it gives a torch transform that carries its log-Jacobian: first in
    the chain of a zuko flow, or of a
    :class:`zuko.distributions.NormalizingFlow`, it puts the likelihood in the
    units of the data; its ``inv`` maps standardised rows back. The moments
    are fixed at construction (:func:`weighted_moments` of the training rows)
    and stored as float32 buffers, so they travel with ``state_dict``.
    """

    def __init__(self, mean, scale):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, c=None):
        """The transform; ``c``, a flow's context, is ignored."""
        # The inverse of x = mean + scale * z computes (x - mean) / scale,
        # without rounding 1 / scale to float32 first.
        return AffineTransform(self.mean, self.scale, event_dim=1).inv


def weighted_moments(X, sample_weight):
    """Weighted mean and standard deviation per feature (1 for constant ones).

    Computed in float64: the squares of float32 rows beyond about 1e19
    overflow float32.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = np.average(X, axis=0, weights=sample_weight)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sample_weight))
    return mean, np.where(std > 1e-8, std, 1.0)


class BatchLoader(torch.utils.data.DataLoader):
    """A data loader that fetches each mini-batch with one indexing call.

    skorch's default loader reads rows one by one and stacks them; indexing the
    dataset with the batch's positions (skorch datasets accept them) costs
    one call per batch, whatever the number of inputs (rows, weights).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, **kwargs):
        # Training shuffles with a generator seeded from torch's global state
        # (which fit seeds); other passes get their own generator, so that
        # predicting draws nothing from the global state.
        seed = int(torch.randint(MAX_SEED, ())) if shuffle else 0
        generator = torch.Generator().manual_seed(seed)
        order = (
            RandomSampler(dataset, generator=generator)
            if shuffle
            else SequentialSampler(dataset)
        )
        super().__init__(
            dataset,
            sampler=BatchSampler(order, batch_size, drop_last),
            batch_size=None,
            generator=generator,
            **kwargs,
        )


def print_epoch_table(text):
    """The sink of skorch's epoch table: plain text unless printing to a terminal.

    skorch colours the best scores with ANSI codes, which end up as raw escape
    sequences in log files and notebooks' captured output.
    """
    isatty = getattr(sys.stdout, "isatty", None)
    if not (isatty is not None and isatty()):
        text = _ANSI_CODE.sub("", text)
    print(text)


class StopOnNonFiniteLoss(Callback):
    """Stop training with a ValueError as soon as a batch loss is not finite.

    A NaN or infinite loss leaves NaN parameters after the next step, and
    every later prediction NaN; stopping names the cause while it is known.
    """

    def __init__(self, estimator_name):
        self.estimator_name = estimator_name

    def on_batch_end(self, net, **kwargs):
        # The batch's losses: train_loss or valid_loss, and the GAN's
        # generator_loss.
        for key, value in net.history[-1, "batches", -1].items():
            if key.endswith("loss") and not np.isfinite(value):
                raise ValueError(
                    f"{self.estimator_name}: the {key.replace('_', ' ')} became "
                    f"{value} at epoch {len(net.history)}, so training stopped. "
                    "Standardise the features, lower lr, or look for extreme "
                    "values in sample_weight."
                )


class WeightedLossMixin:
    """skorch net mixin: inputs ``{"X": rows[, "sample_weight": w]}``, weighted loss.

    The module sees only the rows; ``row_loss`` gives the unreduced loss of
    each row and :func:`weighted_mean` reduces it. ``normalize_weights`` is
    set by the estimator that builds the net.
    """

    def infer(self, x, **fit_params):
        if isinstance(x, Mapping):
            x = x["X"]
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        weight = X.get("sample_weight") if isinstance(X, Mapping) else None
        if weight is not None:
            weight = weight.to(self.device)
        loss = self.row_loss(y_pred, y_true, X=X, training=training)
        return weighted_mean(loss, weight, self.normalize_weights)


class GenerativeNet(WeightedLossMixin, NeuralNet):
    """A skorch net whose module's ``forward`` returns the loss of each row.

    The criterion is the identity: the module computes the negative
    log-likelihood (flows) or the negative ELBO (VAE) itself.
    """

    def row_loss(self, y_pred, y_true, X=None, training=False):
        return y_pred


class GANNet(WeightedLossMixin, NeuralNet):
    """A skorch net training a generator and a discriminator with the hinge loss.

    ``optimizer_`` updates the generator, ``discriminator_optimizer_`` the
    discriminator. The weights multiply the real-data term of the
    discriminator loss (Choi et al. 2020); the generator loss has no real
    rows, hence no weights.
    """

    def initialize_optimizer(self, *args, **kwargs):
        for name, part in (
            ("optimizer", self.module_.generator),
            ("discriminator_optimizer", self.module_.discriminator),
        ):
            opt_args, opt_kwargs = self.get_params_for_optimizer(
                "optimizer", part.named_parameters()
            )
            setattr(self, name + "_", self.optimizer(*opt_args, **opt_kwargs))
        return self

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        Xi, _ = unpack_data(batch)
        real = Xi["X"].to(self.device)
        weight = Xi.get("sample_weight")
        if weight is not None:
            weight = weight.to(self.device)
        module = self.module_
        n_rows = real.shape[0]

        self.discriminator_optimizer_.zero_grad()
        real_score = module(real)
        fake_score = module.discriminate(module.generate(n_rows).detach())
        discriminator_loss = (
            weighted_mean(torch.relu(1.0 - real_score), weight, self.normalize_weights)
            + torch.relu(1.0 + fake_score).mean()
        )
        discriminator_loss.backward()
        self.discriminator_optimizer_.step()

        self.optimizer_.zero_grad()
        generator_loss = -module.discriminate(module.generate(n_rows)).mean()
        generator_loss.backward()
        self.optimizer_.step()
        self.history.record_batch("generator_loss", generator_loss.item())
        return {"loss": discriminator_loss.detach(), "y_pred": real_score.detach()}


class TorchEstimatorMixin:
    """Fitting, seeding and input checks shared by the estimators of skratio.deep.

    Subclasses hold the common parameters (``COMMON_CONSTRAINTS``, and those
    of ``EARLY_STOPPING_CONSTRAINTS`` where a validation loss makes sense).
    """

    def _validate_rows(self, X, reset):
        """Finite float rows (numpy or DataFrame) as float32.

        Training needs 2 rows (batch statistics, a loss over a batch); any
        number of rows can be scored. Values finite in float64 but beyond
        float32's range would become infinite in the cast: an error.
        """
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2 if reset else 1,
        )
        return self._as_float32(X)

    def _as_float32(self, X):
        """Validated float rows as float32, refusing those beyond its range."""
        with np.errstate(over="ignore"):
            X32 = np.ascontiguousarray(X, dtype=np.float32)
        overflowed = ~np.isfinite(X32)
        if overflowed.any():
            row, column = (int(i[0]) for i in np.nonzero(overflowed))
            names = getattr(self, "feature_names_in_", None)
            name = repr(names[column]) if names is not None else column
            raise ValueError(
                f"X has values beyond float32's range (|x| > {_FLOAT32_MAX:.3g}), "
                f"e.g. {X[row, column]:g} in column {name}; "
                f"{type(self).__name__} computes in float32. Rescale the features "
                "(e.g. with sklearn.preprocessing.StandardScaler)."
            )
        return X32

    def _validate_weights(self, sample_weight, X):
        """Non-negative per-row weights of mean 1, as float32, or None.

        Dividing by the mean keeps extreme scales (1e40, 1e-50) representable
        in float32 and makes a weight of 2 count as the row twice, as if
        repeated; the weighted loss's minimiser is unchanged.
        """
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        # The largest weight first: the sum of 1e300s overflows float64.
        largest = sample_weight.max()
        if not largest > 0:
            raise ValueError("sample_weight must have a positive sum; got all zeros.")
        scaled = sample_weight / largest
        return (scaled / scaled.mean()).astype(np.float32)

    def _callbacks(self):
        callbacks = list(self.callbacks or [])
        if getattr(self, "early_stopping", False):
            callbacks.append(
                EarlyStopping(patience=self.n_iter_no_change, load_best=True)
            )
        callbacks.append(StopOnNonFiniteLoss(type(self).__name__))
        return callbacks

    def _train_split(self, stratified):
        if not getattr(self, "early_stopping", False):
            return None
        return ValidSplit(
            self.validation_fraction,
            stratified=stratified,
            random_state=derive_seed(self.random_state),
        )

    def _fit_net(
        self, net_class, build_module, X, y, sample_weight, stratified=False, **kwargs
    ):
        """Train ``net_class`` around the module ``build_module()``.

        Sets the fitted ``net_`` and ``device_``. The module is built under the
        estimator's seed, so its initial parameters are reproducible too.
        """
        device = resolve_device(self.device)
        # A failed fit leaves no net from an earlier fit behind.
        for attribute in ("net_", "device_"):
            self.__dict__.pop(attribute, None)
        if self.verbose:
            # One display: skorch's epoch table, plain text off a terminal.
            kwargs["callbacks__print_log__sink"] = print_epoch_table
        inputs = {"X": X}
        if sample_weight is not None:
            inputs["sample_weight"] = sample_weight
        with seeded(self.random_state, device):
            net = net_class(
                module=build_module(),
                optimizer=torch.optim.Adam,
                lr=self.lr,
                max_epochs=self.max_epochs,
                # drop_last: a last batch of one row would break batch norm and
                # give one row the weight of a whole batch.
                batch_size=min(self.batch_size, X.shape[0]),
                iterator_train=BatchLoader,
                iterator_valid=BatchLoader,
                iterator_train__shuffle=True,
                iterator_train__drop_last=True,
                train_split=self._train_split(stratified),
                callbacks=self._callbacks(),
                device=device,
                verbose=int(self.verbose),
                **kwargs,
            )
            net.normalize_weights = self.normalize_weights
            net.fit(inputs, y)
            self._check_trained(net, X)
        self.net_ = net
        self.device_ = net.device

    # What the net's forward pass gives, for the messages of _check_trained.
    _forward_output = "log-odds"

    def _check_trained(self, net, X):
        """A ValueError unless the trained net's outputs on its rows are finite.

        The last optimiser step is not followed by a loss, so a net can end
        with parameters that give NaN although every batch loss was finite.
        """
        outputs = net.forward(X).numpy()
        bad = int(np.count_nonzero(~np.isfinite(outputs)))
        if bad:
            raise ValueError(
                f"{type(self).__name__}: after training, the model gives "
                f"non-finite {self._forward_output} for {bad} of the "
                f"{outputs.shape[0]} training rows, so it is not returned "
                "fitted. Standardise the features, lower lr, or look for extreme "
                "values in sample_weight."
            )

    def __sklearn_is_fitted__(self):
        # validate_data sets n_features_in_ before training, which may fail.
        return hasattr(self, "net_")

    def _to_tensor(self, X):
        return torch.as_tensor(X, device=self.net_.device)


class GenerativeMixin(TorchEstimatorMixin):
    """``fit``, ``sample`` and batching shared by the generative models.

    A subclass sets ``_net_class`` and ``_build_module(n_features, mean,
    scale)``, which returns a torch module with ``sample(n)`` (rows in the
    input space) and whose ``forward`` the net trains on; ``mean`` and
    ``scale`` are the weighted moments of the training rows, for a
    :class:`Standardize` transform.
    """

    _net_class = GenerativeNet
    _forward_output = "per-row losses"

    def _check_trained(self, net, X):
        super()._check_trained(net, X)
        module = net.module_
        module.eval()
        with torch.no_grad():
            drawn = module.sample(_N_CHECK_SAMPLES)
        if not torch.isfinite(drawn).all():
            raise ValueError(
                f"{type(self).__name__}: after training, the model draws "
                f"non-finite rows ({int((~torch.isfinite(drawn)).any(dim=1).sum())} "
                f"of {_N_CHECK_SAMPLES}), so it is not returned fitted. "
                "Standardise the features, lower lr, or train for fewer epochs."
            )

    def _check_rows(self, X):
        """Model-specific checks of the training rows (none by default)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the model, each row's loss weighted by ``sample_weight``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (numpy or DataFrame), cast to float32.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights: the mini-batch loss is the mean of
            ``w_i * loss_i`` (self-normalised when ``normalize_weights``).
            They are divided by their mean first: only their ratios matter,
            and a weight of 2 counts as the row repeated.

        Returns
        -------
        self : object
            The fitted model.
        """
        X = self._validate_rows(X, reset=True)
        sample_weight = self._validate_weights(sample_weight, X)
        self._check_rows(X)
        mean, scale = weighted_moments(X, sample_weight)
        self._fit_net(
            self._net_class,
            lambda: self._build_module(X.shape[1], mean, scale),
            X,
            None,
            sample_weight,
            **self._net_kwargs(),
        )
        return self

    def _net_kwargs(self):
        # The module's forward returns the loss of each row (see GenerativeNet).
        return {"criterion": torch.nn.Identity}

    def sample(self, n_samples=1, random_state=None):
        """Draw rows from the fitted model.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws (torch's global random state is left untouched).

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            The drawn rows, float64.
        """
        check_is_fitted(self)
        n_samples = check_positive_int(n_samples, "n_samples")
        module = self.net_.module_
        module.eval()
        with torch.no_grad(), seeded(random_state, self.net_.device):
            drawn = module.sample(n_samples)
        return drawn.cpu().numpy().astype(np.float64)

    def _map_rows(self, fn, X, rows_per_batch=4096):
        """``fn`` (torch rows -> per-row tensor) over ``X`` in batches, as float64."""
        module = self.net_.module_
        module.eval()
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], rows_per_batch):
                out.append(fn(self._to_tensor(X[start : start + rows_per_batch])).cpu())
        return torch.cat(out).numpy().astype(np.float64)


class LikelihoodMixin:
    """``score`` of the generative models that have ``score_samples``."""

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            Mean log-likelihood (or its lower bound, for the VAE).
        """
        return float(np.mean(self.score_samples(X)))
