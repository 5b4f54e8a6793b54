"""The ``stategraph`` command line (``stategraph dev``, ``stategraph serve``)."""

from stategraph.cli._main import main as main

__all__ = ("main",)
