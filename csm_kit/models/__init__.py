"""Survival churn models and CLV models (in progress: see the models issue)."""
from .sbg import ShiftedBetaGeoModel

__all__ = ["ShiftedBetaGeoModel"]
