"""Plotting helpers shared by the notebooks: one style, titled and labelled charts."""
from .style import BAND_COLOURS, PALETTE, log_count_axis, month_axis, use_style

__all__ = ["use_style", "month_axis", "log_count_axis", "PALETTE", "BAND_COLOURS"]
