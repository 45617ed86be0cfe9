"""The kit's named errors and warnings."""
from __future__ import annotations


class CsmKitError(Exception):
    """Base class of the kit's errors."""


class DataValidationError(CsmKitError, ValueError):
    """A table breaks the data contract.

    The message names the table, the column, the rule, and up to five
    offending rows with their row numbers as in the source: for CSV the row a
    spreadsheet shows (header = row 1, first record = row 2; a quoted line
    break inside a cell does not start a new row); 1-based row positions for
    Parquet, databases and DataFrames.
    The same facts are attributes, for programs. When the data came through
    a mapping (:mod:`csm_kit.io.mapping`), ``source`` names the user's own
    file and column, and the rows show the file's own column names and values.
    """

    def __init__(self, table: str, column: str | None, rule: str, rows=None, detail: str = "", source: str = ""):
        self.table = table
        self.column = column
        self.rule = rule
        self.rows = rows  # a small DataFrame of offending rows, indexed by row number, or None
        self.detail = detail
        self.source = source  # with a mapping: the user's file and column ("accounts.csv, column 'Created'")
        where = f"{table}.{column}" if column else table
        if source:
            where += f" ({source})"
        msg = f"{where}: {rule}"
        if detail:
            msg += f" ({detail})"
        if rows is not None and len(rows):
            msg += "\nOffending rows (row number as in the source):\n" + rows.to_string()
        super().__init__(msg)


class DataValidationWarning(UserWarning):
    """A soft problem in the data: loaded, but worth a look (also listed in the report)."""


class MissingTableError(CsmKitError, LookupError):
    """A function needs a table (or column) the data set does not have."""


class NotFittedError(CsmKitError, AttributeError):
    """A model was used before `fit`."""


class ReportError(CsmKitError, RuntimeError):
    """The monthly report could not be produced."""
