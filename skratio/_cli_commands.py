"""The ``skratio weigh`` and ``skratio resample`` commands."""

import math
import warnings

import numpy as np

from ._cli_common import (
    CommandError,
    Steps,
    check_figure_path,
    check_outputs,
    install_hint,
    save_figure,
)
from ._cli_table import check_writable, read_table, write_table
from .exceptions import PoorOverlapWarning, WeightCollapseWarning

# What each command suggests when the weights collapse or the samples barely
# overlap; the library's own advice names parameters, not options.
_OVERLAP_HINT = "try fewer --columns, another --classifier or more target rows"
HINTS = {
    "weigh": {
        WeightCollapseWarning: "try --calibrate sigmoid, --power A or --clip C",
        PoorOverlapWarning: _OVERLAP_HINT,
    },
    "resample": {
        WeightCollapseWarning: "try --calibrate sigmoid or another --classifier",
        PoorOverlapWarning: _OVERLAP_HINT,
    },
}


def weigh(args, out):
    """``skratio weigh``: out-of-fold weights of the SOURCE rows."""
    from ._weights import MIN_ESS_FRACTION, flattened_weights
    from .metrics import (
        effective_sample_size,
        expected_calibration_error,
        negative_cross_entropy,
    )

    _check_paths(args, [args.source, args.target])
    with Steps("weigh", 3) as steps:
        with steps.step("reading"):
            source = read_table(args.source, "SOURCE")
            target = read_table(args.target, "TARGET")
            X, y, features = _stacked(source, target, args)
        ratio = _ratio_estimator(args)
        with steps.step(f"{args.cv}-fold cross-fitting"), warnings.catch_warnings():
            # The command judges the weights after --power and --clip, below.
            warnings.simplefilter("ignore", WeightCollapseWarning)
            raw = ratio.fit_predict_weight(X, y)
        n_source = source.n_rows
        weights = flattened_weights(raw[y == 0], args.power, args.clip)
        ess = effective_sample_size(weights)
        if ess < MIN_ESS_FRACTION * n_source:
            # Before writing: with --strict this warning is an error, and no
            # output is written.
            warnings.warn(
                f"the weights collapse: effective sample size {ess:.1f} of {n_source} "
                f"({ess / n_source:.1%} < {MIN_ESS_FRACTION:.0%})",
                WeightCollapseWarning,
                stacklevel=1,
            )
        with steps.step("writing"):
            import pyarrow as pa

            columns = [] if args.id_column is None else [args.id_column]
            data = source.data.select(columns).append_column(
                "weight", pa.array(weights)
            )
            write_table(args.output, data)

    # Out-of-fold probabilities of the target domain, from the raw out-of-fold
    # weights: w = gamma c / (1 - c), so c = w / (w + gamma). The folds'
    # gamma differs from the overall one by at most a row per domain and fold
    # (stratified folds).
    gamma = ratio.prior_ratio_
    proba = raw / (raw + gamma)
    share = 1.0 / (1.0 + gamma)
    prior_only = share * math.log(share) + (1.0 - share) * math.log(1.0 - share)
    out.write(
        f"skratio weigh: {n_source} source rows, {target.n_rows} target rows, "
        f"{len(features)} features\n"
        f"  classifier: {args.classifier}, calibration: {args.calibrate}, "
        f"{args.cv}-fold cross-fitting\n"
        f"  prior ratio n_source / n_target: {gamma:.4g}\n"
        "  held-out NCE of the domain classifier: "
        f"{negative_cross_entropy(y, proba):.4f} "
        f"(higher is better; {prior_only:.4f} for a classifier that knows only the "
        "prior ratio)\n"
        "  expected calibration error of the held-out probabilities: "
        f"{expected_calibration_error(y, proba):.4f}\n"
        f"  effective sample size of the out-of-fold weights: {ess:.1f} of "
        f"{n_source} ({ess / n_source:.1%})\n"
        f"  weights: min {weights.min():.4g}, median {np.median(weights):.4g}, "
        f"max {weights.max():.4g}\n"
    )
    _write_overlap(ratio, out)
    out.write(f"  wrote {n_source} weights to {args.output}\n")
    if args.plot is not None:
        _plot_weights(args.plot, weights, out)
    return 0


def resample(args, out):
    """``skratio resample``: SIR of the CANDIDATES rows toward TARGET."""
    from . import SIRResampler
    from .metrics import effective_sample_size

    _check_paths(args, [args.candidates, args.target])
    with Steps("resample", 4) as steps:
        with steps.step("reading"):
            candidates = read_table(args.candidates, "CANDIDATES")
            target = read_table(args.target, "TARGET")
            X, y, features = _stacked(candidates, target, args)
        n_candidates = candidates.n_rows
        n_samples = args.n_samples
        if n_samples is None:
            n_samples = n_candidates // args.k
        if n_samples < 1 or n_samples * args.k > n_candidates:
            raise CommandError(
                f"{n_samples} rows with -k {args.k} need {max(n_samples, 1) * args.k} "
                f"distinct candidates but {candidates.path} has {n_candidates}; lower "
                "-n or -k"
            )
        ratio = _ratio_estimator(args)
        with steps.step(f"{args.cv}-fold cross-fitting"):
            # Out-of-fold weights: the classifier was trained on the candidates,
            # and its in-sample weights would overstate how well they fit.
            weights = ratio.fit_predict_weight(X, y)[y == 0]
        with steps.step("resampling"):
            sir = SIRResampler(
                ratio, k=args.k, n_samples=n_samples, random_state=args.random_state
            )
            sir.fit_resample(X[y == 0], sample_weight=weights)
            chosen = sir.sample_indices_
        with steps.step("writing"):
            write_table(args.output, candidates.data.take(chosen))
    ess = effective_sample_size(weights)
    out.write(
        f"skratio resample: {n_candidates} candidates, {target.n_rows} target "
        f"rows, {len(features)} features\n"
        f"  classifier: {args.classifier}, calibration: {args.calibrate}, "
        f"{args.cv}-fold cross-fitting\n"
        f"  prior ratio n_candidates / n_target: {ratio.prior_ratio_:.4g}\n"
        "  effective sample size of the candidates' out-of-fold weights (the "
        f"weights SIR used): {ess:.1f} of {n_candidates} "
        f"({ess / n_candidates:.1%})\n"
    )
    _write_overlap(ratio, out)
    out.write(
        f"  wrote {len(chosen)} rows, each chosen among {args.k} candidates, to "
        f"{args.output}\n"
    )
    return 0


def _check_paths(args, inputs):
    """Every output is checked before any work: format, folder, not an input."""
    outputs = [("-o", args.output)]
    check_writable(args.output)
    if getattr(args, "plot", None) is not None:
        check_figure_path(args.plot)
        outputs.append(("--plot", args.plot))
    check_outputs(outputs, inputs)


def _write_overlap(ratio, out):
    """The held-out overlap diagnostics, when the estimator records them."""
    overlap = getattr(ratio, "overlap_", None)
    if overlap is None:
        return

    def field(name):
        if isinstance(overlap, dict):
            return overlap.get(name)
        return getattr(overlap, name, None)

    error = field("mean_source_weight_se")
    out.write(
        "  overlap (held out): domain AUC "
        f"{field('auc'):.3f} (0.5: the samples look alike, 1: they do not "
        f"overlap), mean source weight {field('mean_source_weight'):.3f}"
        f"{'' if error is None else f' +- {error:.2g}'} (1 for a correct ratio), "
        f"ESS {field('ess_fraction'):.1%}\n"
    )


# --------------------------------------------------------------------------
# Data and estimators


def _stacked(source, target, args):
    """``(X, y, features)``: the feature columns of both files, stacked.

    The rows of each file keep their order among ``X[y == 0]`` and ``X[y == 1]``.
    """
    from . import stack_domains

    features = feature_columns(source, target, args.columns, args.id_column)
    X, y = stack_domains(source.features(features), target.features(features))
    smaller = min((source, target), key=lambda table: table.n_rows)
    if args.cv > smaller.n_rows:
        raise CommandError(
            f"--cv {args.cv} needs at least {args.cv} rows in each file (every fold "
            f"holds rows of both); {smaller.path} has {smaller.n_rows}: lower --cv "
            "or add rows"
        )
    return X, y, features


def feature_columns(source, target, columns, id_column):
    """The feature names: ``--columns``, or the columns the two files share."""
    if id_column is not None and id_column not in source.names:
        raise CommandError(
            f"{source.path}: no column {id_column!r} (--id-column); its columns are "
            f"{source.names}"
        )
    if id_column == "weight":
        raise CommandError(
            "--id-column 'weight' would clash with the output's weight column"
        )
    if columns is not None:
        if id_column in columns:
            raise CommandError(f"--id-column {id_column!r} cannot be a feature too")
        for table in (source, target):
            missing = [name for name in columns if name not in table.names]
            if missing:
                raise CommandError(
                    f"{table.path}: no column {missing} (--columns); its columns are "
                    f"{table.names}"
                )
        if len(set(columns)) != len(columns):
            raise CommandError(f"--columns names a column twice: {columns}")
        return list(columns)
    # A pandas index stored as a column is not a feature.
    ignored = {id_column, *source.index_columns(), *target.index_columns()}
    features = [name for name in source.names if name not in ignored]
    in_target = [name for name in target.names if name not in ignored]
    if set(features) != set(in_target):
        only_source = [name for name in features if name not in in_target]
        only_target = [name for name in in_target if name not in features]
        raise CommandError(
            f"{source.path} and {target.path} have different columns (only in the "
            f"first: {only_source}; only in the second: {only_target}); choose the "
            "features with --columns"
        )
    if not features:
        raise CommandError(f"{source.path} has no feature column besides {id_column!r}")
    return features


def _classifier(name, random_state):
    """``None`` (skratio's default classifier) or the classifier named."""
    if name == "logistic":
        return None
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=random_state)
    try:
        from .deep import MLPDomainClassifier
    except ImportError:
        raise CommandError(
            "--classifier mlp needs PyTorch and skorch: install PyTorch's CPU build "
            "(pip install torch --index-url https://download.pytorch.org/whl/cpu), "
            f"then {install_hint('deep')}"
        ) from None
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(), MLPDomainClassifier(random_state=random_state)
    )


def _ratio_estimator(args):
    """The ratio estimator of the options, without post-processing."""
    from . import CalibratedRatio, DensityRatioEstimator

    ratio = DensityRatioEstimator(
        _classifier(args.classifier, args.random_state),
        cv=args.cv,
        random_state=args.random_state,
    )
    if args.calibrate == "none":
        return ratio
    return CalibratedRatio(ratio, method=args.calibrate)


def _plot_weights(path, weights, out):
    from matplotlib.figure import Figure

    from .plotting import WeightDistributionDisplay

    figure = Figure(figsize=(6, 4))
    WeightDistributionDisplay.from_weights(
        weights, ax=figure.subplots(), name="Out-of-fold weights of the source rows"
    )
    save_figure(figure, path, out)
