"""The ``mxlite`` command-line tool."""
