"""Plots that show whether density-ratio weights can be trusted.

Displays follow scikit-learn's pattern: ``from_estimator`` and ``from_weights``
/ ``from_predictions`` compute the values to plot, the constructor only stores
them, and :meth:`WeightDistributionDisplay.plot` /
:meth:`RatioCalibrationDisplay.plot` draw them; the matplotlib artists are kept
as attributes ending in ``_``. matplotlib is imported only by the ``from_*``
methods and ``plot``, so skratio does not need it otherwise
(``pip install -e ".[plot]"`` in skratio's source folder).
"""

import numpy as np
from sklearn.utils import check_consistent_length, column_or_1d

# Private since scikit-learn 1.5 (no longer exported by sklearn.utils), but it
# is the check that scikit-learn's own Displays make.
from sklearn.utils.validation import check_is_fitted

from ._compat import check_matplotlib_support
from ._domains import encode_domain_labels
from ._validation import check_weights
from .metrics import calibration_bins, expected_calibration_error

__all__ = ["RatioCalibrationDisplay", "WeightDistributionDisplay"]


def _check_matplotlib(caller):
    """Raise an ImportError that names the plot extra unless matplotlib imports.

    scikit-learn's message names ``pip install matplotlib`` only; skratio is
    installed from its source folder, and the plot extra sets the lowest
    matplotlib version that skratio supports.
    """
    try:
        check_matplotlib_support(caller)
    except ImportError as error:
        raise ImportError(
            f"{caller} needs matplotlib. Install it with "
            'the plot extra: `pip install -e ".[plot]"` in skratio\'s source folder '
            "(or `pip install matplotlib`)."
        ) from error


def _pyplot(caller):
    """matplotlib.pyplot, or the ImportError of :func:`_check_matplotlib`."""
    _check_matplotlib(caller)
    import matplotlib.pyplot as plt

    return plt


def _axes(ax, caller):
    """``ax``, or the axes of a new pyplot figure.

    pyplot (which picks a backend) is imported only here, so that drawing on
    the axes of a bare ``matplotlib.figure.Figure`` does not import it.
    """
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

    Build it with :meth:`from_estimator` or :meth:`from_weights`, which compute
    the values below and plot them. The constructor only stores values
    computed beforehand; call :meth:`plot` to draw them.

    Parameters
    ----------
    group_weights : list of ndarray
        The weights of each group's rows, one array per group, in the order of
        ``group_labels``.
    group_labels : ndarray of shape (n_groups,)
        The groups.
    mean_weights : ndarray of shape (n_groups,)
        Mean weight of each group.
    name : str, default=None
        Title of the plot.

    Attributes
    ----------
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
    >>> display.group_labels.tolist(), display.mean_weights.round(2).tolist()
    (['common', 'rare'], [0.5, 2.75])

    From values computed beforehand, e.g. to redraw them:

    >>> display = WeightDistributionDisplay(
    ...     [np.array([0.5, 0.6, 0.4]), np.array([3.0, 2.5])],
    ...     np.array(["common", "rare"]),
    ...     np.array([0.5, 2.75]),
    ...     name="weights per group",
    ... )
    >>> display = display.plot(bins=10)
    >>> display.ax_.get_title()
    'weights per group'
    """

    def __init__(self, group_weights, group_labels, mean_weights, *, name=None):
        if not len(group_weights) == len(group_labels) == len(mean_weights):
            raise ValueError(
                "group_weights, group_labels and mean_weights need one entry per group."
            )
        self.group_weights = group_weights
        self.group_labels = group_labels
        self.mean_weights = mean_weights
        self.name = name

    def _bin_edges(self, bins, log_scale):
        low = min(np.min(weights) for weights in self.group_weights)
        high = max(np.max(weights) for weights in self.group_weights)
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

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skratio.plotting import WeightDistributionDisplay
        >>> display = WeightDistributionDisplay.from_weights([1.0, 2.0, 2.5, 4.0])
        >>> display = display.plot(bins=3, log_scale=False, ref_line=False)
        >>> display.bin_edges_.tolist(), display.reference_line_ is None
        ([1.0, 2.0, 3.0, 4.0], True)
        """
        ax = _axes(ax, f"{type(self).__name__}.plot")
        self.bin_edges_ = self._bin_edges(bins, log_scale)
        hist_kwargs = {"histtype": "step", "linewidth": 1.5, **kwargs}
        self.counts_, self.hists_, self.mean_lines_ = [], [], []
        single_group = len(self.group_labels) == 1
        for weights, label, mean_weight in zip(
            self.group_weights, self.group_labels, self.mean_weights
        ):
            legend = "all rows" if single_group else f"group {label}"
            counts, _, patches = ax.hist(
                weights,
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
            Non-negative, finite importance weights (e.g. of the source rows).
        groups : array-like of shape (n_samples,), default=None
            Group of each row (e.g. a sensitive attribute); ``None`` puts all
            rows in one group. The groups are sorted as by :func:`numpy.unique`.
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

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skratio.plotting import WeightDistributionDisplay
        >>> display = WeightDistributionDisplay.from_weights(
        ...     [0.5, 0.7, 2.0, 3.0], groups=["a", "a", "b", "b"], name="demo")
        >>> [weights.tolist() for weights in display.group_weights]
        [[0.5, 0.7], [2.0, 3.0]]
        >>> display.mean_weights.tolist()
        [0.6, 2.5]
        """
        _check_matplotlib(f"{cls.__name__}.from_weights")
        weights = check_weights(weights)
        if groups is None:
            groups = np.zeros(weights.shape[0], dtype=int)
        groups = column_or_1d(np.asarray(groups))
        check_consistent_length(weights, groups)
        group_labels, group_index = np.unique(groups, return_inverse=True)
        group_weights = [
            weights[group_index == index] for index in range(group_labels.shape[0])
        ]
        mean_weights = np.bincount(group_index, weights=weights) / np.bincount(
            group_index
        )
        display = cls(group_weights, group_labels, mean_weights, name=name)
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

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skratio import DensityRatioEstimator
        >>> from skratio.datasets import make_gaussian_shift
        >>> from skratio.plotting import WeightDistributionDisplay
        >>> X, y, _ = make_gaussian_shift(200, 200, random_state=0)
        >>> ratio = DensityRatioEstimator(LogisticRegression()).fit(X, y)
        >>> X_new, y_new, _ = make_gaussian_shift(200, 200, random_state=1)
        >>> display = WeightDistributionDisplay.from_estimator(
        ...     ratio, X_new[y_new == 0], X_new[y_new == 0, 0] > 0)
        >>> display.group_labels.tolist(), display.ax_.get_title()
        ([False, True], 'DensityRatioEstimator')
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
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

    Build it with :meth:`from_estimator` or :meth:`from_predictions`, which
    compute the values below and plot them. The constructor only stores values
    computed beforehand; call :meth:`plot` to draw them.

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
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skratio.plotting import RatioCalibrationDisplay
    >>> display = RatioCalibrationDisplay.from_predictions(
    ...     [0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9], n_bins=2)
    >>> display.prob_true[0].tolist(), display.prob_pred[0].round(2).tolist()
    ([0.0, 1.0], [0.2, 0.8])

    From values computed beforehand, e.g. to redraw them:

    >>> display = RatioCalibrationDisplay(
    ...     [np.array([0.0, 1.0])], [np.array([0.2, 0.8])], [0.2], ["classifier"])
    >>> display = display.plot(ref_line=False)
    >>> display.lines_[0].get_label()
    'classifier (ECE 0.200)'
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

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skratio.plotting import RatioCalibrationDisplay
        >>> display = RatioCalibrationDisplay.from_predictions(
        ...     [0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9], n_bins=2)
        >>> display = display.plot(ref_line=False, color="C3")
        >>> display.reference_line_ is None, display.lines_[0].get_color()
        (True, 'C3')
        """
        ax = _axes(ax, f"{type(self).__name__}.plot")
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

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skratio.plotting import RatioCalibrationDisplay
        >>> display = RatioCalibrationDisplay.from_predictions(
        ...     [0, 0, 1, 1],
        ...     [0.05, 0.1, 0.9, 0.95],
        ...     y_proba_calibrated=[0.3, 0.4, 0.6, 0.7],
        ...     n_bins=2,
        ... )
        >>> display.labels
        ['classifier, before calibration', 'classifier, after calibration']
        >>> [round(error, 3) for error in display.calibration_errors]
        [0.075, 0.35]
        """
        _check_matplotlib(f"{cls.__name__}.from_predictions")
        name = "classifier" if name is None else name
        curves = [(y_proba, name)]
        if y_proba_calibrated is not None:
            curves = [
                (y_proba, f"{name}, before calibration"),
                (y_proba_calibrated, f"{name}, after calibration"),
            ]
        binning = {
            "n_bins": n_bins,
            "strategy": strategy,
            "sample_weight": sample_weight,
        }
        prob_true, prob_pred, errors, labels = [], [], [], []
        for proba, label in curves:
            bin_true, bin_pred, _ = calibration_bins(y_true, proba, **binning)
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

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.naive_bayes import GaussianNB
        >>> from skratio import CalibratedRatio, DensityRatioEstimator
        >>> from skratio.datasets import make_gaussian_shift
        >>> from skratio.plotting import RatioCalibrationDisplay
        >>> X, y, _ = make_gaussian_shift(300, 300, random_state=0)
        >>> ratio = CalibratedRatio(DensityRatioEstimator(GaussianNB())).fit(X, y)
        >>> X_test, y_test, _ = make_gaussian_shift(300, 300, random_state=1)
        >>> display = RatioCalibrationDisplay.from_estimator(ratio, X_test, y_test)
        >>> display.labels
        ['CalibratedRatio, before calibration', 'CalibratedRatio, after calibration']
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
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
