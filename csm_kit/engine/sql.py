"""The KPI queries, written once in DuckDB's SQL dialect and transpiled for other engines.

Each step is one ``SELECT`` that the backend materialises under a name (a
temporary table in DuckDB, a cached temporary view in Spark); later steps read
earlier ones by name. The arithmetic mirrors :mod:`csm_kit.metrics` exactly:

- MRR of a subscription ``= CAST(amount AS DOUBLE) * (1 - discount) / months``
  with the billing period's months as the same doubles the kit uses
  (``12.0 / 52.0`` is written as the string of that double, cast: string to
  double is correctly rounded in every engine, decimal literals are not);
- integer micro-units ``= rint(mrr * 1e6)``, ties to even as NumPy's ``rint``
  (``round`` alone rounds ties away from zero);
- a subscription is in the month-end balance of month ``k`` (absolute month
  number ``year * 12 + month - 1``) when ``month(start) <= k < month(end)``.

Nothing here depends on the engine beyond what sqlglot translates.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..contract import BILLING_PERIOD_MONTHS


def month_number(expr: str) -> str:
    """SQL for the absolute month number of a date or timestamp expression (``year * 12 + month - 1``)."""
    return f"(year({expr}) * 12 + month({expr}) - 1)"


def _double(value: float) -> str:
    # repr() is the shortest string that parses back to the same double.
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def _months_values(first: int, last: int) -> str:
    return "(VALUES " + ", ".join(f"({k})" for k in range(first, last + 1)) + ") AS m(k)"


@dataclass(frozen=True)
class Step:
    """One named query: the backend stores its result under ``name``."""

    name: str
    sql: str
    label: str  # what the progress bar says
    drops: tuple = ()  # earlier steps' tables no longer needed once this one is stored


def revenue_steps(subscriptions: str, *, k0: int, k1: int, has_discount: bool, window: int = 12) -> list[Step]:
    """The ledger queries for reported months ``k0..k1`` (absolute month numbers).

    Balances are built from month ``k0 - window`` (the cohort form of NRR
    looks ``window`` months back; the movement form needs one month).
    """
    discount = f"CAST(coalesce(discount, 0) AS DOUBLE)" if has_discount else _double(0.0)
    months_case = " ".join(f"WHEN '{p}' THEN {_double(m)}" for p, m in BILLING_PERIOD_MONTHS.items())
    x = f"(mrr * {_double(1_000_000)})"
    subs = f"""
        SELECT customer_id, start_date, end_date, mrr,
               CAST(CASE WHEN {x} - floor({x}) = 0.5 THEN 2 * round({x} / 2) ELSE round({x}) END AS BIGINT) AS micro,
               {month_number('start_date')} AS ms,
               CASE WHEN end_date IS NULL THEN NULL ELSE {month_number('end_date')} END AS me
        FROM (SELECT customer_id, start_date, end_date,
                     CAST(amount AS DOUBLE) * ({_double(1.0)} - {discount})
                       / (CASE billing_period {months_case} END) AS mrr
              FROM {subscriptions}) s"""
    lo = k0 - max(window, 1)
    balances = f"""
        SELECT s.customer_id, m.k, CAST(sum(s.micro) AS BIGINT) AS bal
        FROM csm_subs s JOIN {_months_values(lo, k1)}
          ON s.ms <= m.k AND (s.me IS NULL OR s.me > m.k)
        WHERE s.micro > 0 AND s.ms <= {k1} AND (s.me IS NULL OR s.me > {lo})
        GROUP BY s.customer_id, m.k"""
    # Each balance row with its neighbours: the balance a month before (0 when none), and
    # whether the customer pays nothing a month later (no row for k + 1).
    ledger = f"""
        SELECT customer_id, k, bal,
               CASE WHEN lag(k) OVER (PARTITION BY customer_id ORDER BY k) = k - 1
                    THEN lag(bal) OVER (PARTITION BY customer_id ORDER BY k) ELSE 0 END AS before,
               CASE WHEN lead(k) OVER (PARTITION BY customer_id ORDER BY k) = k + 1 THEN 0 ELSE 1 END AS stops
        FROM csm_balances WHERE k >= {k0 - 1}"""
    first_paid = f"""
        SELECT customer_id, min(ms) AS first_k FROM csm_subs
        WHERE micro > 0 AND (end_date IS NULL OR end_date > start_date) GROUP BY customer_id"""
    closing = f"""
        SELECT k, sum(bal) AS mrr_micro, count(*) AS customers_end,
               sum(CASE WHEN before > 0 AND bal > before THEN bal - before ELSE 0 END) AS expansion_micro,
               sum(CASE WHEN before > 0 AND bal > before THEN 1 ELSE 0 END) AS expansion_customers,
               sum(CASE WHEN before > 0 AND bal < before THEN before - bal ELSE 0 END) AS contraction_micro,
               sum(CASE WHEN before > 0 AND bal < before THEN 1 ELSE 0 END) AS contraction_customers
        FROM csm_ledger WHERE k BETWEEN {k0} AND {k1} GROUP BY k"""
    starts = f"""
        SELECT l.k,
               sum(CASE WHEN f.first_k = l.k THEN l.bal ELSE 0 END) AS new_micro,
               sum(CASE WHEN f.first_k = l.k THEN 1 ELSE 0 END) AS new_customers,
               sum(CASE WHEN f.first_k = l.k THEN 0 ELSE l.bal END) AS reactivation_micro,
               sum(CASE WHEN f.first_k = l.k THEN 0 ELSE 1 END) AS reactivation_customers
        FROM csm_ledger l JOIN csm_first_paid f ON f.customer_id = l.customer_id
        WHERE l.before = 0 AND l.k BETWEEN {k0} AND {k1} GROUP BY l.k"""
    opening = f"""
        SELECT k + 1 AS k, sum(bal) AS mrr_start_micro, count(*) AS customers_start,
               sum(CASE WHEN stops = 1 THEN bal ELSE 0 END) AS churned_micro,
               sum(stops) AS churned_existing
        FROM csm_ledger WHERE k BETWEEN {k0 - 1} AND {k1 - 1} GROUP BY k"""
    # Joined and churned in the month: a paid spell began in it (a paid subscription of
    # non-zero length started in it) while paying at neither month end around it.
    joined_left = f"""
        SELECT j.ms AS k, count(*) AS churned_joined
        FROM (SELECT DISTINCT customer_id, ms FROM csm_subs
              WHERE mrr > 0 AND (end_date IS NULL OR end_date > start_date) AND ms BETWEEN {k0} AND {k1}) j
        LEFT JOIN csm_balances b0 ON b0.customer_id = j.customer_id AND b0.k = j.ms - 1
        LEFT JOIN csm_balances b1 ON b1.customer_id = j.customer_id AND b1.k = j.ms
        WHERE b0.customer_id IS NULL AND b1.customer_id IS NULL
        GROUP BY j.ms"""
    cohort = f"""
        SELECT t.k + {window} AS k, sum(t.bal) AS base_micro, count(*) AS customers_base,
               sum(coalesce(n.bal, 0)) AS now_micro,
               sum(CASE WHEN coalesce(n.bal, 0) < t.bal THEN coalesce(n.bal, 0) ELSE t.bal END) AS capped_micro
        FROM csm_balances t LEFT JOIN csm_balances n ON n.customer_id = t.customer_id AND n.k = t.k + {window}
        WHERE t.k BETWEEN {k0 - window} AND {k1 - window}
        GROUP BY t.k"""
    monthly = f"""
        SELECT m.k,
               CAST(coalesce(o.mrr_start_micro, 0) AS BIGINT) AS mrr_start_micro, CAST(coalesce(c.mrr_micro, 0) AS BIGINT) AS mrr_micro,
               CAST(coalesce(s.new_micro, 0) AS BIGINT) AS new_micro, CAST(coalesce(c.expansion_micro, 0) AS BIGINT) AS expansion_micro,
               CAST(coalesce(c.contraction_micro, 0) AS BIGINT) AS contraction_micro,
               CAST(coalesce(o.churned_micro, 0) AS BIGINT) AS churned_micro,
               CAST(coalesce(s.reactivation_micro, 0) AS BIGINT) AS reactivation_micro,
               CAST(coalesce(o.customers_start, 0) AS BIGINT) AS customers_start, CAST(coalesce(c.customers_end, 0) AS BIGINT) AS customers_end,
               CAST(coalesce(s.new_customers, 0) AS BIGINT) AS new_customers,
               CAST(coalesce(s.reactivation_customers, 0) AS BIGINT) AS reactivation_customers,
               CAST(coalesce(c.expansion_customers, 0) AS BIGINT) AS expansion_customers,
               CAST(coalesce(c.contraction_customers, 0) AS BIGINT) AS contraction_customers,
               CAST(coalesce(o.churned_existing, 0) AS BIGINT) AS churned_existing,
               CAST(coalesce(j.churned_joined, 0) AS BIGINT) AS churned_joined,
               CAST(coalesce(h.base_micro, 0) AS BIGINT) AS cohort_base_micro, CAST(coalesce(h.now_micro, 0) AS BIGINT) AS cohort_now_micro,
               CAST(coalesce(h.capped_micro, 0) AS BIGINT) AS cohort_capped_micro
        FROM {_months_values(k0, k1)}
        LEFT JOIN csm_opening o ON o.k = m.k
        LEFT JOIN csm_closing c ON c.k = m.k
        LEFT JOIN csm_starts s ON s.k = m.k
        LEFT JOIN csm_joined_left j ON j.k = m.k
        LEFT JOIN csm_cohort h ON h.k = m.k
        ORDER BY m.k"""
    return [
        Step("csm_subs", subs, "subscriptions to MRR"),
        Step("csm_balances", balances, "month-end balances"),
        Step("csm_ledger", ledger, "movement ledger"),
        Step("csm_first_paid", first_paid, "first paid month"),
        Step("csm_closing", closing, "closing balances"),
        Step("csm_starts", starts, "new and reactivated"),
        Step("csm_opening", opening, "opening balances and churn"),
        Step("csm_joined_left", joined_left, "joined and left"),
        Step("csm_cohort", cohort, f"{window}-month cohorts"),
        Step("csm_revenue", monthly, "monthly revenue table"),
    ]


def month_ranges(k0: int, k1: int, passes: int) -> list[tuple[int, int]]:
    """Months ``k0..k1`` cut into ``passes`` runs of consecutive months, as even as possible.

    >>> month_ranges(0, 11, 1), month_ranges(0, 11, 5)
    ([(0, 11)], [(0, 2), (3, 5), (6, 7), (8, 9), (10, 11)])
    """
    n = k1 - k0 + 1
    passes = max(1, min(int(passes), n))
    size, extra = divmod(n, passes)
    out, lo = [], k0
    for i in range(passes):
        hi = lo + size + (1 if i < extra else 0) - 1
        out.append((lo, hi))
        lo = hi + 1
    return out


def _first_day(k: int) -> str:
    """``YYYY-MM-DD`` of the first day of absolute month ``k``."""
    return f"{k // 12:04d}-{k % 12 + 1:02d}-01"


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


#: At most this many features are tracked as the bits of one BIGINT per account-month (bit 63 is the sign).
FEATURE_BITS = 62


def activity_filter(*, k0: int, k1: int, has_quantity: bool) -> str:
    """The WHERE condition of activity rows in months ``k0..k1``: ``quantity > 0`` (empty = 1), in the months."""
    active = "coalesce(quantity, 1) > 0 AND " if has_quantity else ""
    return (f"{active}timestamp >= CAST('{_first_day(k0)} 00:00:00' AS TIMESTAMP) "
            f"AND timestamp < CAST('{_first_day(k1 + 1)} 00:00:00' AS TIMESTAMP)")


def features_step(usage_events: str, *, k0: int, k1: int, has_quantity: bool, every_row: bool = False) -> Step:
    """The features (``event`` values) used in months ``k0..k1``, numbered 0, 1, ... in sorted order.

    With ``every_row``, the features of every row, whatever its month or
    quantity: a superset, far cheaper to find (one column, which Parquet
    stores as a dictionary), whose features unused in the months count no
    adopters and are left out of the adoption table.
    """
    where = "" if every_row else f" AND {activity_filter(k0=k0, k1=k1, has_quantity=has_quantity)}"
    sql = f"""
        SELECT feature, CAST(row_number() OVER (ORDER BY feature) - 1 AS INT) AS bit
        FROM (SELECT DISTINCT event AS feature FROM {usage_events} WHERE event IS NOT NULL{where}) f"""
    return Step("csm_features", sql, "usage: features used")


def usage_steps(usage_events: str, *, k0: int, k1: int, has_quantity: bool, passes: int = 1,
                customer_bounds=None, features: int | None = None) -> list[Step]:
    """The activity queries: active users, accounts, user-days (stickiness) and adoption per month.

    Activity rows have ``quantity > 0`` (an empty quantity means 1).

    Reading a big table in runs
    ---------------------------
    Every figure is a count of distinct things *within one month and one
    customer* (a user is the pair (customer, user)), so the table can be read
    in runs that split either the months or the customers: a run's counts
    are exact for its part, and the parts add up. The engine's memory is then
    that of one run's groups, however big the table. Two ways, chosen by the
    backend (:meth:`~csm_kit.engine.DuckDBBackend.usage_plan`) from the
    table's size, its memory and the table's order:

    - ``passes``: the months ``k0..k1`` in that many runs of consecutive
      months (:func:`month_ranges`); for a table in time order, whose files
      a month filter skips;
    - ``customer_bounds``: sorted customer ids ``b1 < b2 < ...``; run ``i``
      reads the customers ``b_i <= customer_id < b_(i+1)`` (the first run
      everything below ``b1``, the last everything from the last bound) over
      all the months; for a table written account by account, whose Parquet
      row groups a customer range skips.

    One run (the default) reads the table twice: activity, then adoption.

    Per run, in one query (the intermediate tables are never stored):

    1. **user-months**: one row per (customer, user, month) that has
       activity, with the month's active days as the bits of one integer
       (bit ``d - 1`` for day ``d``; ``bit_or`` over the user's rows). A
       user-day table would hold one row per active day (1.6 times as many
       rows on simulated data) only to be counted.
    2. **account-months**: per (customer, month), how many users were active
       and their user-days (the set bits, ``bit_count``).
    3. **per month**: ``user_days`` (the sum of daily active users over the
       month's days, the numerator of DAU/MAU), ``active_users`` (the same
       user id under two accounts is two users, as
       :func:`~csm_kit.metrics.active_accounts` counts them) and
       ``active_accounts``.

    Adoption counts, per month and feature (``event``), the accounts that
    used it. With ``features`` (the number of rows of the table
    ``csm_features`` made by :func:`features_step`) at most
    :data:`FEATURE_BITS`, it is read in the same pass: each user-month also
    carries the features it used as bits (feature ``i`` is bit ``i``), an
    account-month the ``bit_or`` of its users', and a feature's adopters in
    a month are the account-months with its bit set. Otherwise (more
    features, or ``features=None``) a second query per run counts
    ``DISTINCT (customer, event, month)``.
    """
    if customer_bounds:
        bounds = sorted(set(customer_bounds))
        edges = [None, *bounds, None]
        runs = [(k0, k1, edges[i], edges[i + 1]) for i in range(len(bounds) + 1)]
    else:
        runs = [(lo, hi, None, None) for lo, hi in month_ranges(k0, k1, passes)]
    bits = features is not None and features <= FEATURE_BITS
    steps, names = [], []
    for i, (lo, hi, c_lo, c_hi) in enumerate(runs):
        where = activity_filter(k0=lo, k1=hi, has_quantity=has_quantity)
        where += f" AND customer_id >= {_text(c_lo)}" if c_lo is not None else ""
        where += f" AND customer_id < {_text(c_hi)}" if c_hi is not None else ""
        label = "" if len(runs) == 1 else f" (run {i + 1} of {len(runs)})"
        rows = f"""SELECT customer_id, user_id, event, {month_number('timestamp')} AS k,
                           CAST(1 AS BIGINT) << (day(timestamp) - 1) AS day_bit
                    FROM {usage_events} WHERE {where}"""
        if not bits:
            counts = f"""
            WITH user_months AS (
              SELECT customer_id, user_id, k, bit_or(day_bit) AS days
              FROM ({rows}) e
              GROUP BY customer_id, user_id, k
            ), account_months AS (
              SELECT customer_id, k, count(*) AS users, sum(bit_count(days)) AS user_days
              FROM user_months GROUP BY customer_id, k
            )
            SELECT k, CAST(sum(user_days) AS BIGINT) AS user_days, CAST(sum(users) AS BIGINT) AS active_users,
                   CAST(count(*) AS BIGINT) AS active_accounts
            FROM account_months GROUP BY k"""
            adoption = f"""
            SELECT k, event AS feature, CAST(count(*) AS BIGINT) AS accounts
            FROM (SELECT DISTINCT customer_id, event, {month_number('timestamp')} AS k
                  FROM {usage_events} WHERE event IS NOT NULL AND {where}) f
            GROUP BY k, event"""
            steps += [Step(f"csm_usage_{i}", counts, f"usage: users, accounts, user-days{label}"),
                      Step(f"csm_adoption_{i}", adoption, f"usage: feature adoption{label}")]
        else:
            # One pass: a user-month's days and features as bits; a row of an unknown (NULL) event is
            # still activity (LEFT JOIN) and sets no feature bit.
            account_months = f"""
            WITH user_months AS (
              SELECT e.customer_id, e.user_id, e.k, bit_or(e.day_bit) AS days,
                     bit_or(CAST(1 AS BIGINT) << f.bit) AS used
              FROM ({rows}) e LEFT JOIN csm_features f ON f.feature = e.event
              GROUP BY e.customer_id, e.user_id, e.k
            )
            SELECT customer_id, k, count(*) AS users, sum(bit_count(days)) AS user_days,
                   coalesce(bit_or(used), 0) AS used
            FROM user_months GROUP BY customer_id, k"""
            counts = f"""
            SELECT k, CAST(sum(user_days) AS BIGINT) AS user_days, CAST(sum(users) AS BIGINT) AS active_users,
                   CAST(count(*) AS BIGINT) AS active_accounts
            FROM csm_account_months_{i} GROUP BY k"""
            # Adopters of feature j in month k: the account-months with bit j set (one column per feature,
            # one pass over the account-months), then one row per month and feature.
            wide = ", ".join(f"sum(CASE WHEN used & (CAST(1 AS BIGINT) << {j}) <> 0 THEN 1 ELSE 0 END) AS f{j}"
                             for j in range(features))
            tall = " UNION ALL ".join(
                f"SELECT w.k, f.feature, CAST(w.f{j} AS BIGINT) AS accounts FROM w JOIN csm_features f ON f.bit = {j}"
                for j in range(features)) or "SELECT k, CAST(NULL AS VARCHAR) AS feature, CAST(0 AS BIGINT) AS accounts FROM w WHERE 1 = 0"
            adoption = f"""
            WITH w AS (SELECT k{", " + wide if wide else ""} FROM csm_account_months_{i} GROUP BY k)
            {tall}"""
            steps += [Step(f"csm_account_months_{i}", account_months, f"usage: account-months{label}"),
                      Step(f"csm_usage_{i}", counts, f"usage: users, accounts, user-days{label}"),
                      Step(f"csm_adoption_{i}", adoption, f"usage: feature adoption{label}",
                           drops=(f"csm_account_months_{i}",))]
        names.append(i)
    usage_union = " UNION ALL ".join(f"SELECT * FROM csm_usage_{i}" for i in names)
    adoption_union = " UNION ALL ".join(f"SELECT * FROM csm_adoption_{i}" for i in names)
    # The runs' counts add up (each customer-month is in one run); every reported month gets a row,
    # 0 where it had no activity at all.
    monthly = f"""
        SELECT m.k, CAST(coalesce(u.user_days, 0) AS BIGINT) AS user_days,
               CAST(coalesce(u.active_users, 0) AS BIGINT) AS active_users,
               CAST(coalesce(u.active_accounts, 0) AS BIGINT) AS active_accounts
        FROM {_months_values(k0, k1)}
        LEFT JOIN (SELECT k, sum(user_days) AS user_days, sum(active_users) AS active_users,
                          sum(active_accounts) AS active_accounts
                   FROM ({usage_union}) r GROUP BY k) u ON u.k = m.k
        ORDER BY m.k"""
    adoption_total = f"""
        SELECT k, feature, CAST(sum(accounts) AS BIGINT) AS accounts
        FROM ({adoption_union}) r GROUP BY k, feature"""
    steps += [Step("csm_usage", monthly, "active users, accounts, stickiness"),
              Step("csm_adoption", adoption_total, "feature adoption")]
    return steps
