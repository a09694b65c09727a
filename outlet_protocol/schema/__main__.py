"""`python -m outlet_protocol.schema` prints docs/protocol.md §1's field table from the schema."""

from outlet_protocol.schema import field_table

print(field_table(), end="")
