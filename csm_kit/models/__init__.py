"""Survival churn models and CLV models (in progress: see the models issue)."""
from .clv_nc import BetaGeoModel, GammaGammaModel, customer_lifetime_value, holdout_comparison, simulate_bgnbd_summary
from .at_risk import at_risk
from .churn_drivers import ChurnDrivers
from .retention_curves import RetentionCurves
from .rfm import rfm_summary
from .sbg import ShiftedBetaGeoModel, cohort_survivors
from .survival_clv import SurvivalCLV, survival_matrix_from_curve, survival_matrix_from_sbg
from .survival_table import survival_table

__all__ = ["ShiftedBetaGeoModel", "rfm_summary", "BetaGeoModel", "GammaGammaModel",
           "survival_table", "RetentionCurves", "ChurnDrivers", "at_risk",
           "SurvivalCLV", "survival_matrix_from_curve", "survival_matrix_from_sbg", "cohort_survivors",
           "customer_lifetime_value", "holdout_comparison", "simulate_bgnbd_summary"]
