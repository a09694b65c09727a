"""Kitchen printers: durable ESC/POS sinks of the change feed (docs/protocol.md §7, decision 0801)."""
