"""Telescoping density-ratio estimation between far-apart distributions."""

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRatioEstimator
from ._classifier_params import RatioParamsMixin, route_sample_weight
from ._domains import SOURCE, TARGET
from ._protocol import derive_seed
from ._validation import IntegerInterval
from ._weights import domain_log_odds, prior_ratio_from_counts


def default_bridge_classifier():
    """The quadratic bridge: logistic regression on features and their products.

    ``PolynomialFeatures(2)``, standardised: the log-ratio of two Gaussians is
    quadratic, so each bridge between Gaussian waymarks is well-specified,
    as with the quadratic heads of Rhodes et al. (2020). The penalty is light
    (``C=300``): the shrinkage of a penalty biases every bridge the same way,
    so its bias adds up over the bridges, while too light a penalty lets the
    noise of the products' many parameters add up instead. On the
    mutual-information task of ``benchmarks/telescoping.py`` (d = 40, 860
    parameters per bridge) ``C=100`` falls 13 % short of an MI of 40 nats and
    ``C=1000`` overshoots by 8 %; ``C=300`` is within 7 % at 10, 20 and 40.
    """
    return make_pipeline(
        PolynomialFeatures(2, include_bias=False),
        StandardScaler(),
        LogisticRegression(C=300.0, max_iter=1000),
    )


def linear_bridge_classifier():
    """The linear bridge: logistic regression on standardised features, ``C=100``.

    Right when the waymarks differ by their means only (shared covariance, as
    for two Gaussians shifted apart), where the pairwise products of the
    quadratic bridge add hundreds of parameters whose noise adds up over the
    bridges (20 features against 230 in 20-D).
    """
    return make_pipeline(StandardScaler(), LogisticRegression(C=100.0, max_iter=1000))


def _pair_log_losses(classifier, near, far):
    """Log-loss of each pair: the mean over its near (source) and far rows."""
    n_pairs = near.shape[0]
    rows = np.concatenate([near, far])
    signed = np.repeat([-1.0, 1.0], n_pairs) * domain_log_odds(classifier, rows)
    losses = np.logaddexp(0.0, -signed)
    return (losses[:n_pairs] + losses[n_pairs:]) / 2


def check_default_bridge_range(X):
    """A ValueError when the default (quadratic candidate) bridges would overflow.

    ``X`` is centred on one domain's mean, as the bridges of the telescope
    that starts from that domain see it. A
    waymark of centred rows is at most sqrt(2) times their largest value
    ``m``, and the standardised squares of the quadratic bridge need the sum
    of fourth powers of the bridge's rows (twice as many as ``X`` has):
    ``8 n m**4`` must stay finite. Beyond it the bridges see infinities, or
    silently flat ratios. Values far from 0 but close to their mean pass.
    """
    largest = float(np.max(np.abs(X), initial=0.0))
    bound = (np.finfo(np.float64).max / (8 * X.shape[0])) ** 0.25
    if largest >= bound:
        raise ValueError(
            f"X holds values up to {largest:.3g} from a domain's mean: "
            "the default bridge classifier "
            "of TelescopingRatio squares the features (PolynomialFeatures(2)) "
            "and standardises the squares, whose variance overflows float64 "
            f"beyond {bound:.3g} for {X.shape[0]} rows. Standardise X first "
            "(e.g. with sklearn.preprocessing.StandardScaler: the density "
            "ratio is unchanged by an invertible affine map of X)."
        )


def _waymark(X, i0, i1, alpha):
    """Rows ``sqrt(1 - alpha^2) X[i0] + alpha X[i1]`` of the waymark ``alpha``.

    ``X`` is centred on the starting domain's mean (see "Waymarks" in
    :class:`TelescopingRatio`'s Notes).
    """
    return np.sqrt(1.0 - alpha**2) * X[i0] + alpha * X[i1]


def waymark_coefficients(n_waymarks):
    """``a_0 = 0 < a_1 < ... < a_{M+1} = 1``, evenly spaced, M = ``n_waymarks``."""
    return np.linspace(0.0, 1.0, n_waymarks + 2)


class _Telescope(ClassifierMixin, BaseEstimator):
    """What both telescopes share: parameters, inputs, probabilities, routing.

    A subclass fits and defines ``decision_function``, the log-odds of
    domain 1.
    """

    def __init__(self, classifier=None, n_waymarks=19, random_state=None):
        self.classifier = classifier
        self.n_waymarks = n_waymarks
        self.random_state = random_state

    def _domain_rows(self, X, y, sample_weight):
        """``(X, y, row weights)`` as arrays; sets ``classes_`` and ``prior_ratio_``."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_ = np.array([SOURCE, TARGET])
        weights = (
            np.ones(X.shape[0])
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        self.prior_ratio_ = prior_ratio_from_counts(y, weights)
        return X, y, weights

    def predict_proba(self, X):
        """``[P(source | x), P(target | x)]`` from the log-odds, without rounding."""
        decision = self.decision_function(X)
        return np.column_stack([expit(-decision), expit(decision)])

    def get_metadata_routing(self):
        """Routing of ``sample_weight`` to every bridge classifier."""
        bridge = (
            default_bridge_classifier() if self.classifier is None else self.classifier
        )
        return MetadataRouter(owner=self).add(
            classifier=bridge,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )


class _OneWayTelescope(_Telescope):
    """One telescope from domain 0 to domain 1: the bridges' log-ratios summed.

    Fitted on 0/1 domain labels, it builds the waymarks from domain 0 to
    domain 1, fits one classifier per bridge, and its ``decision_function``
    is ``sum_m log p_{m+1}(x) / p_m(x) - log gamma`` (``gamma = n_0 / n_1``).
    The bridges are fitted on, and predict on, rows centred on domain 0's
    (weighted) mean ``centre_``. :class:`TelescopingClassifier` fits one in
    each direction.
    """

    def _pairs(self, y, rng):
        """Row indices ``(i0, i1)`` of the source and target rows of each pair.

        Every row of the larger domain once, in a random order, each with a
        row of the smaller domain; the smaller domain's rows are used equally
        often (within one), in a random order, so that its rows enter the
        waymarks with their own mean and covariance, not a resample's.
        """
        source, target = np.flatnonzero(y == SOURCE), np.flatnonzero(y == TARGET)
        larger, smaller = (
            (source, target) if source.shape[0] >= target.shape[0] else (target, source)
        )
        larger = rng.permutation(larger)
        # The larger domain's random order already makes the pairing random.
        smaller = np.resize(rng.permutation(smaller), larger.shape[0])
        if source.shape[0] >= target.shape[0]:
            return larger, smaller
        return smaller, larger

    def fit(self, X, y, sample_weight=None):
        """Fit one classifier per bridge between consecutive waymarks.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Rows of both domains.
        y : ndarray of shape (n_samples,)
            0 (source) or 1 (target).
        sample_weight : ndarray of shape (n_samples,), default=None
            Row weights; a pair weighs the product of its rows' weights.

        Returns
        -------
        self : _OneWayTelescope
            The fitted telescope.
        """
        X, y, weights = self._domain_rows(X, y, sample_weight)
        # Mixing is about the source's mean: see "Waymarks" in
        # TelescopingRatio's Notes. The bridges are fitted, and so must
        # predict, on rows centred on it.
        source = y == SOURCE
        self.centre_ = np.average(X[source], axis=0, weights=weights[source])
        X = X - self.centre_
        if self.classifier is None:
            check_default_bridge_range(X)
        rng = check_random_state(self.random_state)
        alphas = waymark_coefficients(self.n_waymarks)
        # Fresh pairs for every bridge: see "Pairs" in TelescopingRatio's Notes.
        pairs = [self._pairs(y, rng) for _ in alphas[1:]]
        if self.classifier is None:
            middle = (len(pairs) - 1) // 2
            bridge = self._select_default_bridge(
                X,
                self._pairs(y, rng),
                weights,
                alphas[middle : middle + 2],
                sample_weight is not None,
            )
        else:
            bridge = self.classifier
        self.bridges_, self.bridge_prior_ratios_ = [], []
        for (i0, i1), near, far in zip(pairs, alphas[:-1], alphas[1:]):
            rows = np.concatenate([_waymark(X, i0, i1, near), _waymark(X, i0, i1, far)])
            labels = np.repeat([SOURCE, TARGET], i0.shape[0])
            pair_weight = weights[i0] * weights[i1]
            bridge_weight = np.concatenate([pair_weight, pair_weight])
            fit_params = route_sample_weight(
                self, bridge, None if sample_weight is None else bridge_weight
            )
            fitted = clone(bridge).fit(rows, labels, **fit_params)
            self.bridges_.append(fitted)
            self.bridge_prior_ratios_.append(
                prior_ratio_from_counts(labels, bridge_weight, fitted)
            )
        return self

    def _select_default_bridge(self, X, pair, weights, alphas, weighted):
        """Linear or quadratic bridges, by held-out log-loss on the middle bridge.

        The middle bridge's waymarks from pairs of their own (not those of
        any fitted bridge): the first half of the pairs trains both classes,
        the second half scores them. The quadratic class, which nests the
        linear one, is chosen only when its mean log-loss is lower by more
        than one standard error of the paired (pair by pair) difference: the
        one-standard-error rule (Hastie, Tibshirani & Friedman, *The Elements
        of Statistical Learning*, 2nd ed., section 7.10). With many bridges
        the middle one's classes barely differ (KL / (M + 1)^2 nats), and
        the plain minimum would pick the bigger class by chance on a mean
        shift, adding the products' noise to every bridge. Sets
        ``bridge_log_loss_`` (class -> mean log-loss), ``bridge_log_loss_se_``
        (the standard error of the quadratic-minus-linear difference) and
        ``bridge_classifier_``.
        """
        i0, i1 = pair
        near, far = (_waymark(X, i0, i1, alpha) for alpha in alphas)
        pair_weight = weights[i0] * weights[i1]
        split = i0.shape[0] // 2
        # The pairs are in a random order already (see _pairs).
        train, test = slice(None, split), slice(split, None)
        candidates = {
            "linear": linear_bridge_classifier(),
            "quadratic": default_bridge_classifier(),
        }
        labels = np.repeat([SOURCE, TARGET], split)
        train_weight = np.concatenate([pair_weight[train], pair_weight[train]])
        test_weight = pair_weight[test]
        pair_losses = {}
        for name, candidate in candidates.items():
            fit_params = route_sample_weight(
                self, candidate, train_weight if weighted else None
            )
            rows = np.concatenate([near[train], far[train]])
            fitted = clone(candidate).fit(rows, labels, **fit_params)
            pair_losses[name] = _pair_log_losses(fitted, near[test], far[test])
        self.bridge_log_loss_ = {
            name: float(np.average(losses, weights=test_weight))
            for name, losses in pair_losses.items()
        }
        # A pair's two rows share their source and target rows: the pairs,
        # not the rows, are the independent units of the paired difference.
        difference = pair_losses["quadratic"] - pair_losses["linear"]
        mean = np.average(difference, weights=test_weight)
        self.bridge_log_loss_se_ = float(
            np.sqrt(np.sum((test_weight * (difference - mean)) ** 2))
            / np.sum(test_weight)
        )
        clearly_better = mean < -self.bridge_log_loss_se_
        self.bridge_classifier_ = "quadratic" if clearly_better else "linear"
        return candidates[self.bridge_classifier_]

    def bridge_log_ratios(self, X):
        """``log p_{m+1}(x) / p_m(x)`` of every bridge, shape (n_samples, M + 1).

        ``X`` in the data's own coordinates: it is centred on ``centre_``
        here, as the bridges' training rows were.
        """
        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float64) - self.centre_
        return np.column_stack(
            [
                np.log(gamma) + domain_log_odds(bridge, X)
                for bridge, gamma in zip(self.bridges_, self.bridge_prior_ratios_)
            ]
        )

    def decision_function(self, X):
        """Summed bridge log-ratios minus ``log gamma``: the log-odds of domain 1."""
        return self.bridge_log_ratios(X).sum(axis=1) - np.log(self.prior_ratio_)


class TelescopingClassifier(_Telescope):
    """Domain classifier whose log-odds is the mean of two telescopes.

    Private to :class:`TelescopingRatio`: fitted on 0/1 domain labels, it
    fits a telescope from the source to the target (on ``y``) and one from
    the target to the source (on ``1 - y``, its waymarks mixed about the
    target's mean), each with a seed drawn from ``random_state``. With
    ``f`` and ``b`` their summed bridge log-ratios (estimates of ``log
    p_target / p_source`` and of ``log p_source / p_target``), its
    ``decision_function`` is ``(f - b) / 2 - log gamma`` (``gamma = n_0 /
    n_1``), so that the prior correction of the ratio estimator gives back
    ``(f - b) / 2``. See "Two directions" in :class:`TelescopingRatio`'s
    Notes. The default bridge class is chosen once, on the forward
    telescope's middle bridge, and used by both.
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the forward and the backward telescope.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Rows of both domains.
        y : ndarray of shape (n_samples,)
            0 (source) or 1 (target).
        sample_weight : ndarray of shape (n_samples,), default=None
            Row weights; a pair weighs the product of its rows' weights.

        Returns
        -------
        self : TelescopingClassifier
            The fitted classifier.
        """
        X, y, weights = self._domain_rows(X, y, sample_weight)
        flipped = np.where(y == SOURCE, TARGET, SOURCE)
        if self.classifier is None:
            # The forward telescope checks the source's centring itself; the
            # backward one gets a bridge class of its own and would not, so
            # the target's centring is checked here, before anything is fitted.
            target = y == TARGET
            centre = np.average(X[target], axis=0, weights=weights[target])
            check_default_bridge_range(X - centre)
        rng = check_random_state(self.random_state)
        forward = _OneWayTelescope(
            self.classifier, n_waymarks=self.n_waymarks, random_state=derive_seed(rng)
        ).fit(X, y, sample_weight=sample_weight)
        if self.classifier is None:
            self.bridge_classifier_ = forward.bridge_classifier_
            self.bridge_log_loss_ = forward.bridge_log_loss_
            self.bridge_log_loss_se_ = forward.bridge_log_loss_se_
            bridge = {
                "linear": linear_bridge_classifier,
                "quadratic": default_bridge_classifier,
            }[self.bridge_classifier_]()
        else:
            bridge = self.classifier
        backward = _OneWayTelescope(
            bridge, n_waymarks=self.n_waymarks, random_state=derive_seed(rng)
        ).fit(X, flipped, sample_weight=sample_weight)
        self.telescopes_ = (forward, backward)
        return self

    def log_ratio(self, X):
        """``(f - b) / 2``: the two telescopes' ``log p_target / p_source``, averaged.

        ``f`` and ``b`` are the summed bridge log-ratios of the forward and
        the backward telescope; ``b`` estimates ``log p_source / p_target``.
        """
        check_is_fitted(self)
        forward, backward = (
            telescope.bridge_log_ratios(X).sum(axis=1) for telescope in self.telescopes_
        )
        return (forward - backward) / 2

    def decision_function(self, X):
        """The averaged log-ratio minus ``log gamma``: the log-odds of domain 1."""
        return self.log_ratio(X) - np.log(self.prior_ratio_)


def _telescoping_log_odds(classifier, X):
    """The summed log-ratio of a fitted TelescopingClassifier, not bounded by
    the floating-point range of one probability (each bridge's is)."""
    return np.asarray(classifier.decision_function(X), dtype=np.float64)


class TelescopingRatio(RatioParamsMixin, BaseRatioEstimator):
    """Density ratio between far-apart distributions, as a telescoping product.

    One classifier that tells far-apart domains apart saturates: its
    probabilities round to 0 or 1 and a few features separate the samples, so
    its log-odds say little about the log-ratio (the "density-chasm" problem).
    Telescoping density-ratio estimation (TRE; Rhodes, Xu & Gutmann, NeurIPS
    2020) bridges the chasm with waymark distributions ``p_0`` (source), ...,
    ``p_{M+1}`` (target), made by linear mixing of a source row ``x_0`` and a
    target row ``x_1`` about the source's mean ``c``::

        x_m - c = sqrt(1 - a_m^2) (x_0 - c) + a_m (x_1 - c),
        0 = a_0 < a_1 < ... < a_{M+1} = 1,

    fits one binary classifier per bridge between consecutive waymarks (each an
    easy problem) and sums the bridges' log-ratios::

        log p_target(x) / p_source(x) = sum_m log p_{m+1}(x) / p_m(x).

    It does so twice, from the source to the target (``f``) and from the
    target to the source (``b``, waymarks mixed about the target's mean), and
    estimates ``(f - b) / 2``: one telescope's error leans on the domain it
    starts from, and the average weighs both domains alike (see "Two
    directions" in the Notes).

    All the public methods (``fit``, ``fit_predict_weight``,
    ``predict_log_weight``, ``score``, ...) are those of
    :class:`DensityRatioEstimator`.

    Parameters
    ----------
    classifier : estimator with ``fit`` and ``predict_proba``, default=None
        The classifier of each bridge (cloned per bridge). ``None`` chooses
        between two lightly penalised logistic regressions on standardised
        features: on the features and their pairwise products (``C=300``,
        ``PolynomialFeatures(2)``, well-specified for Gaussian waymarks, as
        the paper's quadratic heads) or on the features alone (``C=100``,
        right when the domains differ by a shift, where the products' many
        parameters only add noise over the bridges). Both are trained on half
        of a separate draw of pairs for the middle bridge and scored on the
        other half; the quadratic one is used for every bridge only when its
        held-out log-loss is lower than the linear one's by more than one
        standard error of the pair-by-pair difference (the
        one-standard-error rule: the middle bridge's classes barely differ,
        and the plain minimum would often pick the bigger model by chance),
        the linear one otherwise. The choice is made once, on the forward
        telescope's middle bridge, and both telescopes use it.
        ``classifier_.bridge_classifier_`` says which,
        ``classifier_.bridge_log_loss_`` and
        ``classifier_.bridge_log_loss_se_`` why.
    n_waymarks : int >= 0, default=19
        Number of intermediate waymarks ``M``: ``M + 1`` bridges, ``a_m =
        m / (M + 1)``. ``0`` is one classifier between the two domains. For
        Gaussians ``N(m_0, I)`` and ``N(m_0 + mu, I)`` the waymarks are
        ``N(m_0 + a_m mu, I)``, so each bridge's divergence is the total's
        divided by ``(M + 1)^2``.
    cv : int, cross-validation generator or iterable, default=5
        Folds of :meth:`fit_predict_weight`.
    power : float in [0, 1], default=1.0
        Flattening exponent: weights are ``w(x) ** power``.
    clip : float or (float, float), default=None
        Bounds of the weights after flattening.
    n_jobs : int, default=None
        Number of folds fitted in parallel by :meth:`fit_predict_weight`.
    random_state : int, RandomState instance or None, default=None
        Seeds the pairing of rows (a seed drawn from it per telescope) and
        the fold shuffling.
    target_label : int, float, bool or str, default=None
        The label of the target rows, as in :class:`DensityRatioEstimator`.

    Attributes
    ----------
    classifier_ : TelescopingClassifier
        The two telescopes fitted on all rows, ``classifier_.telescopes_ =
        (forward, backward)``: the forward one from the source to the
        target, the backward one fitted on the flipped labels, from the
        target to the source. Each has ``bridges_``,
        ``bridge_log_ratios(X)`` (the log-ratios of its own direction) and
        ``centre_``, the (weighted) mean of the domain it starts from, that
        its waymarks are mixed about. The estimated log-ratio is
        ``classifier_.log_ratio(X)``, the forward telescope's summed
        log-ratio minus the backward one's, halved: a single telescope's
        error leans on the sampling noise of the domain it starts from, and
        the average of the two directions weighs the two domains alike (see
        "Two directions" in the Notes).
    classes_ : ndarray of shape (2,)
        ``[source, target]``.
    prior_ratio_ : float
        ``n_0 / n_1`` of the rows seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    DensityRatioEstimator : One classifier, for domains that overlap.

    Notes
    -----
    **Waymarks.** The paper mixes the rows themselves, ``sqrt(1 - a^2) x_0 + a
    x_1``, whose mean ``sqrt(1 - a^2) m_0 + a m_1`` runs from ``m_0`` to
    ``m_1`` along the segment between them, evenly in ``a``, only when ``m_0 =
    0``. For data away from 0 (source ``N(100 * 1, I)``, target ``N(100 * 1 +
    mu, I)`` in 20-D) the middle waymarks lie far from both (at ``a = 1/2``
    the mean is ``1.37 m_0 + mu / 2``), the bridges span huge divergences and
    the summed log-ratio is wrong (one telescope: RMSE 283 at KL 20, seeds 0-4
    of ``benchmarks/telescoping.py``'s 20-D task, against 0.51 at ``m_0 = 0``;
    12.0 for a translation by 5), although a density ratio is unchanged by
    translating both samples. Mixing about ``c``, the source rows' mean
    weighted by ``sample_weight``, moves the waymark means to ``m_0 + a (m_1 -
    m_0)`` (``c = m_0`` is the one point that does) and leaves their
    covariances as they were (a constant does not enter them). The rows are
    centred on ``c`` before they are paired, and the bridges are fitted and
    predict on centred rows, so translating both samples leaves the bridges'
    rows and the weights unchanged up to rounding, whatever the bridge
    classifier. Keeping ``c`` in the waymarks instead (the bridges in the
    data's own coordinates) would do for the linear bridge, whose standardised
    features are translation-invariant, but not for the quadratic one: the
    products ``(x_i + c_i)(x_j + c_j)`` mix the features into the products,
    and the penalty of the standardised coefficients then depends on where the
    data lie.

    **Pairs.** Mixing needs pairs of a source and a target row, and every
    bridge draws its own (seeded by ``random_state``): every row of the larger
    domain once, in a random order, each with a row of the smaller domain,
    whose rows are used equally often (within one), in a random order. A
    logistic bridge's log-ratio depends on the covariance of its waymarks,
    ``(1 - a^2) S_0 + a^2 S_1 + a sqrt(1 - a^2) (C + C^T)``, where ``C``, the
    cross-covariance of the paired rows, is zero in expectation but of order
    ``n^(-1/2)`` in any one draw. Pairs shared by all the bridges put the same
    ``C`` into every bridge, so its error adds up over the bridges instead of
    averaging out (their coefficient errors correlate about 0.7), and drawing
    the smaller domain with replacement adds a resample's covariance error to
    every waymark. On the 20-D Gaussian shift of ``benchmarks/telescoping.py``
    (KL 20 nats, 5000 rows per domain, linear bridges, seeds 0-19, one
    telescope), the log-ratio RMSE is 0.589 +- 0.038 with shared pairs drawn
    with replacement and 0.500 +- 0.032 with fresh, balanced pairs (paired
    difference -0.089 +- 0.026; at KL 40, 0.999 against 0.869), at no extra
    cost. Most of what remains is the covariance error of the training rows
    themselves: the well-specified fit, a Gaussian with a pooled covariance,
    has 0.46 on the same rows (seeds 0-11). The default classifier's choice
    draws one more set of pairs, for the middle bridge, so that no fitted
    bridge's pairs score it. A pair weighs the product of its rows'
    ``sample_weight``. The prior ratio does not enter the bridges (each bridge
    compares equally many rows) and the estimated ``log p_target / p_source``
    does not depend on ``n_0 / n_1``.

    **Bridge choice.** With 20 bridges the middle one compares waymarks ``KL /
    400`` nats apart, where the held-out log-losses of the nested linear and
    quadratic classes differ mostly by noise. On the 2-D Gaussian shift of
    ``benchmarks/telescoping.py`` (seeds 0-4, one telescope), the lower of the
    two chose quadratic bridges on some seeds, RMSE 0.27, 0.59, 1.38 at KL 10,
    20, 40 nats; the one-standard-error rule chooses linear on every seed,
    0.15, 0.28, 0.53. On the mutual-information task (a change of covariance,
    quadratic log-ratios) it chooses quadratic on every seed.

    **Two directions.** The waymark ``a`` holds ``1 - a^2`` of a source row
    and ``a^2`` of a target row (in variance), so the bridges of one
    telescope see mostly source rows: over the bridges, the source sample's
    share is the integral of ``1 - a^2`` over ``[0, 1]``, 2/3, and the
    target's 1/3. Its error (mostly the sampling error of the covariances
    of the rows it mixes, see "Pairs") weighs the source's sampling noise
    twice as much as the target's, and the estimate leans the same way. The
    telescope fitted from the target to the source (the labels flipped, the
    waymarks mixed about the target's mean, pairs of its own) has the
    shares the other way round; with ``f`` and ``b`` the two summed
    log-ratios, ``(f - b) / 2`` weighs each domain 1/2, and averages the two
    telescopes' pairing and fitting noise, which are drawn independently.
    On ``benchmarks/telescoping.py`` (seeds 0-4), one telescope against the
    average: 20-D Gaussian shift, KL 10, 20, 40, 80 nats, log-ratio RMSE
    0.31, 0.51, 0.89, 1.67 against 0.27, 0.44, 0.76, 1.40; 2-D shift, KL
    10, 20, 40: 0.15, 0.28, 0.52 against 0.14, 0.25, 0.46; mutual
    information 10, 20, 40 nats: RMSE 0.37, 1.11, 4.38 against 0.28, 0.66,
    1.88, estimates 9.87, 19.63, 37.01 against 9.97, 19.99, 40.50. At KL 20
    in 20-D, two separately seeded one-way fits averaged gained 0.066 +-
    0.033 in RMSE (paired, seeds 0-4) and 0.497 against 0.477 on seeds
    5-19. It costs twice the fitting time of one telescope.

    **Input.** Dense numeric arrays: mixing rows needs numbers; NaN, sparse
    input and string columns are refused.

    Examples
    --------
    >>> import numpy as np
    >>> from skratio import TelescopingRatio, stack_domains
    >>> rng = np.random.default_rng(0)
    >>> X, y = stack_domains(rng.normal(0, 1, (1000, 1)), rng.normal(8, 1, (1000, 1)))
    >>> ratio = TelescopingRatio(random_state=0).fit(X, y)
    >>> forward, backward = ratio.classifier_.telescopes_
    >>> len(forward.bridges_), len(backward.bridges_)
    (20, 20)
    >>> true_log_ratio = 8 * X[:, 0] - 32  # log N(x; 8, 1) - log N(x; 0, 1)
    >>> error = ratio.predict_log_weight(X) - true_log_ratio
    >>> bool(np.sqrt(np.mean(error ** 2)) < 10.0)  # a single classifier: 25
    True
    """

    _parameter_constraints = {
        **RatioParamsMixin._parameter_constraints,
        "n_waymarks": [IntegerInterval(0, None, closed="left")],
    }

    _log_odds = staticmethod(_telescoping_log_odds)

    def __init__(
        self,
        classifier=None,
        *,
        n_waymarks=19,
        cv=5,
        power=1.0,
        clip=None,
        n_jobs=None,
        random_state=None,
        target_label=None,
    ):
        super().__init__(
            classifier,
            cv=cv,
            power=power,
            clip=clip,
            n_jobs=n_jobs,
            random_state=random_state,
            target_label=target_label,
        )
        self.n_waymarks = n_waymarks

    def _domain_classifier(self, sparse_input=False):
        return TelescopingClassifier(
            self.classifier, n_waymarks=self.n_waymarks, random_state=self.random_state
        )

    def _classifier_fit_params(self, sample_weight):
        # The weights always reach the TelescopingClassifier, whose pairs and
        # prior ratio use them; it routes them on to the bridges itself.
        return {} if sample_weight is None else {"sample_weight": sample_weight}
