"""Customer-success metrics, one module per area. Public names are imported here."""
from .satisfaction import nps, csat, ces, survey_summary, nps_category; from .feedback import feedback_themes, theme_frequency, referral_candidates
from .engagement import active_accounts, stickiness, feature_adoption, account_usage, usage_trend
from .onboarding import onboarding_completion, adoption_rate, milestone_completion, time_to_value, time_to_value_curve, time_to_value_durations
from .support import support_summary, ticket_times
from .retention import churn_rates, retention_rates
from .cohorts import cohort_retention
from .revenue import mrr, mrr_movements, mrr_movement_log, revenue_retention, quick_ratio, arpa
from .lifetime_value import simple_clv, saas_ltv, saas_ltv_by_month, simple_clv_by_segment
from .health import health_scores, health_measures, health_backtest, questionnaire_health, HealthMeasure
from .scorecard import scorecard, load_targets, target_status
