"""Plotting helpers shared by the notebooks: one style, titled and labelled charts."""
from .style import (BAND_COLOURS, PALETTE, axes, colours, log_count_axis, money_axis, month_axis, not_available,
                    percent_axis, use_style)

__all__ = ["use_style", "colours", "month_axis", "log_count_axis", "percent_axis", "money_axis", "axes",
           "not_available", "PALETTE", "BAND_COLOURS"]
