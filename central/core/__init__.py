"""Sans-I/O rules of central: plain functions over plain data, tested without sockets or a DB."""
