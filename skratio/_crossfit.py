"""Cross-fitting: held-out log-odds, and their calibration.

:class:`~skratio._base.BaseRatioEstimator` fits its classifier on the training
part of each fold and reads the log-odds of the held-out part. Here: the
folds (checked to hold out every row once and to hold every domain in each
training part), the held-out log-odds and prior ratios of every row, one
column per source, the calibration fitted on them (:mod:`skratio._scaling`),
with the prior counted once, and the calibrated ensembles of the out-of-fold
weights (:func:`ensembled_held_out_log_weight`).
"""

from numbers import Integral

import numpy as np
from scipy.special import log_expit
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed

from ._protocol import domain_folds
from ._scaling import fit_log_odds_scaling, replace_saturated, saturation_bounds
from ._weights import prior_ratio_from_counts, source_prior_ratios

# Folds of the held-out log-odds that ``fit`` calibrates on. Two folds fit the
# classifier twice on half the rows, about the cost of one more fit on all of
# them, and give every row a held-out log-odds; fit_predict_weight calibrates
# the models of its own cross-fitting folds instead (ENSEMBLE_FOLDS).
CALIBRATION_FOLDS = 2

# Calibrated models averaged for each row's out-of-fold weight in
# fit_predict_weight: one per inner fold of the training part of the fold that
# held the row out. With a misspecified classifier (a linear log-odds where
# the log-ratio is not), the likelihood calibration of one model leaves the
# weights too spread; averaging the probabilities of models fitted and
# calibrated on different rows shrinks them where the models disagree (the
# ensemble of scikit-learn's CalibratedClassifierCV). On the nonlinear
# selections of benchmarks/covariate_shift.py this lowers the log-ratio RMSE
# by 0.02-0.05 at about 3.5 times the cost; 2 or 3 models missed wine's.
ENSEMBLE_FOLDS = 5


def _too_few_rows(estimator_name, y_encoded, n_folds, why):
    counts = np.bincount(y_encoded)
    sources = " + ".join(str(count) for count in counts[:-1])
    return ValueError(
        f"{estimator_name} cannot cross-fit: {why}. The domains have "
        f"{sources} source and {counts[-1]} target rows; each needs rows in the "
        f"training part of every fold ({n_folds}). Give more rows of the smaller "
        "domain, or fewer folds (cv=...); fit calibrates on 2 folds unless "
        "calibration=None."
    )


def cross_fitting_folds(X, y_encoded, cv, random_state, estimator_name):
    """The ``(train, test)`` folds of ``cv``, each training part with every domain.

    ``y_encoded`` holds the positions ``0 .. K`` of the domains (the target
    ``K``). An int ``cv`` is a shuffled stratified k-fold seeded by
    ``random_state`` (:func:`~skratio._protocol.domain_folds`).
    """
    n_domains = int(y_encoded.max()) + 1
    # A domain of one row leaves the training rows of its fold without it
    # (scikit-learn's splitter would stop with a vaguer message).
    if isinstance(cv, Integral) and np.bincount(y_encoded).min() < 2:
        raise _too_few_rows(estimator_name, y_encoded, cv, "a domain has a single row")
    folds = list(domain_folds(cv, y_encoded, random_state).split(X, y_encoded))
    # Each row's out-of-fold weight comes from the fold that held it out: a
    # row held out by none (or by two) would get no weight (or a mixture).
    held_out = np.bincount(
        np.concatenate([test for _, test in folds]), minlength=X.shape[0]
    )
    if np.any(held_out != 1):
        raise ValueError(
            f"{estimator_name} cross-fits on folds that hold out every row once; "
            f"{int(np.sum(held_out == 0))} rows are held out by no fold and "
            f"{int(np.sum(held_out > 1))} by several. Use a partition such as "
            "KFold or StratifiedKFold for cv."
        )
    for position, (train, _) in enumerate(folds):
        if np.unique(y_encoded[train]).shape[0] < n_domains:
            raise _too_few_rows(
                estimator_name,
                y_encoded,
                len(folds),
                f"the training rows of fold {position} miss a domain",
            )
    return folds


def as_columns(values):
    """Per-source values of every row as a (n, K) array: (n,) is one source."""
    return np.reshape(values, (values.shape[0], -1))


def prior_ratios(prior_ratio, y_encoded, sample_weight, classifier):
    """``n_k / n_target`` of the K sources: the stated one, or from the counts."""
    if prior_ratio is not None:
        return np.array([float(prior_ratio)])
    return source_prior_ratios(y_encoded, sample_weight, classifier)


def _fit_and_read_log_odds(
    classifier,
    X,
    y_encoded,
    sample_weight,
    fit_params,
    train,
    read,
    prior_ratio,
    log_odds,
):
    """Fit a clone on ``train``: ``(log prior ratios (K,), [log-odds (m, K)])``.

    One log-odds array for each index array in ``read``.
    """
    classifier = clone(classifier).fit(X[train], y_encoded[train], **fit_params)
    fold_prior_ratios = prior_ratios(
        prior_ratio, y_encoded[train], sample_weight[train], classifier
    )
    return np.log(fold_prior_ratios), [
        as_columns(log_odds(classifier, X[rows])) for rows in read
    ]


def held_out_log_odds(
    classifier,
    X,
    y_encoded,
    sample_weight,
    fold_fit_params,
    folds,
    prior_ratio,
    log_odds,
    n_jobs,
):
    """``(log prior ratios, log-odds)`` of every row, (n, K) each.

    Each row's from the clone of ``classifier`` fitted on the training part of
    the fold that held the row out (with that fold's ``fold_fit_params``);
    ``log_odds(classifier, X)`` reads a fitted clone's log-odds. The folds are
    fitted in parallel (``n_jobs``).
    """
    raw = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_read_log_odds)(
            classifier,
            X,
            y_encoded,
            sample_weight,
            fit_params,
            train,
            [test],
            prior_ratio,
            log_odds,
        )
        for (train, test), fit_params in zip(folds, fold_fit_params)
    )
    n_sources = raw[0][0].shape[0]
    log_prior = np.empty((X.shape[0], n_sources))
    log_odds = np.empty((X.shape[0], n_sources))
    for (_, test), (fold_log_prior, (fold_log_odds,)) in zip(folds, raw):
        log_prior[test] = fold_log_prior
        log_odds[test] = fold_log_odds
    return log_prior, log_odds


def fit_calibration(log_prior, log_odds, y_encoded, sample_weight, method):
    """Calibration of held-out log-odds: ``(scale, shift, bounds, log_count_ratio)``.

    The classifier's log-odds carry its class weights and the prior it was
    trained under (hence the per-row ``log_prior``, from the prior ratio of the
    fold that held the row out), while the held-out labels carry the domains'
    actual proportions ``n_0 / n_1``. The calibration is therefore fitted to
    ``s + log_prior - log(n_0 / n_1)``, the log-odds of a classifier trained
    on the proportions as they are, and :func:`calibrated_log_weight` adds
    ``log(n_0 / n_1)`` back: the prior counts once. (Fitting the raw log-odds
    and adding ``log_prior`` afterwards counted a class weight of 10 twice:
    every weight 10 times too large or too small.) Saturated log-odds (a
    probability of exactly 0 or 1) are bounded first
    (:func:`~skratio._scaling.saturation_bounds`). Two domains: the arrays
    are of shape (n_samples,).
    """
    bounds = saturation_bounds(log_odds)
    log_count_ratio = np.log(prior_ratio_from_counts(y_encoded, sample_weight))
    scale, shift = fit_log_odds_scaling(
        replace_saturated(log_odds.copy(), bounds) + log_prior - log_count_ratio,
        y_encoded,
        sample_weight,
        method,
    )
    return scale, shift, bounds, log_count_ratio


def calibrated_log_weight(calibration, log_prior, log_odds):
    """Log-weights of held-out ``log_odds`` through a :func:`fit_calibration`."""
    scale, shift, bounds, log_count_ratio = calibration
    log_odds = replace_saturated(log_odds.copy(), bounds)
    return log_count_ratio + scale * (log_odds + log_prior - log_count_ratio) + shift


def ensembled_held_out_log_weight(
    classifier,
    X,
    y_encoded,
    sample_weight,
    fold_fit_params,
    folds,
    prior_ratio,
    log_odds,
    method,
    n_jobs,
):
    """Out-of-fold log-weights (n,) of calibrated ensembles, and a calibration.

    ``folds`` lists ``(test, inner)`` pairs: the rows a fold holds out and the
    ``(train, held_out)`` inner folds of its training part, with
    ``fold_fit_params`` for each inner ``train`` in the same order. Every
    inner model is calibrated on its own ``held_out`` rows
    (:func:`fit_calibration`); a row's log-weight is the log count ratio plus
    the logit of the mean of its fold's models' calibrated probabilities.
    The calibration returned, for the classifier fitted on all rows, is
    fitted on every inner model's held-out log-odds pooled. Two domains.
    """
    jobs = [
        (test, train, held_out) for test, inner in folds for train, held_out in inner
    ]
    raw = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_read_log_odds)(
            classifier,
            X,
            y_encoded,
            sample_weight,
            fit_params,
            train,
            [held_out, test],
            prior_ratio,
            log_odds,
        )
        for (test, train, held_out), fit_params in zip(jobs, fold_fit_params)
    )
    n_rows = X.shape[0]
    # log of the sums of each row's calibrated P(target) and P(source)
    log_target, log_source = np.full(n_rows, -np.inf), np.full(n_rows, -np.inf)
    pooled = []
    for (test, _, held_out), (log_prior, (held_out_odds, test_odds)) in zip(jobs, raw):
        held_out_prior = np.full(held_out.shape[0], log_prior[0])
        calibration = fit_calibration(
            held_out_prior,
            held_out_odds[:, 0],
            y_encoded[held_out],
            sample_weight[held_out],
            method,
        )
        pooled.append((held_out_prior, held_out_odds[:, 0], held_out))
        calibrated = (
            calibrated_log_weight(
                calibration, np.full(test.shape[0], log_prior[0]), test_odds[:, 0]
            )
            - calibration[3]
        )
        log_target[test] = np.logaddexp(log_target[test], log_expit(calibrated))
        log_source[test] = np.logaddexp(log_source[test], log_expit(-calibrated))
    log_count_ratio = np.log(prior_ratio_from_counts(y_encoded, sample_weight))
    log_prior, log_odds, rows = (np.concatenate(parts) for parts in zip(*pooled))
    calibration = fit_calibration(
        log_prior, log_odds, y_encoded[rows], sample_weight[rows], method
    )
    return log_count_ratio + log_target - log_source, calibration


def check_fitted_on_domain_labels(classifier, y_encoded):
    """Refuse a fitted classifier whose classes are not the encoded domains.

    A classifier fitted here always learns ``0 .. K`` (sources first, the
    target last). One that was fitted beforehand and frozen
    (:class:`~sklearn.frozen.FrozenEstimator`) keeps the labels it was
    trained on; its probability columns would then be read as the wrong
    domains, giving inverted or meaningless weights without an error.
    """
    classes = getattr(classifier, "classes_", None)
    expected = np.arange(int(y_encoded.max()) + 1)
    if classes is not None and not np.array_equal(np.asarray(classes), expected):
        raise ValueError(
            f"The domain classifier's classes are {np.asarray(classes).tolist()!r}, "
            f"not the domain labels {expected.tolist()!r} (sources first, the "
            "target last): a frozen classifier must have been fitted on y "
            "encoded that way (0 = source, 1 = target for two domains), or its "
            "probability columns would be read as the wrong domains."
        )
