"""What the ``skratio`` command's parts share: its error, progress and paths."""

import contextlib
import os
import secrets
import sys


class CommandError(Exception):
    """Bad input: reported on one line of stderr, without a traceback."""


def install_hint(extra):
    """How to install an extra: skratio installs from its source folder."""
    return f'pip install -e ".[{extra}]" in skratio\'s source folder'


class Steps:
    """A progress bar over the steps of a command (tqdm, when installed).

    Shown on stderr only when it is a terminal; a context manager that
    removes the bar at the end.
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

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        # Also on an error: the error's line then starts a line of its own.
        if self._bar is not None:
            self._bar.close()


# --------------------------------------------------------------------------
# Output paths, checked before any work


def check_outputs(outputs, inputs):
    """Fail unless every output can be written and none is an input.

    Parameters
    ----------
    outputs : list of (str, str)
        ``(option, path)`` of every file the command writes, e.g.
        ``("-o", "weights.csv")``.
    inputs : list of str
        The files the command reads.

    Files are compared as files (device and inode), not by the spelling of
    their paths, so ``./a.csv``, ``a.csv`` and a link to it are one file.
    """
    seen = {}
    for option, path in outputs:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise CommandError(f"{option} {path}: the folder {folder} does not exist")
        if os.path.isdir(path):
            raise CommandError(f"{option} {path} is a folder; give a file name")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CommandError(f"{option} {path}: cannot write in the folder {folder}")
        if os.path.exists(path):
            if not os.access(path, os.W_OK):
                raise CommandError(f"{option} {path} exists and is read-only")
            for source in inputs:
                if os.path.exists(source) and os.path.samefile(path, source):
                    raise CommandError(
                        f"{option} {path} is the input file {source}; the output "
                        "would replace it: choose another output file"
                    )
        # Outputs that do not exist yet are the same file when their resolved
        # paths are equal.
        real = os.path.realpath(path)
        if real in seen:
            raise CommandError(
                f"{option} {path} and {seen[real][0]} {seen[real][1]} are the same file"
            )
        seen[real] = (option, path)


@contextlib.contextmanager
def replaced_atomically(path):
    """Yield a temporary path next to ``path``, moved onto ``path`` at the end.

    Whatever happens before the end (an error, Ctrl-C), ``path`` keeps its
    previous content and the temporary file is removed: a file is never left
    half written. The temporary file lies in the same folder, so the final
    ``os.replace`` is a rename on one file system, atomic. A link at ``path``
    stays a link: the file it points to is replaced.
    """
    real = os.path.realpath(path)
    folder, name = os.path.split(real)
    # The name is chosen before the file is created, so that a Ctrl-C at any
    # point (it may land between any two steps, whichever thread receives
    # the signal) finds it known to the cleanup below: tempfile.mkstemp would
    # create the file before returning its name.
    temporary = None
    try:
        while True:
            temporary = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.part")
            try:
                descriptor = os.open(
                    temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
                )
            except FileExistsError:  # another file's name: never remove it
                temporary = None
                continue
            break
        os.close(descriptor)
        yield temporary
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode(real))
        os.replace(temporary, real)
    except BaseException:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise


def _mode(path):
    """The permissions of the file at ``path``, or those a new file gets.

    mkstemp creates files readable by their owner only; the output gets the
    permissions that ``open`` would have given it.
    """
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# --------------------------------------------------------------------------
# Figures


def has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def check_figure_path(path):
    """Fail before any work unless matplotlib can save a figure at ``path``."""
    if not has_matplotlib():
        raise CommandError(f"--plot needs matplotlib: {install_hint('plot')}")
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise CommandError(
            f"--plot {path}: unknown figure type {suffix or '(none)'!r}; use one of "
            f"{', '.join('.' + name for name in sorted(formats))}"
        )


def save_figure(figure, path, out):
    """Save a matplotlib figure and say where."""
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    try:
        with replaced_atomically(path) as temporary:
            figure.savefig(temporary, format=suffix, dpi=100, bbox_inches="tight")
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: cannot save the figure ({exc})") from None
    out.write(f"  saved the figure to {path}\n")
