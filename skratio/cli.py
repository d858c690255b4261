"""The ``skratio`` command: ``demo``, ``weigh`` and ``resample``.

``skratio --help`` (or ``python -m skratio --help``) lists the commands and
``skratio <command> --help`` their options. Every error ends the command with
one line on stderr and exit status 1 (2 for bad options, 130 for Ctrl-C);
``--debug`` shows the traceback instead. Warnings take one short line each on
stderr; ``--strict`` makes collapsed weights or samples that barely overlap an
error. Tables are read and written by pyarrow and progress bars drawn by tqdm
(the ``cli`` extra), figures by matplotlib (the ``plot`` extra).

This module holds the options and the entry point; the commands live in
``_cli_commands`` (weigh, resample) and ``_cli_demo``, the tables in
``_cli_table``.
"""

import argparse
import math
import sys
import traceback
import warnings

from . import __version__
from ._cli_commands import HINTS, resample, weigh
from ._cli_common import CommandError
from ._cli_demo import demo
from .exceptions import PoorOverlapWarning, WeightCollapseWarning

__all__ = ["CommandError", "main"]

_CLASSIFIERS = ("logistic", "hgb", "mlp")
_CALIBRATIONS = ("none", "sigmoid", "isotonic", "temperature")
# Warnings that --strict turns into errors.
_STRICT = (WeightCollapseWarning, PoorOverlapWarning)


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
    common.add_argument(
        "--strict",
        action="store_true",
        help=(
            "fail (exit status 1, no output written) when the weights collapse or "
            "the samples barely overlap, instead of warning"
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands, common)
    _add_weigh(commands, common)
    _add_resample(commands, common)
    return parser


def _add_demo(commands, common):
    demo_parser = commands.add_parser(
        "demo",
        parents=[common],
        help="weights and fair generation on a biased split of scikit-learn's digits",
        description=(
            "Split scikit-learn's digits into a biased set and a balanced reference "
            "set, estimate the weights p_ref / p_bias by cross-fitting, and train a "
            "kernel density on both sets with uniform and with importance weights."
        ),
    )
    demo_parser.add_argument(
        "--bias",
        type=_number(float, low=0, high=1, low_open=True, high_open=True),
        default=0.9,
        help="share of digits < 5 in the biased set, in (0, 1) (default 0.9)",
    )
    demo_parser.add_argument(
        "--reference-size",
        type=_number(float, low=0, low_open=True),
        default=0.25,
        help="size of the reference set as a fraction of the biased set (default 0.25)",
    )
    demo_parser.add_argument(
        "--plot",
        metavar="FILE",
        help="save a figure of the weights and the generators (needs matplotlib); "
        "default: no figure",
    )
    demo_parser.set_defaults(run=demo)


def _add_weigh(commands, common):
    weigh_parser = commands.add_parser(
        "weigh",
        parents=[common],
        help="out-of-fold weights p_target / p_source of every SOURCE row",
        description=(
            "Weigh every row of SOURCE by w(x) = p_target(x) / p_source(x), estimated "
            "by a domain classifier that did not see the row (cross-fitting). OUT gets "
            "one row per SOURCE row, in SOURCE's order. Files: .csv or .parquet."
        ),
    )
    weigh_parser.add_argument(
        "source", metavar="SOURCE", help="rows to weigh (.csv or .parquet)"
    )
    weigh_parser.add_argument(
        "target", metavar="TARGET", help="rows of the target distribution"
    )
    _output_option(weigh_parser, "the weights")
    _estimator_options(weigh_parser)
    weigh_parser.add_argument(
        "--power",
        type=_number(float, low=0, high=1),
        default=1.0,
        metavar="A",
        help="flatten the weights to w ** A, A in [0, 1] (default 1)",
    )
    weigh_parser.add_argument(
        "--clip",
        type=_number(float, low=0, low_open=True),
        metavar="C",
        help="bound the weights above by C (default: no bound)",
    )
    _columns_options(
        weigh_parser, id_help="a SOURCE column written next to each weight"
    )
    weigh_parser.add_argument(
        "--plot",
        metavar="FILE",
        help="save a histogram of the weights (needs matplotlib)",
    )
    weigh_parser.set_defaults(run=weigh)


def _add_resample(commands, common):
    resample_parser = commands.add_parser(
        "resample",
        parents=[common],
        help="sampling-importance-resampling of CANDIDATES toward TARGET",
        description=(
            "Weigh CANDIDATES (source) toward TARGET by cross-fitting, then choose "
            "each output row among K candidates with probability proportional to "
            "its out-of-fold weight (skratio.SIRResampler). OUT gets the chosen "
            "CANDIDATES rows, all their columns, unchanged."
        ),
    )
    resample_parser.add_argument(
        "candidates",
        metavar="CANDIDATES",
        help="rows to choose from (.csv or .parquet)",
    )
    resample_parser.add_argument(
        "target", metavar="TARGET", help="rows of the target distribution"
    )
    _output_option(resample_parser, "the chosen rows")
    resample_parser.add_argument(
        "-n",
        "--n-samples",
        type=_number(int, low=1),
        metavar="N",
        help="rows to draw (default: as many as the candidates allow, their "
        "number // K)",
    )
    resample_parser.add_argument(
        "-k",
        type=_number(int, low=1),
        default=10,
        metavar="K",
        help="candidates per output row (default 10); needs N * K <= candidates",
    )
    _estimator_options(resample_parser)
    _columns_options(
        resample_parser, id_help="a CANDIDATES column that is not a feature"
    )
    resample_parser.set_defaults(run=resample)


def _output_option(parser, what):
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help=f"where to write {what} (.csv or .parquet); never one of the inputs",
    )


def _estimator_options(parser):
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
    parser.add_argument(
        "--calibrate",
        choices=_CALIBRATIONS,
        default="none",
        help=(
            "recalibrate the classifier's log-odds (skratio.CalibratedRatio; "
            "default none)"
        ),
    )
    parser.add_argument(
        "--cv",
        type=_number(int, low=2),
        default=5,
        metavar="N",
        help="folds of the cross-fitting (default 5)",
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
        0 on success; 1 on any error (one line on stderr, or the traceback
        with ``--debug``), including a collapse or poor-overlap warning under
        ``--strict``; 130 when interrupted (Ctrl-C). Bad options exit through
        :class:`SystemExit` with status 2.

    Examples
    --------
    >>> from skratio.cli import main
    >>> main(["weigh", "no-such-file.csv", "target.csv", "-o", "weights.csv"])
    1
    """
    args = _build_parser().parse_args(argv)
    prog = f"skratio {args.command}"
    hints = HINTS.get(args.command, {})
    shown = set()

    def show(message, category, filename, lineno, file=None, line=None):
        # One short line per kind of warning: the first sentence, and for
        # skratio's warnings the command's advice instead of the library's
        # (which names parameters, not options).
        key = category if issubclass(category, _STRICT) else (category, message)
        if key not in shown:
            shown.add(key)
            line = _one_line(message, hints.get(category))
            sys.stderr.write(f"{prog}: warning: {line}\n")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            # Deprecations inside the libraries are for their developers, not
            # for someone running the command (matplotlib 3.7 with a newer
            # pyparsing raises a dozen of them).
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            if args.strict:
                for category in _STRICT:
                    warnings.simplefilter("error", category)
            warnings.showwarning = show
            return args.run(args, sys.stdout)
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(
            f"{prog}: interrupted; an output is either complete or left as it was\n"
        )
        return 130
    # Whatever went wrong, the user gets one line (the traceback with --debug).
    except Exception as exc:  # noqa: BLE001
        if args.debug:
            traceback.print_exc()
        else:
            sys.stderr.write(f"{prog}: error: {_message(exc, hints)}\n")
        return 1


def _message(exc, hints):
    """One line for any exception, naming its type when it is not the user's."""
    text = " ".join(str(exc).split())
    if isinstance(exc, _STRICT):
        return f"--strict: {_one_line(text, hints.get(type(exc)))}"
    if isinstance(exc, CommandError):
        return text
    if isinstance(exc, (ValueError, TypeError, OSError, ImportError)):
        return text or type(exc).__name__
    return (
        f"{type(exc).__name__}: {text} (unexpected; --debug shows where it came from)"
    )


def _one_line(message, hint=None):
    """The first sentence of a warning's message, and the command's advice."""
    text = " ".join(str(message).split())
    end = text.find(". ")
    short = text if end < 0 else text[:end]
    return short if hint is None else f"{short}; {hint}"


if __name__ == "__main__":
    sys.exit(main())
