"""Tests of ReweightedEstimator: covariate-shift correction of a downstream model."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skratio import DensityRatioEstimator, ReweightedEstimator
from skratio.exceptions import WeightCollapseWarning
from skratio.model_selection import LabeledKFold, importance_weighted_scorer

from _helpers import quadratic_shift


def target_excess_loss(model, seed, n_eval=200_000):
    """Mean squared error against the noiseless x^2 on a large target sample."""
    X_eval = np.random.default_rng(10_000 + seed).normal(1.0, 1.0, size=(n_eval, 1))
    return float(np.mean((model.predict(X_eval) - X_eval[:, 0] ** 2) ** 2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reweighting_lowers_target_loss_under_known_shift(seed):
    # Population maths for the linear fit of y = x^2 (noise-free part):
    # - on N(0, 1) the least-squares line is the constant E[x^2] = 1; its
    #   excess loss on the target N(1, 1) is E_t[(x^2 - 1)^2]
    #   = E x^4 - 2 E x^2 + 1 = 10 - 4 + 1 = 7;
    # - the target's best line is 2x (Cov_t(x, x^2) = E x^3 - E x E x^2
    #   = 4 - 2 = 2 = slope, intercept 2 - 2 = 0), excess loss
    #   E_t[(x^2 - 2x)^2] = 10 - 16 + 8 = 2; importance weighting converges
    #   to it (Shimodaira, 2000).
    # With 600 source rows the effective sample size of exp(x - 1/2) weights is
    # n / E_s[w^2] = 600 / e ~ 220, enough that the fit lands well below the
    # midpoint 4.5 between the two limits; the unweighted fit stays near 7.
    X, y = quadratic_shift(600, 600, seed)
    reweighted = ReweightedEstimator(LinearRegression(), random_state=seed).fit(X, y)
    unweighted = LinearRegression().fit(X[:600], y[:600])
    loss_reweighted = target_excess_loss(reweighted, seed)
    loss_unweighted = target_excess_loss(unweighted, seed)
    assert loss_unweighted > 4.5
    assert loss_reweighted < 4.5
    assert loss_reweighted < loss_unweighted


def test_power_zero_is_the_unweighted_fit():
    X, y = quadratic_shift(300, 100, seed=3)
    X_target = X[np.isnan(y)]
    model = ReweightedEstimator(LinearRegression(), power=0.0, random_state=0).fit(X, y)
    plain = LinearRegression().fit(X[:300], y[:300])
    np.testing.assert_array_equal(model.weights_, np.ones(300))
    np.testing.assert_allclose(model.predict(X_target), plain.predict(X_target))


def test_power_auto_picks_a_weighted_fit_under_shift():
    # Under the shift above, unweighted training (power 0) has excess target
    # loss 7 against 2 for the importance-weighted limit: its weighted
    # validation loss is larger by about 5 (noise variance 0.25 on both),
    # far beyond the fold-to-fold noise, so IWCV must not choose power 0.
    X, y = quadratic_shift(600, 600, seed=4)
    model = ReweightedEstimator(
        LinearRegression(),
        power="auto",
        scoring="neg_mean_squared_error",
        random_state=0,
    ).fit(X, y)
    assert set(model.cv_scores_) == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert model.power_ > 0
    assert model.cv_scores_[model.power_] == max(model.cv_scores_.values())
    assert model.cv_scores_[model.power_] > model.cv_scores_[0.0]


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Gives P(target) = 0.9 to rows seen in fit and 0.5 to unseen rows."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.seen_ = {row.tobytes() for row in np.asarray(X, dtype=np.float64)}
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=np.float64)
        seen = np.array([row.tobytes() in self.seen_ for row in X])
        p_target = np.where(seen, 0.9, 0.5)
        return np.column_stack([1 - p_target, p_target])


def test_training_weights_are_out_of_fold():
    # Out of fold, every source row is unseen: odds 1, weight gamma for all,
    # so the mean-1 training weights are exactly 1. An in-sample weight would
    # have odds 9 and show up as a different value.
    X, y = quadratic_shift(200, 100, seed=5)
    # Raw log-odds: a calibration would rescale the spy's odds of 9.
    ratio = DensityRatioEstimator(SpyClassifier(), calibration=None)
    model = ReweightedEstimator(LinearRegression(), ratio, cv=4, random_state=0).fit(
        X, y
    )
    np.testing.assert_allclose(model.weights_, 1.0)
    # The refitted ratio estimator has seen every row: in-sample weights are
    # 9 times the out-of-fold ones, which is what the spy is there to detect.
    in_sample = model.ratio_estimator_.predict_weight(X[:200])
    np.testing.assert_allclose(in_sample, 9 * 200 / 100)


def test_works_in_a_pipeline():
    X, y = quadratic_shift(300, 150, seed=6)
    X_target = X[np.isnan(y)]
    pipe = make_pipeline(
        StandardScaler(), ReweightedEstimator(Ridge(alpha=1e-3), random_state=0)
    ).fit(X, y)
    assert pipe.predict(X_target).shape == (150,)
    # The scaler saw both domains; the model saw the 300 labelled rows.
    np.testing.assert_allclose(pipe[0].mean_, X.mean(axis=0))
    assert pipe[-1].weights_.shape == (300,)


def test_grid_search_with_importance_weighted_cv():
    X, y = quadratic_shift(400, 400, seed=7)
    search = GridSearchCV(
        ReweightedEstimator(LinearRegression(), random_state=0),
        {"power": [0.0, 1.0], "clip": [None, 50.0]},
        scoring=importance_weighted_scorer("neg_mean_squared_error"),
        cv=LabeledKFold(4, shuffle=True, random_state=0),
    ).fit(X, y)
    # Same argument as test_power_auto_picks_a_weighted_fit_under_shift.
    assert search.best_params_["power"] == 1.0
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_grid_search_over_downstream_model_and_domain_classifier():
    X, y = quadratic_shift(300, 300, seed=8)
    labelled = ~np.isnan(y)
    reference = DensityRatioEstimator().fit(X, (~labelled).astype(int))
    search = GridSearchCV(
        ReweightedEstimator(LinearRegression(), random_state=0),
        {
            "estimator": [
                LinearRegression(),
                DecisionTreeRegressor(min_samples_leaf=20),
            ],
            "ratio_estimator": [
                None,
                DensityRatioEstimator(LogisticRegression(C=0.01)),
            ],
        },
        scoring=importance_weighted_scorer(
            "neg_mean_squared_error", ratio_estimator=reference
        ),
        cv=LabeledKFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    # A tree with 20-row leaves follows x^2 where the target has mass (excess
    # loss well under 1); the linear fit cannot (excess target loss >= 2, see
    # the first test).
    assert isinstance(search.best_params_["estimator"], DecisionTreeRegressor)


def test_cross_validate():
    X, y = quadratic_shift(300, 200, seed=9)
    result = cross_validate(
        ReweightedEstimator(LinearRegression(), random_state=0),
        X,
        y,
        cv=LabeledKFold(3),
        scoring={"iw": importance_weighted_scorer("neg_mean_squared_error")},
        return_estimator=True,
        return_indices=True,
    )
    # Each fold's score is minus the squared error over its labelled rows,
    # weighted by the ratio the fold's model fitted (before power and clip).
    for score, model, test in zip(
        result["test_iw"], result["estimator"], result["indices"]["test"]
    ):
        X_val, y_val = X[test], y[test]
        labelled = ~np.isnan(y_val)
        squared_error = (model.predict(X_val[labelled]) - y_val[labelled]) ** 2
        weights = model.predict_weight(X_val[labelled])
        assert score == pytest.approx(-np.average(squared_error, weights=weights))


def test_classifier_with_string_labels_and_marker():
    rng = np.random.default_rng(10)
    X_source = rng.normal(0, 1, size=(300, 2))
    X_target = rng.normal(0.5, 1, size=(100, 2))
    labels = np.where(X_source[:, 0] + X_source[:, 1] > 0, "pos", "neg")
    X = np.vstack([X_source, X_target])
    y = np.concatenate([labels, np.full(100, "?")]).astype(object)
    model = ReweightedEstimator(LogisticRegression(), unlabeled="?", random_state=0)
    model.fit(X, y)
    assert list(model.classes_) == ["neg", "pos"]
    assert model.predict_proba(X_target).shape == (100, 2)
    assert model.score(X, y) > 0.9  # separable by a line, scored on labelled rows


def test_minus_one_marks_unlabelled_integer_labels():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    y[150:] = -1
    model = ReweightedEstimator(LogisticRegression(), random_state=0).fit(X, y)
    assert list(model.classes_) == [0, 1]
    assert model.weights_.shape == (150,)


def test_sample_weight_multiplies_training_weights():
    X, y = quadratic_shift(200, 100, seed=12)
    sample_weight = np.ones(300)
    sample_weight[:50] = 0.0
    model = ReweightedEstimator(LinearRegression(), power=0.0, random_state=0)
    model.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_array_equal(model.weights_[:50], 0.0)
    np.testing.assert_allclose(model.weights_[50:], 200 / 150)


@settings(max_examples=15, deadline=None)
@given(
    power=st.floats(0.0, 1.0),
    upper=st.one_of(st.none(), st.floats(1.5, 100.0)),
    seed=st.integers(0, 2**16),
)
def test_training_weights_are_mean_one_and_clipped(power, upper, seed):
    X, y = quadratic_shift(80, 40, seed)
    clip = None if upper is None else (1.0, upper)
    model = ReweightedEstimator(
        LinearRegression(), power=power, clip=clip, cv=3, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeightCollapseWarning)
        model.fit(X, y)
    weights = model.weights_
    assert weights.shape == (80,)
    assert np.all(weights >= 0)
    np.testing.assert_allclose(weights.mean(), 1.0)
    if upper is not None:
        # Clipped to [1, upper] before the rescaling to mean 1, which keeps
        # ratios between weights: max / min cannot exceed upper / 1.
        assert weights.max() / weights.min() <= upper * (1 + 1e-12)


class _ZeroOnNegativeRows(DensityRatioEstimator):
    """Out-of-fold weights of 0 where the first feature is negative."""

    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        weights = super().fit_predict_weight(X, y, sample_weight, cv=cv)
        return np.where(X[:, 0] < 0, 0.0, weights)


@pytest.mark.parametrize("power", [0.0, 0.5, 1.0])
def test_training_weights_are_the_flattened_clipped_ratio(power):
    # Zero weights included: w ** 0 is 1 (unweighted training) and 0 ** 0.5 is 0.
    X, y = quadratic_shift(120, 60, seed=3)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    ratio = _ZeroOnNegativeRows(random_state=0)
    model = ReweightedEstimator(
        LinearRegression(), ratio, power=power, clip=(0.0, 2.0), cv=folds
    ).fit(X, y)
    domain = np.isnan(y).astype(int)
    raw = clone(ratio).fit_predict_weight(X, domain, cv=folds)[:120]
    assert (raw == 0).any() and (raw > 2.0).any()
    expected = np.minimum(raw**power, 2.0)
    np.testing.assert_allclose(model.weights_, expected / expected.mean(), rtol=1e-12)


class _NegatedRatio(DensityRatioEstimator):
    def fit_predict_weight(self, X, y, sample_weight=None, *, cv=None):
        return -super().fit_predict_weight(X, y, sample_weight, cv=cv)


def test_negative_weights_from_the_ratio_estimator_are_refused():
    X, y = quadratic_shift(60, 30, seed=0)
    model = ReweightedEstimator(LinearRegression(), _NegatedRatio(), cv=3)
    with pytest.raises(
        ValueError, match="_NegatedRatio.fit_predict_weight must be non-negative"
    ):
        model.fit(X, y)


def test_no_target_rows():
    X = np.random.default_rng(0).normal(size=(50, 2))
    y = np.arange(50, dtype=float)
    with pytest.raises(ValueError, match="needs unlabelled target rows"):
        ReweightedEstimator(LinearRegression()).fit(X, y)


def test_string_labels_need_a_marker():
    # "auto" looks for NaN or -1; string labels have neither, so the user must
    # say which value marks the target rows.
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = np.array(["a", "b", "a", "?", "?", "?"], dtype=object)
    with pytest.raises(ValueError, match="needs unlabelled target rows"):
        ReweightedEstimator(LogisticRegression()).fit(X, y)


def test_no_source_rows():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="needs labelled source rows"):
        ReweightedEstimator(LinearRegression()).fit(X, np.full(50, np.nan))


def test_y_required():
    with pytest.raises(ValueError, match="requires y to be passed"):
        ReweightedEstimator(LinearRegression()).fit(np.zeros((10, 2)), None)


def test_estimator_without_sample_weight():
    X, y = quadratic_shift(50, 50, seed=0)
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        ReweightedEstimator(make_pipeline(StandardScaler(), Ridge())).fit(X, y)


@pytest.mark.parametrize("clip", [(2.0, 1.0), (1.0, 2.0, 3.0)])
def test_bad_clip(clip):
    X, y = quadratic_shift(50, 50, seed=0)
    with pytest.raises(ValueError, match="clip"):
        ReweightedEstimator(LinearRegression(), clip=clip).fit(X, y)


def test_bad_power():
    X, y = quadratic_shift(50, 50, seed=0)
    with pytest.raises(ValueError, match="power"):
        ReweightedEstimator(LinearRegression(), power=2.0).fit(X, y)


def test_unlabelled_rows_left_out_of_score():
    X, y = quadratic_shift(200, 100, seed=13)
    model = ReweightedEstimator(LinearRegression(), random_state=0).fit(X, y)
    expected = model.estimator_.score(X[:200], y[:200])
    assert model.score(X, y) == pytest.approx(expected)


# The common checks fit on data whose y has no unlabelled rows (no NaN, no
# -1). Without target rows there is no shift to correct, and fit raises a
# ValueError by design ("needs unlabelled target rows") rather than silently
# training an unweighted model; every check that fits therefore fails with
# that error. The checks that do not fit (construction, cloning, get/set
# params, repr, the unfitted error) run and pass.
_NO_TARGET_ROWS = (
    "fits on check data without unlabelled target rows; fit raises the "
    "'needs unlabelled target rows' ValueError by design"
)
_FITTING_CHECKS = [
    "check_all_zero_sample_weights_error",
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_decision_proba_consistency",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
    "check_estimators_dtypes",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_regressor_data_not_an_array",
    "check_regressors_int",
    "check_regressors_no_decision_function",
    "check_regressors_train",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
    "check_sample_weights_list",
    "check_sample_weights_not_an_array",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series",
    "check_sample_weights_shape",
    "check_supervised_y_2d",
]


def _expected_failed_checks(estimator):
    return dict.fromkeys(_FITTING_CHECKS, _NO_TARGET_ROWS)


@parametrize_with_checks(
    [ReweightedEstimator(LogisticRegression()), ReweightedEstimator(Ridge())],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_returns_self_is_idempotent_and_pickles():
    # The fitted-estimator properties the common checks cannot reach here,
    # checked on stacked data with target rows.
    X, y = quadratic_shift(120, 60, seed=14)
    X_target = X[np.isnan(y)]
    model = ReweightedEstimator(Ridge(), random_state=0)
    assert model.fit(X, y) is model
    first = model.predict(X_target)
    np.testing.assert_allclose(model.fit(X, y).predict(X_target), first)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict(X_target), first)
    assert model.n_features_in_ == 1
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((3, 2)))


# --------------------------------------------------------------------------
# The ratio estimator inside agrees on the target domain; marks of unlabelled
# rows that the estimator would read otherwise are refused with their cause.


def test_a_ratio_estimator_naming_the_labelled_rows_as_target_is_refused():
    X, y = quadratic_shift(300, 200, seed=0)
    model = ReweightedEstimator(
        LinearRegression(), DensityRatioEstimator(target_label=0)
    )
    with pytest.raises(ValueError, match=r"target_label=0 disagrees.*inverted"):
        model.fit(X, y)


def test_a_ratio_estimator_naming_the_target_gives_the_true_direction():
    X, y = quadratic_shift(400, 400, seed=0)
    model = ReweightedEstimator(
        LinearRegression(), DensityRatioEstimator(target_label=1), random_state=0
    ).fit(X, y)
    # quadratic_shift's true log-ratio is x - 1/2, increasing in x.
    source = ~np.isnan(y)
    assert np.corrcoef(np.log(model.weights_), X[source, 0])[0, 1] > 0.95


def _classes_minus_one_and_one(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    labels = np.where(X[:, 0] > 0, 1, -1)
    target = np.arange(n) % 3 == 0
    return X, labels, target


def test_object_y_with_nan_marks_names_the_cause():
    X, labels, target = _classes_minus_one_and_one()
    y = labels.astype(object)
    y[target] = np.nan
    with pytest.raises(ValueError, match=r"object array with NaN.*unlabeled=np.nan"):
        ReweightedEstimator(LogisticRegression()).fit(X, y)
    # Said so, NaN marks the target rows and -1 stays a class.
    model = ReweightedEstimator(
        LogisticRegression(), unlabeled=np.nan, random_state=0
    ).fit(X, y)
    assert sorted(model.classes_.tolist()) == [-1, 1]


def test_integer_classes_minus_one_and_one_name_the_cause():
    X, labels, _ = _classes_minus_one_and_one()
    with pytest.raises(ValueError, match=r"rows labelled -1 were taken as target.*1\b"):
        ReweightedEstimator(LogisticRegression()).fit(X, labels)


def _collapsing(seed=0):
    """Target N(3, 1) against source N(0, 1): ESS of the true ratio ~ e^-9 n."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0.0, 1.0, (400, 1)), rng.normal(3.0, 1.0, (200, 1))])
    y = np.concatenate([X[:400, 0] ** 2, np.full(200, np.nan)])
    return X, y


def _collapse_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if issubclass(w.category, WeightCollapseWarning)]


def test_collapse_warns_once_per_fit_at_the_users_line():
    X, y = _collapsing()
    caught = _collapse_warnings(
        lambda: ReweightedEstimator(Ridge(), random_state=0).fit(X, y)
    )
    assert len(caught) == 1
    assert caught[0].filename == __file__
    assert len(str(caught[0].message)) < 200


def test_a_grid_search_summarises_the_collapse_of_its_fits():
    # 2 candidates x 5 folds + the refit warned 11 times, from joblib's lines.
    X, y = _collapsing()
    search = GridSearchCV(
        ReweightedEstimator(Ridge(), random_state=0), {"power": [0.5, 1.0]}
    )
    caught = _collapse_warnings(lambda: search.fit(X, y))
    in_folds = [w for w in caught if "cross-validation fits" in str(w.message)]
    # One warning stands for every fold and candidate; the refit on all rows
    # warns with its own figures only if its weights collapse too.
    assert len(in_folds) == 1
    assert len(caught) <= 2
    assert all(w.filename == __file__ for w in caught)


def test_power_auto_scores_a_classifier_by_its_log_loss():
    # Accuracy moves only where a prediction flips: the flattening exponent
    # is chosen by the log-loss of the probabilities unless scoring says so.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1.0, (300, 2)), rng.normal(1.0, 1.0, (150, 2))])
    labels = (X[:, 0] + X[:, 1] + rng.normal(0.0, 1.0, 450) > 0.5).astype(int)
    y = np.concatenate([labels[:300], np.full(150, -1)])

    def scores(scoring):
        model = ReweightedEstimator(
            LogisticRegression(), power="auto", scoring=scoring, random_state=0
        )
        return model.fit(X, y).cv_scores_

    default, log_loss, accuracy = (
        scores(None),
        scores("neg_log_loss"),
        scores("accuracy"),
    )
    assert default == log_loss
    assert all(score < 0 for score in default.values())  # a loss, not an accuracy
    assert default != accuracy


def test_a_seeded_fit_is_reproducible_with_an_unseeded_ratio_estimator():
    # The default ratio estimator's calibration draws inner folds: the
    # meta-estimator's random_state seeds them when the ratio's own is None,
    # and keeps a seed the user gave it.
    X, y = quadratic_shift(200, 100, seed=8)
    first, second = (
        ReweightedEstimator(LinearRegression(), random_state=0).fit(X, y)
        for _ in range(2)
    )
    np.testing.assert_array_equal(first.weights_, second.weights_)
    np.testing.assert_array_equal(
        first.ratio_estimator_.predict_weight(X),
        second.ratio_estimator_.predict_weight(X),
    )
    other = ReweightedEstimator(LinearRegression(), random_state=1).fit(X, y)
    assert not np.array_equal(first.weights_, other.weights_)
    kept = ReweightedEstimator(
        LinearRegression(), DensityRatioEstimator(random_state=5), random_state=0
    ).fit(X, y)
    assert kept.ratio_estimator_.random_state == 5
