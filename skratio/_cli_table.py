"""The ``skratio`` command's tables: CSV and Parquet files read and written by pyarrow.

Columns that the command passes through (an id column, the rows ``resample``
chooses) keep their values and types exactly: a CSV file is read as text, so
``00000`` stays ``00000`` and ``48`` stays ``48``; a Parquet file keeps its
Arrow types (nullable integers, dictionaries, strings) and its pandas
metadata. Only the feature columns are read as numbers, for the model.
"""

import contextlib
import csv
import os
import sys

import numpy as np

from ._cli_common import CommandError, install_hint, replaced_atomically

_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
# pyarrow parses CSV in blocks, and a row must fit in one: a file whose rows
# are longer than the default block is read again with blocks this large.
_LARGE_BLOCK = 1 << 30
# Rows per batch of CSV and per row group of Parquet when writing: the command
# can stop (Ctrl-C) between them. pyarrow's largest row group is 2**20 rows.
_CSV_BATCH_ROWS = 1 << 16
_PARQUET_BATCH_ROWS = 1 << 20


def _pyarrow():
    try:
        import pyarrow
    except ImportError:
        raise CommandError(
            f"reading and writing tables needs pyarrow: {install_hint('cli')}"
        ) from None
    return pyarrow


def file_format(path, role):
    """``"csv"`` or ``"parquet"``, from the suffix of ``path``."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in _SUFFIXES:
        raise CommandError(
            f"{path}: unknown file type {suffix or '(none)'!r} for {role}; use .csv or "
            ".parquet"
        )
    return _SUFFIXES[suffix]


class Table:
    """The rows of a CSV or Parquet file, as a :class:`pyarrow.Table`.

    Parameters
    ----------
    path : str
        The file, for messages.
    data : pyarrow.Table
        Its columns: text for a CSV file, the file's types for Parquet.
    kind : {"csv", "parquet"}
        Its format.
    """

    def __init__(self, path, data, kind):
        self.path = path
        self.data = data
        self.kind = kind

    @property
    def names(self):
        return self.data.column_names

    @property
    def n_rows(self):
        return self.data.num_rows

    def index_columns(self):
        """Columns that hold a pandas index, not data (Parquet files)."""
        import json

        metadata = self.data.schema.metadata or {}
        if b"pandas" not in metadata:
            return []
        index = json.loads(metadata[b"pandas"]).get("index_columns", [])
        return [name for name in index if isinstance(name, str)]

    def features(self, names):
        """The columns ``names`` as a finite float matrix, for the model."""
        return np.column_stack([self._feature(name) for name in names])

    def _feature(self, name):
        pa = _pyarrow()
        import pyarrow.compute as pc

        column = self.data.column(name)
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if column.null_count:  # Parquet only: CSV cells are never null
            self._cell_error(name, _first(pc.is_null(column)), "empty cell")
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            text = pc.utf8_trim_whitespace(column)
            empty = pc.equal(text, "")
            if pc.any(empty).as_py():
                self._cell_error(name, _first(empty), "empty cell")
            try:
                column = pc.cast(text, pa.float64())
            except pa.ArrowInvalid:
                row = _first_unparsable(text)
                self._cell_error(
                    name,
                    row,
                    f"{text[row].as_py()!r} is not a number; choose numeric feature "
                    "columns with --columns",
                )
        elif not (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind)
        ):
            raise CommandError(
                f"{self.path}: column {name!r} is not numeric (type {kind}); choose "
                "numeric feature columns with --columns"
            )
        values = column.cast(pa.float64()).to_numpy()
        finite = np.isfinite(values)
        if not finite.all():
            row = int(np.argmin(finite))
            shown = self.data.column(name)[row].as_py()
            self._cell_error(
                name, row, f"{shown!r} is not a finite number; the features need one"
            )
        return values

    def _cell_error(self, name, row, problem):
        if self.kind == "csv":
            where = f"line {_csv_line(self.path, row)}"
        else:
            where = f"row {row + 1}"
        raise CommandError(f"{self.path}, {where}, column {name!r}: {problem}")


def _first(mask):
    """Position of the first true value of a boolean pyarrow array."""
    return int(np.argmax(mask.to_numpy(zero_copy_only=False)))


def _first_unparsable(text):
    """Position of the first cell of ``text`` that is not a number (bisection)."""
    pa = _pyarrow()
    import pyarrow.compute as pc

    low, high = 0, len(text)  # the first bad cell lies in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        try:
            pc.cast(text.slice(low, middle - low), pa.float64())
        except pa.ArrowInvalid:
            high = middle
        else:
            low = middle
    return low


def _csv_line(path, row):
    """The line of ``path`` on which data row ``row`` (from 0) starts."""
    for index, (line, _) in enumerate(_csv_records(path)):
        if index == row + 1:  # record 0 is the header
            return line
    return "?"


def _csv_records(path):
    """``(first line, fields)`` of every record of a CSV file.

    Read again with the standard library, only to name a line in a message:
    blank lines are skipped, as pyarrow skips them, and a quoted field may
    span lines.
    """
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as stream:
            reader = csv.reader(stream)
            end_of_previous = 0
            for record in reader:
                if record:
                    yield end_of_previous + 1, record
                end_of_previous = reader.line_num
    finally:
        csv.field_size_limit(limit)


# --------------------------------------------------------------------------
# Reading


def read_table(path, role):
    """Read a CSV or Parquet file; bad files end in one :class:`CommandError`."""
    if os.path.isdir(path):
        raise CommandError(f"{path} is a folder, not a file ({role})")
    kind = file_format(path, role)
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such file ({role})")
    pa = _pyarrow()
    data = _read_csv(path, pa) if kind == "csv" else _read_parquet(path, pa)
    _check_names(path, data.column_names)
    if data.num_rows == 0:
        raise CommandError(f"{path} has columns but no rows ({role})")
    return Table(path, data, kind)


def _check_names(path, names):
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise CommandError(f"{path}: duplicated column names {duplicated}")


def _read_parquet(path, pa):
    import pyarrow.parquet as pq

    try:
        data = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise CommandError(f"{path}: cannot read it as Parquet ({exc})") from None
    if data.num_columns == 0:
        raise CommandError(f"{path} is empty")
    return data


def _read_csv(path, pa, block_size=None):
    """Every column as text, exactly as in the file (no type inference)."""
    import pyarrow.csv as pacsv

    read_options = pacsv.ReadOptions(block_size=block_size)
    # Quoted fields may hold line breaks.
    parse_options = pacsv.ParseOptions(newlines_in_values=True)
    names = []
    try:
        # The header: the first block, read with inferred types, names them.
        with pacsv.open_csv(
            path, read_options=read_options, parse_options=parse_options
        ) as reader:
            names = reader.schema.names
        _check_names(path, names)
        return pacsv.read_csv(
            path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "straddling" in message and block_size is None:
            return _read_csv(path, pa, _LARGE_BLOCK)
        raise CommandError(_csv_problem(path, message, names)) from None
    except UnicodeDecodeError:  # pyarrow decodes the header's names itself
        raise CommandError(_not_utf8(path, "", names)) from None


def _csv_problem(path, message, names):
    if "Empty CSV file" in message:
        return f"{path} is empty"
    if "invalid UTF8" in message:
        return _not_utf8(path, message, names)
    if "Expected" in message and "columns, got" in message:
        return _ragged(path, message)
    if "straddling" in message:
        return f"{path} has a row longer than {_LARGE_BLOCK} bytes"
    return f"{path}: cannot read it as CSV ({message})"


def _not_utf8(path, message, names):
    """Name the first line (and the column, when pyarrow says) that is not UTF-8."""
    import re

    with open(path, "rb") as stream:
        # A line break is one byte that no multi-byte UTF-8 character contains,
        # so each line decodes on its own. The message reads the line number
        # where the loop stops.
        for line, text in enumerate(stream, start=1):  # noqa: B007
            try:
                text.decode("utf-8")
            except UnicodeDecodeError:
                break
    column = re.search(r"column #(\d+)", message)
    where = f", column {names[int(column[1])]!r}" if column else ""
    return f"{path}, line {line}{where}: not UTF-8 text; save the file as UTF-8"


def _ragged(path, message):
    """Name the first line whose number of fields differs from the header's."""
    records = _csv_records(path)
    _, header = next(records)
    for line, record in records:
        if len(record) != len(header):
            return (
                f"{path}, line {line}: {len(record)} fields where the header has "
                f"{len(header)}"
            )
    return f"{path}: cannot read it as CSV ({message})"


# --------------------------------------------------------------------------
# Writing


def write_table(path, data):
    """Write a :class:`pyarrow.Table` as CSV or Parquet, by the suffix of ``path``.

    Written to a temporary file moved into place at the end: an interrupted
    or failed write leaves a previous ``path`` untouched.
    """
    kind = file_format(path, "the output")
    pa = _pyarrow()
    try:
        if kind == "parquet":
            _write(path, data, _parquet_writer, _PARQUET_BATCH_ROWS)
            return
        try:
            # Text as it was read: quotes only where a field needs them.
            _write(path, data, _csv_writer("none"), _CSV_BATCH_ROWS)
        except pa.ArrowInvalid:  # a field holds a comma, a quote or a line break
            _write(path, data, _csv_writer("needed"), _CSV_BATCH_ROWS)
    except (pa.ArrowException, OSError) as exc:
        raise CommandError(f"{path}: cannot write it ({exc})") from None


def _write(path, data, writer, rows):
    with replaced_atomically(path) as temporary, writer(temporary, data.schema) as out:
        for start in range(0, data.num_rows, rows):
            out.write_table(data.slice(start, rows))


def _csv_writer(quoting_style):
    import pyarrow.csv as pacsv

    @contextlib.contextmanager
    def writer(path, schema):
        with open(path, "w", newline="", encoding="utf-8") as stream:
            # pyarrow quotes every name of the header; the standard library
            # only those that need it, as the rows are written.
            csv.writer(stream).writerow(schema.names)
            stream.flush()
            options = pacsv.WriteOptions(
                include_header=False, quoting_style=quoting_style
            )
            with pacsv.CSVWriter(stream.buffer, schema, write_options=options) as out:
                yield out

    return writer


def _parquet_writer(path, schema):
    import pyarrow.parquet as pq

    return pq.ParquetWriter(path, schema)


def check_writable(path):
    """Fail before any work if pyarrow cannot write ``path``'s format."""
    file_format(path, "the output")
    _pyarrow()
