"""The CLV models' plots, now in :mod:`csm_kit.plotting.clv` (re-exported here for existing imports)."""
from ..plotting.clv import (plot_clv_distribution, plot_expected_purchases_matrix, plot_holdout_comparison,
                            plot_probability_alive_matrix, plot_sbg_projection)

__all__ = ["plot_sbg_projection", "plot_probability_alive_matrix", "plot_expected_purchases_matrix",
           "plot_holdout_comparison", "plot_clv_distribution"]
