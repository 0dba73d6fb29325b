"""mxlite."""
