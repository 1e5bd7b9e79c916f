from decimal import Decimal

import pytest

from core.csv import cell_needs_neutralising, cell_neutralise, cell_restore

FORMULAS = ["=1+2", "+44 20 7946 0000", "-2+3", "@cmd", "\tTab", "\rReturn"]


@pytest.mark.parametrize("value", FORMULAS)
def test_cell_neutralise_prefixes_text_a_spreadsheet_reads_as_a_formula(value):
    assert cell_needs_neutralising(value)
    assert cell_neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "a=b", "'quoted'", "", None, -5, Decimal("-1.50"), 3])
def test_cell_neutralise_leaves_other_text_and_every_non_text_value(value):
    assert not cell_needs_neutralising(value)
    assert cell_neutralise(value) is value


@pytest.mark.parametrize("value", [*FORMULAS, "plain", "'quoted'", "'", "''=x", ""])
def test_cell_restore_undoes_cell_neutralise_and_keeps_any_other_apostrophe(value):
    assert cell_restore(cell_neutralise(value)) == value
