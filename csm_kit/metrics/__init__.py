"""Customer-success metrics, one module per area.

Every function states its formula and convention in its docstring and takes
the reporting period (``start``/``end`` months or ``as_of``) explicitly.

========================  ==================================================
module                    metrics
========================  ==================================================
``satisfaction``          NPS, CSAT, CES, and their breakdowns by period
``intervals``             Wilson and adjusted-Wald intervals, noise tests
``feedback``              comment themes, referral candidates
``retention``, ``cohorts`` logo churn and retention, cohort tables
``ledger``, ``revenue``   MRR, movements, NRR/GRR, quick ratio, ARPA
``lifetime_value``        teaching CLV, SaaS LTV, CLV:CAC
``engagement``            active accounts, stickiness, adoption, depth, trend
``onboarding``            completion, adoption, time to value
``support``               ticket volume, response and resolution times
``health``                health scores, backtest, questionnaire form
``scorecard``             targets and the monthly scorecard
``renewals``              renewals due, renewal pipeline by month
``portfolio``             a CSM's book of business
========================  ==================================================
"""
from .cohorts import cohort_retention
from .engagement import account_usage, active_accounts, feature_adoption, stickiness, usage_trend
from .feedback import feedback_themes, referral_candidates, theme_frequency
from .health import (DEFAULT_MEASURES, HealthBacktest, HealthMeasure, health_backtest, health_measures, health_scores,
                     questionnaire_health)
from .lifetime_value import saas_ltv, saas_ltv_by_month, simple_clv, simple_clv_by_segment
from .onboarding import (adoption_rate, milestone_completion, onboarding_completion, time_to_value,
                         time_to_value_curve, time_to_value_durations)
from .retention import churn_rates, retention_rates
from .portfolio import portfolio
from .renewals import renewal_pipeline, renewals
from .revenue import arpa, mrr, mrr_movement_log, mrr_movements, quick_ratio, revenue_retention
from .satisfaction import ces, csat, nps, nps_category, survey_summary
from .scorecard import check_targets, load_targets, metric_values, scorecard, target_status
from .support import support_summary, ticket_time_percentiles, ticket_times

__all__ = [
    "nps", "csat", "ces", "nps_category", "survey_summary",
    "feedback_themes", "theme_frequency", "referral_candidates",
    "churn_rates", "retention_rates", "cohort_retention",
    "mrr", "mrr_movements", "mrr_movement_log", "revenue_retention", "quick_ratio", "arpa",
    "simple_clv", "saas_ltv", "saas_ltv_by_month", "simple_clv_by_segment",
    "active_accounts", "stickiness", "feature_adoption", "account_usage", "usage_trend",
    "onboarding_completion", "adoption_rate", "milestone_completion",
    "time_to_value", "time_to_value_curve", "time_to_value_durations",
    "support_summary", "ticket_times", "ticket_time_percentiles",
    "health_scores", "health_measures", "health_backtest", "questionnaire_health", "HealthMeasure",
    "HealthBacktest", "DEFAULT_MEASURES",
    "scorecard", "load_targets", "check_targets", "target_status", "metric_values",
    "renewals", "renewal_pipeline", "portfolio",
]
