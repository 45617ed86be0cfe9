"""Plotting helpers shared by the notebooks: one style, titled and labelled charts."""
from .style import BAND_COLOURS, PALETTE, colours, log_count_axis, month_axis, use_style

__all__ = ["use_style", "colours", "month_axis", "log_count_axis", "PALETTE", "BAND_COLOURS"]
