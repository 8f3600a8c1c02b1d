"""Bulk import of rosters, IKU and SKP from CSV or XLSX: parsing and validation only, no database access.

Each `parse_*` returns the complete validated result or raises `ValidationFailed` carrying every row error; a file
that cannot be read at all raises `ImportFileError`. The caller stores the result in one unit of work.
"""

from importing.errors import ImportFileError, RowError, ValidationFailed
from importing.iku import IKU_COLUMNS, parse_iku
from importing.roster import ROSTER_COLUMNS, RosterImport, parse_roster
from importing.skp import SKP_COLUMNS, parse_skp
from importing.tables import Column, Row, Table, read_table

__all__ = [
    "IKU_COLUMNS",
    "ROSTER_COLUMNS",
    "SKP_COLUMNS",
    "Column",
    "ImportFileError",
    "RosterImport",
    "Row",
    "RowError",
    "Table",
    "ValidationFailed",
    "parse_iku",
    "parse_roster",
    "parse_skp",
    "read_table",
]
