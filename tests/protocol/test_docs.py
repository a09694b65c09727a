"""docs/protocol.md §1's field table is the schema's, generated, never hand-edited."""

from __future__ import annotations

from pathlib import Path

from outlet_protocol.schema import field_table

DOC = Path(__file__).parents[2] / "docs" / "protocol.md"


def test_protocol_field_table_is_generated_from_the_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    begin = text.index("<!-- schema-table:begin")
    start = text.index("\n", begin) + 1
    end = text.index("<!-- schema-table:end -->")
    assert text[start:end] == field_table(), "run: python -m outlet_protocol.schema"
