"""Key numbers: what each report area records for the index, the scorecard and ``metrics.json``.

One number, one definition, one place. Each area of the report has one
function in ``csm_kit`` that computes its key numbers from a Dataset:

    <area>_key_numbers(ds, *, month, **parameters) -> list[KeyNumber]

where ``parameters`` are the area notebook's own parameters by the same
names (``convention``, ``horizon_days``, ``gross_margin``...). The notebook's
last cell only records what that function returns
(:func:`csm_kit.record.record_key_numbers`), so a page, the index and
``metrics.json`` cannot disagree; a test recomputes every recorded number
through :data:`AREAS` and compares it with a report's ``metrics.json``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class KeyNumber:
    """One recorded number.

    Attributes
    ----------
    name : str
        Stable machine name, the key in ``metrics.json`` (``"nps_relationship"``).
    value : float, int, str or None
        The value; None when it cannot be computed (the notebook says why).
    unit : str or None
        ``"share"``, ``"USD"``, ``"customers"``, ``"points"``, ``"ratio"``, ``"days"``...
    label : str
        What a reader sees on the scorecard.
    extra : dict
        Context kept beside the value: ``previous=``, counts for the noise
        test (``previous_promoters=``...), ``convention=``, ``scorecard=False``.
    """

    name: str
    value: object
    unit: str | None
    label: str
    extra: dict = field(default_factory=dict)


#: Notebook stem -> "module:function" computing that area's key numbers.
#: An area is added here when its notebook records through its function.
AREAS: dict[str, str] = {}
AREAS["00_data_overview"] = "csm_kit.metrics.overview:overview_key_numbers"
AREAS["01_satisfaction"] = "csm_kit.metrics.satisfaction_page:satisfaction_key_numbers"
AREAS["02_churn_retention"] = "csm_kit.metrics.churn_page:churn_key_numbers"
AREAS["03_revenue"] = "csm_kit.metrics.revenue_page:revenue_key_numbers"
AREAS["04_survival_churn"] = "csm_kit.models.survival_report:survival_key_numbers"
AREAS["05_clv"] = "csm_kit.models.clv_report:clv_key_numbers"
AREAS["10_renewals"] = "csm_kit.metrics.renewals:renewals_key_numbers"
AREAS["06_engagement"] = "csm_kit.metrics.engagement:engagement_key_numbers"
AREAS["07_onboarding"] = "csm_kit.metrics.onboarding:onboarding_key_numbers"
AREAS["09_support"] = "csm_kit.metrics.support:support_key_numbers"
AREAS["08_health"] = "csm_kit.metrics.health_page:health_key_numbers"


def key_numbers_function(notebook_stem: str):
    """The function computing the key numbers of one report notebook (``"02_churn_retention"``).

    Raises KeyError for a notebook that has none registered in :data:`AREAS`.
    """
    module, name = AREAS[notebook_stem].split(":")
    return getattr(importlib.import_module(module), name)
