"""Plotting helpers shared by the notebooks: one style, titled and labelled charts."""
from .style import use_style

__all__ = ["use_style"]
