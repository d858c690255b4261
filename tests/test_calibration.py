"""CalibratedRatio: recalibrated domain classifiers give trustworthy ratios."""

import numpy as np
import pytest
import sklearn
from scipy import sparse
from scipy.special import logit
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KernelDensity, KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skratio import (
    CalibratedRatio,
    DensityRatioEstimator,
    ReweightedEstimator,
    TelescopingRatio,
    WeightCollapseWarning,
    WeightedGenerativeTrainer,
)
from skratio.datasets import make_gaussian_shift

COPIES = 5


def _duplicated_gaussian_shift(n_source, n_target, random_state):
    """A Gaussian shift (norm 1, 2 features) whose features are repeated.

    The density ratio does not change (the copies are functions of the
    originals), the log-ratio stays linear in x, but naive Bayes counts every
    piece of evidence COPIES times: its log-odds are about COPIES times the
    true log-ratio.
    """
    X, y, log_ratio = make_gaussian_shift(
        n_source, n_target, n_features=2, random_state=random_state
    )
    return np.repeat(X, COPIES, axis=1), y, log_ratio


@pytest.fixture(scope="module")
def duplicated():
    train = _duplicated_gaussian_shift(2000, 2000, random_state=0)
    test = _duplicated_gaussian_shift(2000, 2000, random_state=1)
    return train, test


def _rmse(ratio, X, log_ratio):
    return float(np.sqrt(np.mean((ratio.predict_log_weight(X) - log_ratio) ** 2)))


def test_sigmoid_on_log_odds_undoes_an_overconfident_classifier(duplicated):
    (X, y, _), (X_test, _, log_ratio_test) = duplicated
    naive = DensityRatioEstimator(GaussianNB(), calibration=None).fit(X, y)
    calibrated = CalibratedRatio(DensityRatioEstimator(GaussianNB())).fit(X, y)
    logistic = DensityRatioEstimator().fit(X, y)
    # With f the true log-ratio, naive Bayes predicts about COPIES * f, an
    # error of (COPIES - 1) |f|; f ~ N(-1/2, 1) on the source and N(1/2, 1) on
    # the target, so E f^2 = 5/4 and the RMSE is about 4 * 1.12 = 4.5.
    expected_naive_error = (COPIES - 1) * np.sqrt(1.25)
    assert _rmse(naive, X_test, log_ratio_test) > 0.5 * expected_naive_error
    # A sigmoid of the log-odds, a * logit c + b, contains the truth
    # (a = 1 / COPIES): only estimation error is left, as for the
    # well-specified logistic regression (the goal: within 0.1).
    calibrated_error = _rmse(calibrated, X_test, log_ratio_test)
    assert calibrated_error < 0.1 * expected_naive_error
    assert calibrated_error <= _rmse(logistic, X_test, log_ratio_test) + 0.1


def test_sigmoid_on_probabilities_cannot_undo_overconfidence(duplicated):
    # scikit-learn's own calibration of naive Bayes works on predict_proba:
    # its log-odds a * c(x) + b are bounded by |a| + |b| and flat where c(x)
    # saturates at 0 or 1, while the true log-ratio is linear and unbounded.
    (X, y, _), (X_test, _, log_ratio_test) = duplicated
    on_probabilities = DensityRatioEstimator(CalibratedClassifierCV(GaussianNB())).fit(
        X, y
    )
    on_log_odds = CalibratedRatio(DensityRatioEstimator(GaussianNB())).fit(X, y)
    assert _rmse(on_probabilities, X_test, log_ratio_test) > 2 * _rmse(
        on_log_odds, X_test, log_ratio_test
    )


def test_calibration_error_reported_before_and_after(duplicated):
    (X, y, _), _ = duplicated
    calibrated = CalibratedRatio(DensityRatioEstimator(GaussianNB())).fit(X, y)
    errors = calibrated.calibration_error_
    assert set(errors) == {"before", "after"}
    # Before: naive Bayes predicts sigmoid(5 f) where the truth is sigmoid(f);
    # the gap |sigmoid(5 f) - sigmoid(f)| is 0.26-0.30 for |f| in [0.5, 1],
    # where most rows lie, so the ECE is well above 0.1.
    assert errors["before"] > 0.1
    # After: a calibrated classifier's ECE is label noise, on average at most
    # 0.5 * sqrt(10 bins / 4000 rows) = 0.025 (Jensen and Cauchy-Schwarz);
    # 0.075 leaves three times that for noise and the calibrator's own error.
    assert errors["after"] < 0.075


def test_prior_correction_with_unbalanced_domains():
    # gamma = 4: without log(gamma) the log-weights would all be off by
    # log 4 = 1.39, an RMSE of at least 1.39 minus the estimation error.
    X, y, _ = make_gaussian_shift(4000, 1000, n_features=2, random_state=0)
    X_test, _, log_ratio_test = make_gaussian_shift(
        4000, 1000, n_features=2, random_state=1
    )
    calibrated = CalibratedRatio().fit(X, y)
    assert calibrated.prior_ratio_ == pytest.approx(4.0)
    assert _rmse(calibrated, X_test, log_ratio_test) < 0.3
    proba = np.clip(calibrated.predict_proba(X_test)[:, 1], 1e-15, 1 - 1e-15)
    np.testing.assert_allclose(
        calibrated.predict_log_weight(X_test), np.log(4.0) + logit(proba), atol=1e-6
    )


def test_isotonic_probabilities_of_zero_and_one_give_finite_log_weights():
    # Domains 4 standard deviations apart: isotonic regression maps the
    # extreme log-odds, where the calibration folds hold one domain only, to
    # probabilities of exactly 0 and 1.
    X, y, _ = make_gaussian_shift(300, 300, n_features=1, shift=4.0, random_state=0)
    calibrated = CalibratedRatio(
        DensityRatioEstimator(random_state=0), method="isotonic", cv=3
    ).fit(X, y)
    X_far = np.array([[-20.0], [-5.0], [5.0], [15.0], [40.0]])
    proba = calibrated.predict_proba(np.vstack([X, X_far]))[:, 1]
    assert np.any(proba == 0.0) and np.any(proba == 1.0)
    log_weight = calibrated.predict_log_weight(np.vstack([X, X_far]))
    assert np.all(np.isfinite(log_weight))
    weight = calibrated.predict_weight(X_far)
    assert np.all(np.isfinite(weight)) and np.all(weight > 0)
    # Monotone in the evidence: the far target side gets the largest weight.
    assert weight[-1] == weight.max() and weight[0] == weight.min()
    # Separated domains: the weights collapse, and the warning says so.
    with pytest.warns(WeightCollapseWarning):
        out_of_fold = calibrated.fit_predict_weight(X, y)
    assert np.all(np.isfinite(out_of_fold)) and np.all(out_of_fold > 0)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
def test_power_and_clip_of_the_wrapped_estimator_are_applied(method):
    X, y, _ = make_gaussian_shift(300, 300, n_features=2, shift=2.0, random_state=0)
    plain = CalibratedRatio(method=method, cv=3).fit(X, y)
    processed = CalibratedRatio(
        DensityRatioEstimator(power=0.5, clip=(0.5, 2.0)), method=method, cv=3
    ).fit(X, y)
    expected = np.clip(0.5 * plain.predict_log_weight(X), np.log(0.5), np.log(2.0))
    np.testing.assert_allclose(processed.predict_log_weight(X), expected, atol=1e-12)
    assert processed.predict_weight(X).max() <= 2.0


def test_fit_predict_weight_gives_out_of_fold_weights_then_fits():
    X, y, _ = make_gaussian_shift(400, 200, n_features=2, random_state=0)
    ratio = CalibratedRatio(
        DensityRatioEstimator(GaussianNB(), cv=3, random_state=0), cv=3
    )
    weights = ratio.fit_predict_weight(X, y)
    assert (
        weights.shape == (600,) and np.all(np.isfinite(weights)) and np.all(weights > 0)
    )
    # Out of fold: not the in-sample weights of the final fit.
    assert not np.allclose(weights, ratio.predict_weight(X))
    refit = CalibratedRatio(DensityRatioEstimator(GaussianNB()), cv=3).fit(X, y)
    np.testing.assert_allclose(ratio.predict_weight(X), refit.predict_weight(X))
    assert set(ratio.calibration_error_) == {"before", "after"}


def test_frozen_classifier_is_calibrated_on_held_out_rows():
    X, y, _ = _duplicated_gaussian_shift(1000, 1000, random_state=0)
    X_held, y_held, _ = _duplicated_gaussian_shift(1000, 1000, random_state=1)
    X_test, _, log_ratio_test = _duplicated_gaussian_shift(1000, 1000, random_state=2)
    naive_bayes = GaussianNB().fit(X, y)
    theta = naive_bayes.theta_.copy()
    calibrated = CalibratedRatio(
        DensityRatioEstimator(FrozenEstimator(naive_bayes))
    ).fit(X_held, y_held)
    # One calibrator on all held-out rows; the classifier was not refitted.
    (pair,) = calibrated.classifier_.calibrated_classifiers_
    assert pair.estimator.estimator_.classifier_.estimator is naive_bayes
    np.testing.assert_array_equal(naive_bayes.theta_, theta)
    assert _rmse(calibrated, X_test, log_ratio_test) < 0.1 * (COPIES - 1) * np.sqrt(
        1.25
    )


@pytest.mark.parametrize(
    "make_estimator",
    [
        lambda frozen: CalibratedRatio(DensityRatioEstimator(frozen)),
        DensityRatioEstimator,
        lambda frozen: DensityRatioEstimator(frozen, calibration=None),
    ],
    ids=["calibrated", "default", "uncalibrated"],
)
@pytest.mark.parametrize("labels", [(1, 2), (2, 1)])
def test_frozen_classifier_must_know_the_domain_labels(make_estimator, labels):
    # Fitted on labels (2, 1), its second probability column is the source's:
    # read as the target's it would invert every weight. Every path refuses.
    X, y, _ = make_gaussian_shift(100, 100, random_state=0)
    frozen = FrozenEstimator(LogisticRegression().fit(X, np.where(y == 0, *labels)))
    with pytest.raises(ValueError, match=r"domain labels \[0, 1\]"):
        make_estimator(frozen).fit(X, y)


def test_sparse_input_and_string_labels():
    X, y, _ = make_gaussian_shift(300, 300, random_state=0)
    labels = np.where(y == 1, "reference", "biased")
    # A bare logistic regression treats sparse and dense input alike (the
    # default classifier centres dense input only).
    estimator = DensityRatioEstimator(LogisticRegression(), target_label="reference")
    dense = CalibratedRatio(estimator).fit(X, labels)
    sparse_fit = CalibratedRatio(estimator).fit(sparse.csr_matrix(X), labels)
    np.testing.assert_array_equal(dense.classes_, ["biased", "reference"])
    np.testing.assert_allclose(
        dense.predict_weight(X),
        sparse_fit.predict_weight(sparse.csr_matrix(X)),
        rtol=1e-6,
    )
    assert dense.score(X, labels) == pytest.approx(
        sparse_fit.score(X, labels), rel=1e-6
    )
    assert set(dense.predict(X[:10])) <= {"biased", "reference"}


class _WeightRecordingLogisticRegression(LogisticRegression):
    """Records the sample weights that reach ``fit``."""

    received = []

    def fit(self, X, y, sample_weight=None):
        type(self).received.append(sample_weight)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture
def recording():
    _WeightRecordingLogisticRegression.received = []
    return _WeightRecordingLogisticRegression


def _weighted_data():
    X, y, _ = make_gaussian_shift(300, 200, n_features=2, random_state=0)
    sample_weight = np.random.default_rng(0).integers(1, 4, y.shape[0]).astype(float)
    return X, y, sample_weight


def test_metadata_routing_sends_sample_weight_to_the_classifier(recording):
    X, y, sample_weight = _weighted_data()
    with sklearn.config_context(enable_metadata_routing=True):
        ratio = CalibratedRatio(
            DensityRatioEstimator(recording().set_fit_request(sample_weight=True)), cv=3
        ).fit(X, y, sample_weight=sample_weight)
    # 3 calibration folds and 3 folds of the held-out calibration error (the
    # wrapped estimator's own calibration is off: it would fit twice more each).
    assert len(recording.received) == 6
    for received in recording.received:
        assert received is not None
        assert np.isin(received, sample_weight).all() and received.shape[0] < y.shape[0]
    # The prior ratio uses the weights too.
    assert ratio.prior_ratio_ == pytest.approx(
        sample_weight[y == 0].sum() / sample_weight[y == 1].sum()
    )


def test_metadata_routing_respects_a_classifier_that_declines(recording):
    X, y, sample_weight = _weighted_data()
    with sklearn.config_context(enable_metadata_routing=True):
        weighted = CalibratedRatio(
            DensityRatioEstimator(recording().set_fit_request(sample_weight=False)),
            cv=3,
        ).fit(X, y, sample_weight=sample_weight)
        assert all(received is None for received in recording.received)
        unweighted = CalibratedRatio(
            DensityRatioEstimator(recording().set_fit_request(sample_weight=False)),
            cv=3,
        ).fit(X, y)
    # The calibrators still use the weights, so the probabilities differ.
    assert not np.allclose(weighted.predict_proba(X), unweighted.predict_proba(X))


def test_metadata_routing_from_a_grid_search_to_the_classifier(recording):
    X, y, sample_weight = _weighted_data()
    with sklearn.config_context(enable_metadata_routing=True):
        ratio = (
            CalibratedRatio(
                DensityRatioEstimator(recording().set_fit_request(sample_weight=True)),
                cv=2,
            )
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True)
        )
        GridSearchCV(ratio, {"method": ["sigmoid", "temperature"]}, cv=2).fit(
            X, y, sample_weight=sample_weight
        )
    # 2 candidates x 2 search folds x (2 calibration + 2 error folds), then
    # the refit on all rows (2 + 2).
    assert len(recording.received) == 20
    assert all(received is not None for received in recording.received)


def test_pipeline_classifier_receives_sample_weight_without_routing(recording):
    X, y, sample_weight = _weighted_data()
    pipeline = make_pipeline(StandardScaler(), recording())
    CalibratedRatio(DensityRatioEstimator(pipeline), cv=3).fit(
        X, y, sample_weight=sample_weight
    )
    assert len(recording.received) == 6
    assert all(received is not None for received in recording.received)


def test_classifier_without_sample_weight_is_a_clear_error():
    X, y, sample_weight = _weighted_data()
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        CalibratedRatio(DensityRatioEstimator(KNeighborsClassifier())).fit(
            X, y, sample_weight=sample_weight
        )


def test_grid_search_over_calibration_parameters(duplicated):
    (X, y, _), _ = duplicated
    search = GridSearchCV(
        CalibratedRatio(DensityRatioEstimator(GaussianNB())),
        {"method": ["sigmoid", "isotonic"], "cv": [2, 3]},
        cv=3,
    ).fit(X[::5], y[::5])
    scores = dict(
        zip(
            [(p["method"], p["cv"]) for p in search.cv_results_["params"]],
            search.cv_results_["mean_test_score"],
        )
    )
    # The sigmoid of naive Bayes's log-odds contains the truth, whereas the
    # isotonic fit is a step function of them and loses the log-likelihood of
    # the variation within its steps: the sigmoid wins the NCE at each cv.
    for cv in (2, 3):
        assert scores[("sigmoid", cv)] > scores[("isotonic", cv)]
    assert search.best_params_["method"] == "sigmoid"
    assert isinstance(search.best_estimator_, CalibratedRatio)
    assert search.best_estimator_.calibration_error_["after"] < 0.1


def test_grid_search_over_the_wrapped_estimator_parameters():
    X, y, _ = make_gaussian_shift(200, 200, random_state=0)
    search = GridSearchCV(
        CalibratedRatio(DensityRatioEstimator(), cv=3),
        {"estimator__classifier": [GaussianNB(), LogisticRegression()]},
        cv=3,
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(method="platt"), ValueError, "method"),
        (dict(estimator=LogisticRegression()), ValueError, "estimator"),
        (dict(ensemble="sometimes"), ValueError, "ensemble"),
    ],
)
def test_invalid_parameters_are_rejected(params, error, message):
    X, y, _ = make_gaussian_shift(50, 50, random_state=0)
    with pytest.raises(error, match=message):
        CalibratedRatio(**params).fit(X, y)


def test_bad_input_is_a_clear_error():
    X, y, _ = make_gaussian_shift(50, 50, random_state=0)
    with pytest.raises(NotFittedError):
        CalibratedRatio().predict_weight(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CalibratedRatio().fit(X_nan, y)
    with pytest.raises(ValueError, match="two domains"):
        CalibratedRatio().fit(X, np.zeros_like(y))
    ratio = CalibratedRatio().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        ratio.predict_weight(X[:, :1])


def test_missing_values_pass_through_to_a_classifier_that_accepts_them():
    X, y, _ = make_gaussian_shift(300, 300, random_state=0)
    X[::5, 0] = np.nan
    ratio = CalibratedRatio(
        DensityRatioEstimator(HistGradientBoostingClassifier(max_iter=20)), cv=3
    ).fit(X, y)
    assert np.all(np.isfinite(ratio.predict_log_weight(X)))
    with pytest.raises(ValueError, match="NaN"):
        CalibratedRatio(cv=3).fit(X, y)


def test_the_wrapped_target_label_is_followed_or_refused_never_inverted():
    # On its own, CalibratedRatio follows the wrapped estimator's target_label:
    # target 0 asks for p_0 / p_1, the inverse ratio, and says so in classes_.
    X, y, log_ratio = make_gaussian_shift(300, 300, n_features=2, random_state=0)
    inner = DensityRatioEstimator(target_label=0, random_state=0)
    ratio = CalibratedRatio(inner).fit(X, y)
    assert ratio.classes_.tolist() == [1, 0]
    assert np.corrcoef(ratio.predict_log_weight(X), -log_ratio)[0, 1] > 0.95
    # Meta-estimators fit it on their own 0/1 labels (target 1): a target_label
    # of 0 inside would silently invert their weights, so they refuse it.
    with pytest.raises(ValueError, match="estimator__target_label=0 disagrees"):
        WeightedGenerativeTrainer(KernelDensity(), CalibratedRatio(inner)).fit(X, y)
    labels = np.where(y == 1, np.nan, X[:, 0])
    with pytest.raises(ValueError, match="estimator__target_label=0 disagrees"):
        ReweightedEstimator(Ridge(), CalibratedRatio(inner)).fit(X, labels)


class _OverconfidentGaussianRatio(BaseEstimator):
    """A ratio estimator that is not a DensityRatioEstimator: ``scale`` times
    the log-ratio of two unit-covariance Gaussians with the fitted means.

    Implements the protocol only (``fit``, ``predict_log_weight``,
    ``predict_weight``, ``fit_predict_weight``, ``classes_``,
    ``prior_ratio_``); ``log w = log prior_ratio_ + logit c``.
    """

    def __init__(self, scale=3.0):
        self.scale = scale

    def fit(self, X, y, sample_weight=None):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        weight = np.ones(y.shape[0]) if sample_weight is None else sample_weight
        self.classes_ = np.array([0, 1])
        self.means_ = [
            np.average(X[y == label], axis=0, weights=weight[y == label])
            for label in self.classes_
        ]
        self.prior_ratio_ = weight[y == 0].sum() / weight[y == 1].sum()
        return self

    def predict_log_weight(self, X):
        source, target = self.means_
        log_ratio = (
            np.asarray(X) @ (target - source) - (target @ target - source @ source) / 2
        )
        return self.scale * log_ratio

    def predict_weight(self, X):
        return np.exp(self.predict_log_weight(X))

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        return self.fit(X, y, sample_weight).predict_weight(X)


def test_a_ratio_estimator_of_the_protocol_is_calibrated():
    # Source N(0, I) and target N(m, I), |m| = 1: the true log-ratio f is
    # linear, and the stub predicts 3 f (up to the error of its means).
    X, y, _ = make_gaussian_shift(3000, 1000, n_features=2, random_state=0)
    X_test, _, log_ratio_test = make_gaussian_shift(
        3000, 1000, n_features=2, random_state=1
    )
    stub = _OverconfidentGaussianRatio().fit(X, y)
    calibrated = CalibratedRatio(_OverconfidentGaussianRatio()).fit(X, y)
    # The stub's error is 2 |f|, with E f^2 = 5/4 (as for naive Bayes above,
    # with 3 copies): an RMSE of about 2.2.
    expected_stub_error = 2 * np.sqrt(1.25)
    assert _rmse(stub, X_test, log_ratio_test) > 0.5 * expected_stub_error
    # The sigmoid a (3 f - log gamma) + b contains the truth (a = 1/3); the
    # calibration rows' counts give gamma = 3000 / 1000 exactly.
    assert calibrated.prior_ratio_ == pytest.approx(3.0)
    # Left: the error of the fitted means (standard errors 1/sqrt(1000) and
    # 1/sqrt(3000) per coordinate, about 0.05 on f at a typical |x|) and of the
    # calibrator's two parameters; 0.15 bounds both.
    assert _rmse(calibrated, X_test, log_ratio_test) < 0.15
    # Each fold refitted the stub itself (no DensityRatioEstimator inside).
    fitted = [
        pair.estimator.estimator_
        for pair in calibrated.classifier_.calibrated_classifiers_
    ]
    assert len(fitted) == 5
    assert all(isinstance(ratio, _OverconfidentGaussianRatio) for ratio in fitted)


def test_a_telescoping_ratio_is_calibrated_then_flattened_and_clipped():
    X, y, _ = make_gaussian_shift(600, 600, n_features=2, random_state=0)
    X_test, _, log_ratio_test = make_gaussian_shift(
        600, 600, n_features=2, random_state=1
    )
    plain = CalibratedRatio(TelescopingRatio(n_waymarks=1, random_state=0), cv=3).fit(
        X, y
    )
    # A well-specified logistic bridge: only estimation error (of order
    # 1/sqrt(600) per coefficient times |x|) is left; 0.25 bounds it.
    assert _rmse(plain, X_test, log_ratio_test) < 0.25
    # The telescoping ratio's power and clip act on the calibrated
    # log-weights; the calibration sees the raw log-odds of clones fitted
    # without them (clipped log-odds would lose their tails to it).
    processed = CalibratedRatio(
        TelescopingRatio(n_waymarks=1, power=0.5, clip=(0.5, 2.0), random_state=0),
        cv=3,
    ).fit(X, y)
    fitted = [
        pair.estimator.estimator_
        for pair in processed.classifier_.calibrated_classifiers_
    ]
    assert {(ratio.power, ratio.clip) for ratio in fitted} == {(1.0, None)}
    expected = np.clip(0.5 * plain.predict_log_weight(X_test), np.log(0.5), np.log(2.0))
    np.testing.assert_allclose(
        processed.predict_log_weight(X_test), expected, atol=1e-12
    )


def test_the_wrapped_prior_ratio_does_not_rescale_the_weights():
    # The classifier's stated prior is removed from its log-odds, and the
    # calibrated probabilities follow the calibration rows' proportions, 4:1:
    # gamma = 4. (Using prior_ratio=1 as gamma put every weight 4 times off, an
    # RMSE of at least log 4 = 1.39.)
    X, y, _ = make_gaussian_shift(4000, 1000, n_features=2, random_state=0)
    X_test, _, log_ratio_test = make_gaussian_shift(
        4000, 1000, n_features=2, random_state=1
    )
    calibrated = CalibratedRatio(DensityRatioEstimator(prior_ratio=1.0)).fit(X, y)
    assert calibrated.prior_ratio_ == pytest.approx(4.0)
    assert _rmse(calibrated, X_test, log_ratio_test) < 0.3


def test_a_ratio_estimator_that_inverts_the_labels_is_refused():
    class _InvertedRatio(_OverconfidentGaussianRatio):
        def fit(self, X, y, sample_weight=None):
            super().fit(X, y, sample_weight)
            self.classes_ = np.array([1, 0])
            return self

    X, y, _ = make_gaussian_shift(100, 100, random_state=0)
    with pytest.raises(ValueError, match="inverted"):
        CalibratedRatio(_InvertedRatio()).fit(X, y)


def test_a_frozen_ratio_estimator_is_refused():
    X, y, _ = make_gaussian_shift(100, 100, random_state=0)
    frozen = FrozenEstimator(DensityRatioEstimator().fit(X, y))
    with pytest.raises(ValueError, match="cannot be frozen"):
        CalibratedRatio(frozen).fit(X, y)


def test_dask_input_is_weighed_lazily_as_numpy_input():
    dask_array = pytest.importorskip("dask.array")
    X, y, _ = make_gaussian_shift(300, 300, n_features=2, random_state=0)
    ratio = CalibratedRatio(cv=3).fit(X, y)
    lazy = ratio.predict_log_weight(dask_array.from_array(X, chunks=(100, 2)))
    np.testing.assert_allclose(lazy.compute(), ratio.predict_log_weight(X))
