"""Plots that show whether density-ratio weights can be trusted.

Displays follow scikit-learn's pattern: build one with ``from_estimator`` or
``from_weights`` / ``from_predictions``, or from precomputed values and
:meth:`WeightDistributionDisplay.plot` / :meth:`RatioCalibrationDisplay.plot`;
the matplotlib artists are kept as attributes ending in ``_``.
matplotlib is imported only when a display is built, so skratio does not need
it otherwise (``pip install -e ".[plot]"`` in skratio's source folder).
"""

import numpy as np
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.validation import check_is_fitted

from ._domains import encode_domain_labels
from .metrics import _calibration_bins, expected_calibration_error

__all__ = ["RatioCalibrationDisplay", "WeightDistributionDisplay"]


def _pyplot(caller):
    """matplotlib.pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} needs matplotlib. Install it with "
            'the plot extra: `pip install -e ".[plot]"` in skratio\'s source folder '
            "(or `pip install matplotlib`)."
        ) from error
    return plt


def _axes(ax, caller):
    if ax is None:
        _, ax = _pyplot(caller).subplots()
    return ax


class WeightDistributionDisplay:
    """Distribution of importance weights per group, with each group's mean.

    Choi et al. (2020, Figure 2) read density-ratio weights this way: the rows
    of a group under-represented in the source (biased) data should get weights
    above 1 on average, those of an over-represented group below 1, since the
    mean weight of group ``z`` over source rows estimates
    ``p_target(z) / p_source(z)``.

    Build it with :meth:`from_estimator` or :meth:`from_weights`.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative, finite importance weights (e.g. of the source rows).
    groups : array-like of shape (n_samples,), default=None
        Group of each row (e.g. a sensitive attribute); ``None`` puts all rows
        in one group.
    name : str, default=None
        Title of the plot.

    Attributes
    ----------
    group_labels : ndarray of shape (n_groups,)
        The groups, as sorted by :func:`numpy.unique`.
    mean_weights : ndarray of shape (n_groups,)
        Mean weight of each group.
    bin_edges_ : ndarray of shape (bins + 1,)
        Edges of the histogram bins shared by all groups.
    counts_ : list of ndarray
        Rows per bin of each group.
    hists_ : list of list of matplotlib.patches.Patch
        The histogram of each group.
    mean_lines_ : list of matplotlib.lines.Line2D
        A vertical line at each group's mean weight, in its histogram's color.
    reference_line_ : matplotlib.lines.Line2D or None
        The vertical line at weight 1 (no reweighting), when drawn.
    ax_ : matplotlib.axes.Axes
        Axes of the plot.
    figure_ : matplotlib.figure.Figure
        Figure of the plot.

    See Also
    --------
    skratio.metrics.effective_sample_size : How much a set of weights shrinks
        the sample.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skratio.plotting import WeightDistributionDisplay
    >>> weights = np.array([0.5, 0.6, 0.4, 3.0, 2.5])
    >>> groups = np.array(["common", "common", "common", "rare", "rare"])
    >>> display = WeightDistributionDisplay.from_weights(weights, groups)
    >>> display.mean_weights.round(2).tolist()
    [0.5, 2.75]
    """

    def __init__(self, weights, groups=None, *, name=None):
        weights = column_or_1d(
            check_array(
                weights, ensure_2d=False, dtype=np.float64, input_name="weights"
            )
        )
        if (weights < 0).any():
            raise ValueError("weights must be non-negative.")
        if groups is None:
            groups = np.zeros(weights.shape[0], dtype=int)
        groups = column_or_1d(np.asarray(groups))
        check_consistent_length(weights, groups)
        self.weights = weights
        self.groups = groups
        self.name = name
        self.group_labels, group_index = np.unique(groups, return_inverse=True)
        self.mean_weights = np.bincount(group_index, weights=weights) / np.bincount(
            group_index
        )

    def _bin_edges(self, bins, log_scale):
        low, high = self.weights.min(), self.weights.max()
        if log_scale:
            if low <= 0:
                raise ValueError(
                    "A log scale needs positive weights; got a weight of 0. Use "
                    "log_scale=False."
                )
            if low == high:
                low, high = low / 2.0, high * 2.0
            return np.geomspace(low, high, bins + 1)
        if low == high:
            low, high = low - 0.5, high + 0.5
        return np.linspace(low, high, bins + 1)

    def plot(self, ax=None, *, bins=30, log_scale=True, ref_line=True, **kwargs):
        """Plot the histograms and the mean weights.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        bins : int, default=30
            Number of histogram bins, shared by all groups.
        log_scale : bool, default=True
            Log-spaced bins and a log x axis: weights are ratios, so ``w`` and
            ``1/w`` are equally far from 1.
        ref_line : bool, default=True
            Draw a dotted line at weight 1.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.hist`.

        Returns
        -------
        display : WeightDistributionDisplay
            Object that stores the computed values and the artists.
        """
        ax = _axes(ax, "WeightDistributionDisplay.plot")
        self.bin_edges_ = self._bin_edges(bins, log_scale)
        hist_kwargs = {"histtype": "step", "linewidth": 1.5, **kwargs}
        self.counts_, self.hists_, self.mean_lines_ = [], [], []
        single_group = self.group_labels.shape[0] == 1
        for label, mean_weight in zip(self.group_labels, self.mean_weights):
            legend = "all rows" if single_group else f"group {label}"
            counts, _, patches = ax.hist(
                self.weights[self.groups == label],
                bins=self.bin_edges_,
                label=f"{legend} (mean {mean_weight:.3g})",
                **hist_kwargs,
            )
            color = patches[0].get_edgecolor()
            self.counts_.append(counts)
            self.hists_.append(list(patches))
            self.mean_lines_.append(
                ax.axvline(mean_weight, color=color, linestyle="--")
            )
        self.reference_line_ = (
            ax.axvline(1.0, color="black", linestyle=":", label="weight 1")
            if ref_line
            else None
        )
        if log_scale:
            ax.set_xscale("log")
        ax.set(xlabel="weight p_target(x) / p_source(x)", ylabel="rows")
        if self.name is not None:
            ax.set_title(self.name)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_weights(
        cls,
        weights,
        groups=None,
        *,
        name=None,
        ax=None,
        bins=30,
        log_scale=True,
        ref_line=True,
        **kwargs,
    ):
        """Plot given weights, e.g. out-of-fold weights of ``fit_predict_weight``.

        Parameters
        ----------
        weights : array-like of shape (n_samples,)
            Non-negative, finite importance weights.
        groups : array-like of shape (n_samples,), default=None
            Group of each row; ``None`` puts all rows in one group.
        name : str, default=None
            Title of the plot.
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        bins : int, default=30
            Number of histogram bins.
        log_scale : bool, default=True
            Log-spaced bins and a log x axis.
        ref_line : bool, default=True
            Draw a dotted line at weight 1.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.hist`.

        Returns
        -------
        display : WeightDistributionDisplay
            Object that stores the computed values and the artists.
        """
        _pyplot("WeightDistributionDisplay.from_weights")
        display = cls(weights, groups, name=name)
        return display.plot(
            ax=ax, bins=bins, log_scale=log_scale, ref_line=ref_line, **kwargs
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        groups=None,
        *,
        name=None,
        ax=None,
        bins=30,
        log_scale=True,
        ref_line=True,
        **kwargs,
    ):
        """Plot the weights a fitted ratio estimator gives to ``X``.

        Parameters
        ----------
        estimator : fitted DensityRatioEstimator or CalibratedRatio
            Any fitted estimator with ``predict_weight``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh, typically held-out source rows (for the rows the
            estimator was fitted on, prefer the out-of-fold weights of
            ``fit_predict_weight`` with :meth:`from_weights`).
        groups : array-like of shape (n_samples,), default=None
            Group of each row; ``None`` puts all rows in one group.
        name : str, default=None
            Title of the plot; ``None`` uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        bins : int, default=30
            Number of histogram bins.
        log_scale : bool, default=True
            Log-spaced bins and a log x axis.
        ref_line : bool, default=True
            Draw a dotted line at weight 1.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.hist`.

        Returns
        -------
        display : WeightDistributionDisplay
            Object that stores the computed values and the artists.
        """
        _pyplot("WeightDistributionDisplay.from_estimator")
        check_is_fitted(estimator)
        weights = estimator.predict_weight(X)
        return cls.from_weights(
            weights,
            groups,
            name=type(estimator).__name__ if name is None else name,
            ax=ax,
            bins=bins,
            log_scale=log_scale,
            ref_line=ref_line,
            **kwargs,
        )


class RatioCalibrationDisplay:
    """Reliability diagram of a domain classifier, before and after calibration.

    Rows are binned by predicted probability of the target domain; each curve
    plots the (weighted) fraction of target rows against the (weighted) mean
    predicted probability of each bin. A calibrated classifier lies on the
    diagonal, and only then are its odds a density ratio. The legend gives the
    expected calibration error
    (:func:`skratio.metrics.expected_calibration_error`) of each curve.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`.

    Parameters
    ----------
    prob_true : list of ndarray
        Fraction of target rows in each non-empty bin, one array per curve.
    prob_pred : list of ndarray
        Mean predicted probability in each non-empty bin, one array per curve.
    calibration_errors : list of float
        Expected calibration error of each curve.
    labels : list of str
        Legend label of each curve.

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
        The reliability curves.
    reference_line_ : matplotlib.lines.Line2D or None
        The diagonal of perfect calibration, when drawn.
    ax_ : matplotlib.axes.Axes
        Axes of the plot.
    figure_ : matplotlib.figure.Figure
        Figure of the plot.

    See Also
    --------
    skratio.CalibratedRatio : Recalibrates the domain classifier.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skratio.plotting import RatioCalibrationDisplay
    >>> display = RatioCalibrationDisplay.from_predictions(
    ...     [0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9], n_bins=2)
    >>> display.prob_true[0].tolist(), display.prob_pred[0].round(2).tolist()
    ([0.0, 1.0], [0.2, 0.8])
    """

    def __init__(self, prob_true, prob_pred, calibration_errors, labels):
        if (
            not len(prob_true)
            == len(prob_pred)
            == len(calibration_errors)
            == len(labels)
        ):
            raise ValueError(
                "prob_true, prob_pred, calibration_errors and labels need one entry "
                "per curve."
            )
        self.prob_true = prob_true
        self.prob_pred = prob_pred
        self.calibration_errors = calibration_errors
        self.labels = labels

    def plot(self, ax=None, *, ref_line=True, **kwargs):
        """Plot the reliability curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        ref_line : bool, default=True
            Draw the diagonal of perfect calibration.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

        Returns
        -------
        display : RatioCalibrationDisplay
            Object that stores the computed values and the artists.
        """
        ax = _axes(ax, "RatioCalibrationDisplay.plot")
        self.reference_line_ = (
            ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")[0]
            if ref_line
            else None
        )
        self.lines_ = [
            ax.plot(
                prob_pred,
                prob_true,
                marker="s",
                label=f"{label} (ECE {error:.3f})",
                **kwargs,
            )[0]
            for prob_true, prob_pred, error, label in zip(
                self.prob_true, self.prob_pred, self.calibration_errors, self.labels
            )
        ]
        ax.set(
            xlabel="mean predicted P(target | x)",
            ylabel="fraction of target rows",
            xlim=(-0.02, 1.02),
            ylim=(-0.02, 1.02),
        )
        ax.legend(loc="upper left")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_proba,
        *,
        y_proba_calibrated=None,
        sample_weight=None,
        n_bins=10,
        strategy="uniform",
        name=None,
        ref_line=True,
        ax=None,
        **kwargs,
    ):
        """Reliability diagram of given probabilities, optionally before and after.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Domain labels, 0 (source) or 1 (target).
        y_proba : array-like of shape (n_samples,) or (n_samples, 2)
            Predicted probability of the target domain (before calibration,
            when ``y_proba_calibrated`` is given).
        y_proba_calibrated : array-like of shape (n_samples,) or (n_samples, 2), \
                default=None
            The same rows' probabilities after calibration: a second curve.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the bins' averages.
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or of equal weight (weighted quantiles).
        name : str, default=None
            Legend label of the classifier; ``None`` means "classifier".
        ref_line : bool, default=True
            Draw the diagonal of perfect calibration.
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

        Returns
        -------
        display : RatioCalibrationDisplay
            Object that stores the computed values and the artists.
        """
        _pyplot("RatioCalibrationDisplay.from_predictions")
        name = "classifier" if name is None else name
        curves = [(y_proba, name)]
        if y_proba_calibrated is not None:
            curves = [
                (y_proba, f"{name}, before calibration"),
                (y_proba_calibrated, f"{name}, after calibration"),
            ]
        binning = dict(n_bins=n_bins, strategy=strategy, sample_weight=sample_weight)
        prob_true, prob_pred, errors, labels = [], [], [], []
        for proba, label in curves:
            bin_true, bin_pred, _ = _calibration_bins(y_true, proba, **binning)
            prob_true.append(bin_true)
            prob_pred.append(bin_pred)
            errors.append(expected_calibration_error(y_true, proba, **binning))
            labels.append(label)
        display = cls(prob_true, prob_pred, errors, labels)
        return display.plot(ax=ax, ref_line=ref_line, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        sample_weight=None,
        n_bins=10,
        strategy="uniform",
        name=None,
        ref_line=True,
        ax=None,
        **kwargs,
    ):
        """Reliability diagram of a fitted ratio estimator's domain classifier.

        For an estimator with ``predict_uncalibrated_proba`` (a
        :class:`~skratio.CalibratedRatio`), two curves: the classifier before
        calibration (the mean of the classifiers that the calibrators were
        fitted to) and after.

        Parameters
        ----------
        estimator : fitted DensityRatioEstimator or CalibratedRatio
            Any fitted estimator with ``predict_proba`` and ``classes_``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out rows of both domains.
        y : array-like of shape (n_samples,)
            Their domain labels, values from ``estimator.classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the bins' averages.
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or of equal weight (weighted quantiles).
        name : str, default=None
            Legend label; ``None`` uses the estimator's class name.
        ref_line : bool, default=True
            Draw the diagonal of perfect calibration.
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

        Returns
        -------
        display : RatioCalibrationDisplay
            Object that stores the computed values and the artists.
        """
        _pyplot("RatioCalibrationDisplay.from_estimator")
        check_is_fitted(estimator)
        y_true = encode_domain_labels(column_or_1d(np.asarray(y)), estimator.classes_)
        proba = estimator.predict_proba(X)[:, 1]
        if hasattr(estimator, "predict_uncalibrated_proba"):
            before, after = estimator.predict_uncalibrated_proba(X)[:, 1], proba
        else:
            before, after = proba, None
        return cls.from_predictions(
            y_true,
            before,
            y_proba_calibrated=after,
            sample_weight=sample_weight,
            n_bins=n_bins,
            strategy=strategy,
            name=type(estimator).__name__ if name is None else name,
            ref_line=ref_line,
            ax=ax,
            **kwargs,
        )
