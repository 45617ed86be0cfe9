"""Survival churn models and customer-lifetime-value models.

=============================  ===========================================================
module                         what it answers
=============================  ===========================================================
``survival_table``             tenure and churn per customer or paid spell, censored at ``as_of``
``retention_curves``           how long customers stay (Kaplan-Meier, log-rank)
``churn_drivers``              why they leave (Cox proportional hazards, holdout checks)
``at_risk``                    who is likely to leave next, and the MRR at stake
``risk``, ``risk_features``    the churn-risk engine (time-split, calibrated, renewal-aware) and its backtest
``sbg``                        cohort retention projected (shifted-beta-geometric)
``survival_clv``               contractual CLV from survival curves, per customer and segment
``rfm``, ``clv_nc``            purchases without contracts (BG/NBD, Gamma-Gamma)
``survival_report``            report area 04: the survival page's parts and key numbers
``clv_report``                 report area 05: the CLV page's parts and key numbers
``clv_plots``                  the plots of the CLV models (now in ``csm_kit.plotting.clv``)
=============================  ===========================================================

Each model is checked against a published result or a holdout (see the tests).
"""
from .clv_nc import BetaGeoModel, GammaGammaModel, customer_lifetime_value, holdout_comparison, simulate_bgnbd_summary
from .at_risk import at_risk
from .churn_drivers import ChurnDrivers
from .risk import ChurnRisk, RiskBacktest, RiskForecast, risk_backtest
from .retention_curves import RetentionCurves
from .rfm import rfm_summary
from .sbg import ShiftedBetaGeoModel, cohort_survivors
from .survival_clv import (SurvivalCLV, survival_matrix_from_curve, survival_matrix_from_hazard,
                           survival_matrix_from_sbg)
from .survival_table import survival_table

__all__ = ["ShiftedBetaGeoModel", "rfm_summary", "BetaGeoModel", "GammaGammaModel",
           "survival_table", "RetentionCurves", "ChurnDrivers", "at_risk",
           "SurvivalCLV", "survival_matrix_from_curve", "survival_matrix_from_hazard", "survival_matrix_from_sbg",
           "cohort_survivors",
           "customer_lifetime_value", "holdout_comparison", "simulate_bgnbd_summary",
           "ChurnRisk", "RiskForecast", "RiskBacktest", "risk_backtest"]
