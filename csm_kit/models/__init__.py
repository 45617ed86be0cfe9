"""Survival churn models and CLV models (in progress: see the models issue)."""
from .clv_nc import BetaGeoModel, GammaGammaModel
from .rfm import rfm_summary
from .sbg import ShiftedBetaGeoModel

__all__ = ["ShiftedBetaGeoModel", "rfm_summary", "BetaGeoModel", "GammaGammaModel"]
