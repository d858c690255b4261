"""The ``skratio`` command: ``demo``, ``weigh`` and ``resample``.

``skratio --help`` (or ``python -m skratio --help``) lists the commands and
``skratio <command> --help`` their options. Bad input ends the command with
one line on stderr and exit status 1 (2 for bad options); ``--debug`` shows the
traceback instead. Progress bars need tqdm and Parquet files pyarrow
(``pip install "skratio[cli]"``), figures matplotlib (``skratio[plot]``).
"""

import argparse
import contextlib
import csv
import math
import os
import sys
import traceback
import warnings

import numpy as np

from . import __version__

_CLASSIFIERS = ("logistic", "hgb", "mlp")
_CALIBRATIONS = ("none", "sigmoid", "isotonic", "temperature")
_DEMO_FIGURE = "skratio-demo.png"


class CommandError(Exception):
    """Bad input: reported on one line of stderr, without a traceback."""


# --------------------------------------------------------------------------
# Options


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors take one line of stderr."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind, *, low=None, high=None, low_open=False, high_open=False):
    """An argparse type: an int or float within bounds, finite."""
    noun = "an integer" if kind is int else "a number"
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high}")
    wanted = f"{noun} {' and '.join(bounds)}".strip()

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {wanted}; got {text!r}"
            ) from None
        if (
            not math.isfinite(value)
            or (low is not None and (value <= low if low_open else value < low))
            or (high is not None and (value >= high if high_open else value > high))
        ):
            raise argparse.ArgumentTypeError(f"expected {wanted}; got {text}")
        return value

    return parse


def _build_parser():
    parser = _Parser(
        prog="skratio",
        description=(
            "Density ratios w(x) = p_target(x) / p_source(x) from probabilistic "
            "classifiers: weigh the rows of one table toward another, resample "
            "candidates toward a target, or run a demo."
        ),
    )
    parser.add_argument("--version", action="version", version=f"skratio {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="show the traceback of an error"
    )
    common.add_argument(
        "--random-state",
        type=_number(int, low=0),
        default=0,
        metavar="SEED",
        help="seed of the folds, the classifier and the draws (default 0)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="weights and fair generation on a biased split of scikit-learn's digits",
        description=(
            "Split scikit-learn's digits into a biased set and a balanced reference "
            "set, estimate the weights p_ref / p_bias by cross-fitting, and train a "
            "kernel density on both sets with uniform and with importance weights."
        ),
    )
    demo.add_argument(
        "--bias",
        type=_number(float, low=0, high=1, low_open=True, high_open=True),
        default=0.9,
        help="share of digits < 5 in the biased set, in (0, 1) (default 0.9)",
    )
    demo.add_argument(
        "--reference-size",
        type=_number(float, low=0, low_open=True),
        default=0.25,
        help="size of the reference set as a fraction of the biased set (default 0.25)",
    )
    demo.add_argument(
        "--plot",
        metavar="FILE",
        help=f"where to save the figure (default {_DEMO_FIGURE}), when matplotlib is "
        "installed",
    )
    demo.set_defaults(run=_demo)

    weigh = commands.add_parser(
        "weigh",
        parents=[common],
        help="out-of-fold weights p_target / p_source of every SOURCE row",
        description=(
            "Weigh every row of SOURCE by w(x) = p_target(x) / p_source(x), estimated "
            "by a domain classifier that did not see the row (cross-fitting). OUT gets "
            "one row per SOURCE row, in SOURCE's order. Files: .csv or .parquet."
        ),
    )
    weigh.add_argument(
        "source", metavar="SOURCE", help="rows to weigh (.csv or .parquet)"
    )
    weigh.add_argument(
        "target", metavar="TARGET", help="rows of the target distribution"
    )
    weigh.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="where to write the weights (.csv or .parquet)",
    )
    _classifier_option(weigh)
    weigh.add_argument(
        "--calibrate",
        choices=_CALIBRATIONS,
        default="none",
        help=(
            "recalibrate the classifier's log-odds (skratio.CalibratedRatio; "
            "default none)"
        ),
    )
    weigh.add_argument(
        "--cv",
        type=_number(int, low=2),
        default=5,
        metavar="N",
        help="folds of the cross-fitting (default 5)",
    )
    weigh.add_argument(
        "--power",
        type=_number(float, low=0, high=1),
        default=1.0,
        metavar="A",
        help="flatten the weights to w ** A, A in [0, 1] (default 1)",
    )
    weigh.add_argument(
        "--clip",
        type=_number(float, low=0, low_open=True),
        metavar="C",
        help="bound the weights above by C (default: no bound)",
    )
    _columns_options(weigh, id_help="a SOURCE column written next to each weight")
    weigh.add_argument(
        "--plot",
        metavar="FILE",
        help="save a histogram of the weights (needs matplotlib)",
    )
    weigh.set_defaults(run=_weigh)

    resample = commands.add_parser(
        "resample",
        parents=[common],
        help="sampling-importance-resampling of CANDIDATES toward TARGET",
        description=(
            "Fit a domain classifier on CANDIDATES (source) against TARGET, then "
            "choose each output row among K candidates with probability proportional "
            "to its weight (skratio.SIRResampler). OUT gets the chosen CANDIDATES "
            "rows, "
            "all their columns."
        ),
    )
    resample.add_argument(
        "candidates",
        metavar="CANDIDATES",
        help="rows to choose from (.csv or .parquet)",
    )
    resample.add_argument(
        "target", metavar="TARGET", help="rows of the target distribution"
    )
    resample.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="where to write the chosen rows (.csv or .parquet)",
    )
    resample.add_argument(
        "-n",
        "--n-samples",
        type=_number(int, low=1),
        metavar="N",
        help="rows to draw (default: as many as the candidates allow, their "
        "number // K)",
    )
    resample.add_argument(
        "-k",
        type=_number(int, low=1),
        default=10,
        metavar="K",
        help="candidates per output row (default 10); needs N * K <= candidates",
    )
    _classifier_option(resample)
    _columns_options(resample, id_help="a CANDIDATES column that is not a feature")
    resample.set_defaults(run=_resample)
    return parser


def _classifier_option(parser):
    parser.add_argument(
        "--classifier",
        choices=_CLASSIFIERS,
        default="logistic",
        help=(
            "domain classifier: logistic (skratio's default), hgb "
            "(HistGradientBoostingClassifier) or mlp "
            "(skratio.deep.MLPDomainClassifier, "
            "needs skratio[deep]); default logistic"
        ),
    )


def _columns_options(parser, id_help):
    parser.add_argument(
        "--columns",
        nargs="+",
        metavar="COL",
        help="feature columns (default: all columns but the id column)",
    )
    parser.add_argument("--id-column", metavar="COL", help=id_help)


# --------------------------------------------------------------------------
# Progress and warnings


class _Steps:
    """A progress bar over the steps of a command (tqdm, when installed).

    Shown on stderr only when it is a terminal.
    """

    def __init__(self, command, n_steps):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._bar = None
        else:
            self._bar = tqdm(
                total=n_steps,
                desc=f"skratio {command}",
                unit="step",
                file=sys.stderr,
                disable=None,
                leave=False,
            )

    @contextlib.contextmanager
    def step(self, description):
        if self._bar is not None:
            self._bar.set_postfix_str(description)
        yield
        if self._bar is not None:
            self._bar.update()

    def close(self):
        if self._bar is not None:
            self._bar.close()


# --------------------------------------------------------------------------
# Tables


class _Table:
    """The columns of a CSV or Parquet file, by name, in the file's row order."""

    def __init__(self, path, names, columns, n_rows, line_numbers=None):
        self.path = path
        self.names = names
        self.n_rows = n_rows
        self._columns = columns
        self._line_numbers = line_numbers

    def column(self, name):
        """One column as a numpy array (strings for CSV files)."""
        column = self._columns[name]
        if isinstance(column, np.ndarray):
            return column
        return column.to_numpy(zero_copy_only=False)

    def numeric(self, names):
        """The columns ``names`` as a float matrix; empty cells are NaN."""
        return np.column_stack([self._numeric_column(name) for name in names])

    def _numeric_column(self, name):
        column = self._columns[name]
        if isinstance(column, np.ndarray):
            text = np.char.strip(column)
            text = np.where(text == "", "nan", text)
            try:
                return text.astype(np.float64)
            except ValueError:
                for value, line in zip(text, self._line_numbers):
                    try:
                        float(value)
                    except ValueError:
                        raise CommandError(
                            f"{self.path}: column {name!r} is not numeric "
                            f"({str(value)!r} on line {line}); choose numeric "
                            "feature columns with --columns"
                        ) from None
                raise
        import pyarrow as pa
        import pyarrow.compute as pc

        kind = column.type
        if not (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind)
        ):
            raise CommandError(
                f"{self.path}: column {name!r} is not numeric (type {kind}); choose "
                "numeric feature columns with --columns"
            )
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)

    def take(self, indices):
        """The rows ``indices``, every column."""
        return {name: self.column(name)[indices] for name in self.names}


def _suffix(path, role):
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise CommandError(
            f"{path}: unknown file type {suffix or '(none)'!r} for {role}; use .csv or "
            ".parquet"
        )
    return suffix


def _pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ImportError:
        raise CommandError(
            'Parquet files need pyarrow: pip install "skratio[cli]"'
        ) from None
    return pq


def _check_output(path):
    """Fail before any work if ``path`` cannot be written in its format."""
    if _suffix(path, "the output") != ".csv":
        _pyarrow()


def _read_table(path, role):
    suffix = _suffix(path, role)
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such file ({role})")
    if suffix == ".csv":
        return _read_csv(path)
    pq = _pyarrow()
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow's errors for a file that is not Parquet
        raise CommandError(f"{path}: cannot read it as Parquet ({exc})") from None
    if table.num_columns == 0:
        raise CommandError(f"{path} is empty ({role})")
    if table.num_rows == 0:
        raise CommandError(f"{path} has columns but no rows ({role})")
    names = table.column_names
    _check_header(path, names)
    columns = {name: table.column(name) for name in names}
    return _Table(path, names, columns, table.num_rows)


def _check_header(path, names):
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise CommandError(f"{path}: duplicated column names {duplicated}")


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header, rows, lines = None, [], []
        for row in reader:
            if not row:
                continue
            if header is None:
                header = [name.strip() for name in row]
                continue
            if len(row) != len(header):
                raise CommandError(
                    f"{path}, line {reader.line_num}: {len(row)} fields where the "
                    f"header has {len(header)}"
                )
            rows.append(row)
            lines.append(reader.line_num)
    if header is None:
        raise CommandError(f"{path} is empty")
    if not rows:
        raise CommandError(f"{path} has a header but no rows")
    _check_header(path, header)
    columns = {
        name: np.array([row[j] for row in rows], dtype=str)
        for j, name in enumerate(header)
    }
    return _Table(path, header, columns, len(rows), lines)


def _write_table(path, columns):
    """Write ``{name: 1-D array}`` as CSV or Parquet, by the suffix of ``path``."""
    suffix = _suffix(path, "the output")
    if suffix == ".csv":
        try:
            stream = open(path, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: cannot write ({exc.strerror})") from None
        with stream:
            writer = csv.writer(stream)
            writer.writerow(list(columns))
            for row in zip(*(_csv_cells(values) for values in columns.values())):
                writer.writerow(row)
        return
    pq = _pyarrow()
    import pyarrow as pa

    table = pa.table(
        {name: _parquet_column(values) for name, values in columns.items()}
    )
    try:
        pq.write_table(table, path)
    except OSError as exc:
        raise CommandError(f"{path}: cannot write ({exc})") from None


def _csv_cells(values):
    if values.dtype.kind == "f":
        # repr gives the shortest text that reads back as the same float.
        return [repr(float(v)) for v in values]
    return ["" if v is None else str(v) for v in values.tolist()]


def _parquet_column(values):
    if values.dtype.kind == "U":  # a CSV column: numbers where they all parse
        try:
            return values.astype(np.float64)
        except ValueError:
            return values
    return values


def _feature_columns(source, target, columns, id_column):
    """The feature names: ``--columns``, or the columns the two files share."""
    if id_column is not None and id_column not in source.names:
        raise CommandError(
            f"{source.path}: no column {id_column!r} (--id-column); its columns are "
            f"{source.names}"
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
    features = [name for name in source.names if name != id_column]
    in_target = [name for name in target.names if name != id_column]
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


# --------------------------------------------------------------------------
# Estimators


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
            '--classifier mlp needs PyTorch and skorch: pip install "skratio[deep]"'
        ) from None
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(), MLPDomainClassifier(random_state=random_state)
    )


def _ratio_estimator(args):
    """The estimator of ``weigh``, without post-processing (power 1, no clip)."""
    from . import CalibratedRatio, DensityRatioEstimator

    ratio = DensityRatioEstimator(
        _classifier(args.classifier, args.random_state),
        cv=args.cv,
        random_state=args.random_state,
    )
    if args.calibrate == "none":
        return ratio
    return CalibratedRatio(ratio, method=args.calibrate)


def _postprocess(weights, power, clip):
    """``power`` then ``clip``, as ``DensityRatioEstimator(power=, clip=)`` does."""
    weights = weights**power
    return weights if clip is None else np.minimum(weights, clip)


# --------------------------------------------------------------------------
# Commands


def _weigh(args, out):
    from . import stack_domains
    from .exceptions import WeightCollapseWarning
    from .metrics import (
        effective_sample_size,
        expected_calibration_error,
        negative_cross_entropy,
    )

    if args.plot is not None:
        _check_matplotlib("--plot")
    _check_output(args.output)
    steps = _Steps("weigh", 3)
    with steps.step("reading"):
        source = _read_table(args.source, "SOURCE")
        target = _read_table(args.target, "TARGET")
        features = _feature_columns(source, target, args.columns, args.id_column)
        X, y = stack_domains(source.numeric(features), target.numeric(features))
    ratio = _ratio_estimator(args)
    with steps.step(f"{args.cv}-fold cross-fitting"), warnings.catch_warnings():
        # The effective sample size is reported below, after power and clip.
        warnings.simplefilter("ignore", WeightCollapseWarning)
        raw = ratio.fit_predict_weight(X, y)
    n_source = source.n_rows
    weights = _postprocess(raw[:n_source], args.power, args.clip)
    with steps.step("writing"):
        columns = (
            {}
            if args.id_column is None
            else {args.id_column: source.column(args.id_column)}
        )
        columns["weight"] = weights
        _write_table(args.output, columns)
    steps.close()
    if args.plot is not None:
        _plot_weights(args.plot, weights)

    # Out-of-fold probabilities of the target domain, from the raw out-of-fold
    # weights: w = gamma c / (1 - c), so c = w / (w + gamma). The folds'
    # gamma differs from the overall one by at most a row per domain and fold
    # (stratified folds).
    gamma = ratio.prior_ratio_
    proba = raw / (raw + gamma)
    share = 1.0 / (1.0 + gamma)
    prior_only = share * math.log(share) + (1.0 - share) * math.log(1.0 - share)
    ess = effective_sample_size(weights)
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
        f"  effective sample size of the weights: {ess:.1f} of {n_source} "
        f"({ess / n_source:.1%})\n"
        f"  weights: min {weights.min():.4g}, median {np.median(weights):.4g}, "
        f"max {weights.max():.4g}\n"
        f"  wrote {n_source} weights to {args.output}\n"
    )
    if ess < 0.1 * n_source:
        out.write(
            "  the weights collapse (effective sample size < 10%): try --power or "
            "--clip, or check that the domains overlap\n"
        )
    return 0


def _resample(args, out):
    from . import DensityRatioEstimator, SIRResampler, stack_domains
    from .metrics import effective_sample_size

    _check_output(args.output)
    steps = _Steps("resample", 4)
    with steps.step("reading"):
        candidates = _read_table(args.candidates, "CANDIDATES")
        target = _read_table(args.target, "TARGET")
        features = _feature_columns(candidates, target, args.columns, args.id_column)
        X_candidates = candidates.numeric(features)
        X, y = stack_domains(X_candidates, target.numeric(features))
    n_samples = args.n_samples
    if n_samples is None:
        n_samples = candidates.n_rows // args.k
    if n_samples < 1 or n_samples * args.k > candidates.n_rows:
        raise CommandError(
            f"{n_samples} rows with -k {args.k} need {max(n_samples, 1) * args.k} "
            f"distinct candidates but {candidates.path} has {candidates.n_rows}; lower "
            "-n or -k"
        )
    with steps.step("fitting the domain classifier"):
        ratio = DensityRatioEstimator(
            _classifier(args.classifier, args.random_state),
            random_state=args.random_state,
        ).fit(X, y)
    with steps.step("resampling"):
        sir = SIRResampler(
            ratio, k=args.k, n_samples=n_samples, random_state=args.random_state
        )
        sir.fit_resample(X_candidates)
        chosen = sir.sample_indices_
    with steps.step("writing"):
        _write_table(args.output, candidates.take(chosen))
    steps.close()
    ess = effective_sample_size(ratio.predict_weight(X_candidates))
    out.write(
        f"skratio resample: {candidates.n_rows} candidates, {target.n_rows} target "
        f"rows, {len(features)} features\n"
        f"  prior ratio n_candidates / n_target: {ratio.prior_ratio_:.4g}\n"
        f"  effective sample size of the candidates' weights: {ess:.1f} of "
        f"{candidates.n_rows} ({ess / candidates.n_rows:.1%})\n"
        f"  wrote {len(chosen)} rows, each chosen among {args.k} candidates, to "
        f"{args.output}\n"
    )
    return 0


def _demo(args, out):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KernelDensity, KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from . import DensityRatioEstimator, WeightedGenerativeTrainer
    from .datasets import make_biased_split
    from .metrics import bayes_optimal_nce, effective_sample_size, fairness_discrepancy

    figure = args.plot
    if figure is not None:
        _check_matplotlib("--plot")
    elif _has_matplotlib():
        figure = _DEMO_FIGURE

    steps = _Steps("demo", 4)
    digits = load_digits()
    hidden = np.where(digits.target >= 5, "digit>=5", "digit<5")
    X, y, groups = make_biased_split(
        digits.data,
        hidden,
        bias=args.bias,
        reference_size=args.reference_size,
        random_state=args.random_state,
    )
    X_train, X_test, y_train, y_test, g_train, _ = train_test_split(
        X, y, groups, test_size=0.3, stratify=y, random_state=args.random_state
    )
    # An RBF SVM with Platt-scaled probabilities: the hidden attribute is not
    # linear in the pixels, and a linear model's held-out NCE is further from
    # the Bayes-optimal NCE (about 0.07 against 0.03 on this split).
    svm = CalibratedClassifierCV(SVC(), ensemble=False)
    ratio = DensityRatioEstimator(
        make_pipeline(StandardScaler(), svm), random_state=args.random_state
    )
    with steps.step("cross-fitting the weights"):
        weights = ratio.fit_predict_weight(X_train, y_train)

    labels = np.unique(groups)
    p_biased = np.array([np.mean(groups[y == 0] == g) for g in labels])
    p_reference = np.array([np.mean(groups[y == 1] == g) for g in labels])
    biased = y_train == 0
    out.write(
        "skratio demo: digits split into a biased and a reference dataset\n"
        f"  hidden attribute: digit >= 5; bias={args.bias}, "
        f"reference size={args.reference_size} of the biased set\n"
        f"  biased rows: {np.sum(y == 0)}, reference rows: {np.sum(y == 1)} "
        f"(train {len(y_train)}, held out {len(y_test)})\n\n"
        "Out-of-fold weights w = p_ref / p_bias of the biased training rows:\n"
        f"  {'group':<10} {'share biased':>12} {'share ref':>10} "
        f"{'true ratio':>10} {'mean weight':>11}\n"
    )
    for label, pb, pr in zip(labels, p_biased, p_reference):
        mean_weight = weights[biased & (g_train == label)].mean()
        out.write(
            f"  {label:<10} {pb:>12.3f} {pr:>10.3f} {pr / pb:>10.3f} "
            f"{mean_weight:>11.3f}\n"
        )
    ess = effective_sample_size(weights[biased])
    nce = ratio.score(X_test, y_test)
    nce_star = bayes_optimal_nce(p_biased, p_reference, prior_ratio=ratio.prior_ratio_)
    out.write(
        f"\n  effective sample size of the biased weights: {ess:.1f} of {biased.sum()} "
        f"({ess / biased.sum():.1%})\n"
        f"  held-out NCE of the domain classifier: {nce:.4f}\n"
        f"  Bayes-optimal NCE of this split:       {nce_star:.4f} "
        f"(gap {nce_star - nce:.4f}; higher is better, 0 is the maximum)\n"
    )

    # Fair generation (Algorithm 1 of Choi et al. 2020): a kernel density
    # trained on both datasets, all rows weighted equally or with the weights.
    # The attribute classifier learns digit >= 5 from all the digits; nearest
    # neighbours in pixel space stay accurate on the kernel density's samples
    # (training rows plus Gaussian noise).
    with steps.step("fitting the attribute classifier"):
        attribute = KNeighborsClassifier(10).fit(digits.data, hidden)
    proba_reference = attribute.predict_proba(X[y == 1])
    minority = list(attribute.classes_).index("digit>=5")
    out.write(
        "\nFair generation: a KernelDensity trained on both datasets, 1000 samples\n"
        f"  {'training':<12} {'share digit>=5':>14} {'fairness discrepancy':>21}\n"
        f"  {'reference':<12} {proba_reference[:, minority].mean():>14.3f} {'':>21}\n"
    )
    shares = {"reference": proba_reference[:, minority].mean()}
    with steps.step("training the generators"):
        for strategy in ("uniform", "importance"):
            trainer = WeightedGenerativeTrainer(
                KernelDensity(bandwidth=0.5),
                ratio_estimator=ratio,
                strategy=strategy,
                random_state=args.random_state,
            ).fit(X, y)
            samples = trainer.sample(1000, random_state=args.random_state)
            proba = attribute.predict_proba(samples)
            shares[strategy] = proba[:, minority].mean()
            out.write(
                f"  {strategy:<12} {shares[strategy]:>14.3f} "
                f"{fairness_discrepancy(proba_reference, proba):>21.4f}\n"
            )
    steps.close()
    out.write(
        "  (fairness discrepancy: distance between the mean attribute probabilities "
        "of the samples and of the reference rows; lower is fairer)\n"
    )
    if figure is not None:
        _plot_demo(figure, weights[biased], g_train[biased], shares)
        out.write(f"\nSaved the figure to {figure}\n")
    return 0


# --------------------------------------------------------------------------
# Figures


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _check_matplotlib(option):
    if not _has_matplotlib():
        raise CommandError(f'{option} needs matplotlib: pip install "skratio[plot]"')


def _save(figure, path):
    try:
        figure.savefig(path, dpi=100, bbox_inches="tight")
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: cannot save the figure ({exc})") from None


def _plot_weights(path, weights):
    from matplotlib.figure import Figure

    from .plotting import WeightDistributionDisplay

    figure = Figure(figsize=(6, 4))
    WeightDistributionDisplay.from_weights(
        weights, ax=figure.subplots(), name="Out-of-fold weights of the source rows"
    )
    _save(figure, path)


def _plot_demo(path, weights, groups, shares):
    from matplotlib.figure import Figure

    from .plotting import WeightDistributionDisplay

    figure = Figure(figsize=(11, 4))
    left, right = figure.subplots(1, 2)
    WeightDistributionDisplay.from_weights(
        weights, groups, ax=left, name="Out-of-fold weights of the biased rows"
    )
    right.bar(list(shares), list(shares.values()), color=["0.5", "C1", "C0"])
    right.axhline(shares["reference"], color="black", linestyle=":")
    right.set(
        ylabel="share of digits >= 5",
        ylim=(0, 1),
        title="Reference rows, and samples of a KernelDensity",
    )
    _save(figure, path)


# --------------------------------------------------------------------------
# Entry point


def main(argv=None):
    """Entry point of the ``skratio`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``None`` reads them from ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 on bad input (reported on one line of stderr). Bad
        options exit through :class:`SystemExit` with status 2.

    Examples
    --------
    >>> from skratio.cli import main
    >>> main(["weigh", "no-such-file.csv", "target.csv", "-o", "weights.csv"])
    1
    """
    args = _build_parser().parse_args(argv)
    prog = f"skratio {args.command}"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            # Deprecations inside the libraries are for their developers, not
            # for someone running the command (matplotlib 3.7 with a newer
            # pyparsing raises a dozen of them).
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            status = args.run(args, sys.stdout)
    except (CommandError, ValueError, TypeError, OSError, ImportError) as exc:
        if args.debug:
            traceback.print_exc()
        else:
            message = " ".join(str(exc).split()) or type(exc).__name__
            sys.stderr.write(f"{prog}: error: {message}\n")
        return 1
    for message in dict.fromkeys(
        f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught
    ):
        sys.stderr.write(f"{prog}: warning: {message}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
