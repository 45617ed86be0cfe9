-- The monthly KPI table in plain DuckDB SQL over the Parquet files: the reference that
-- benchmarks/kpis.py times `csm-kit kpis` against (and checks its numbers with).
-- No validation. Run with the partitioned_execution optimizer off (kpis.py; DuckDB 2.0's splitting of
-- big GROUP BYs into key ranges re-reads the whole file per range: at 10M it did not finish), a
-- memory_limit of half the machine and a temp_directory of its own. Written to be fast: month-end
-- balances from a range join on a small months table, movements from LAG/LEAD over each customer's balance rows (no dense customer x month
-- grid, no self-join), usage read once into user-months, adoption from one more scan.
-- Parameters substituted by kpis.py: {subs}, {events} (Parquet paths), {k0}, {k1} (first and
-- last reported month as year * 12 + month - 1), {first_day}, {next_day} (first day of k0, day
-- after the last day of k1, 'YYYY-MM-DD').

CREATE OR REPLACE TEMP TABLE subs AS
SELECT customer_id, start_date, end_date,
       year(start_date) * 12 + month(start_date) - 1 AS ms,
       CASE WHEN end_date IS NULL THEN NULL ELSE year(end_date) * 12 + month(end_date) - 1 END AS me,
       mrr, round(mrr * 1000000)::BIGINT AS micro
FROM (SELECT customer_id, start_date, end_date,
             amount * (1 - coalesce(discount, 0)) / CASE billing_period WHEN 'month' THEN 1.0 WHEN 'quarter' THEN 3.0
                 WHEN 'year' THEN 12.0 WHEN 'week' THEN 12.0 / 52.0 WHEN 'day' THEN 12.0 / 365.25 END AS mrr
      FROM read_parquet('{subs}'));

-- Month-end balance per paying customer, from 12 months before k0 (the trailing-12-month NRR) to k1.
CREATE OR REPLACE TEMP TABLE bal AS
SELECT s.customer_id, m.k, sum(s.micro)::BIGINT AS bal
FROM subs s JOIN range({k0} - 12, {k1} + 1) m(k) ON s.ms <= m.k AND (s.me IS NULL OR s.me > m.k)
WHERE s.micro > 0
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE led AS
SELECT customer_id, k, bal,
       CASE WHEN lag(k) OVER w = k - 1 THEN lag(bal) OVER w ELSE 0 END AS prev,
       coalesce(lead(k) OVER w, -1) <> k + 1 AS stops,
       fp.first_k
FROM bal JOIN (SELECT customer_id, min(ms) AS first_k FROM subs
               WHERE micro > 0 AND (end_date IS NULL OR end_date > start_date) GROUP BY ALL) fp USING (customer_id)
WHERE k >= {k0} - 1
WINDOW w AS (PARTITION BY customer_id ORDER BY k);

CREATE OR REPLACE TEMP TABLE revenue AS
WITH closing AS (
  SELECT k, sum(bal) AS mrr,
         sum(CASE WHEN prev = 0 AND first_k = k THEN bal ELSE 0 END) AS new_mrr,
         sum(CASE WHEN prev = 0 AND first_k < k THEN bal ELSE 0 END) AS reactivation_mrr,
         sum(CASE WHEN prev > 0 AND bal > prev THEN bal - prev ELSE 0 END) AS expansion_mrr,
         sum(CASE WHEN prev > 0 AND bal < prev THEN prev - bal ELSE 0 END) AS contraction_mrr
  FROM led WHERE k BETWEEN {k0} AND {k1} GROUP BY k
), opening AS (
  SELECT k + 1 AS k, sum(bal) AS mrr_start, count(*) AS customers_start,
         sum(CASE WHEN stops THEN bal ELSE 0 END) AS churned_mrr, count(*) FILTER (WHERE stops) AS churned_existing
  FROM led WHERE k BETWEEN {k0} - 1 AND {k1} - 1 GROUP BY k
), joined_left AS (
  SELECT j.ms AS k, count(*) AS churned_joined
  FROM (SELECT DISTINCT customer_id, ms FROM subs
        WHERE mrr > 0 AND (end_date IS NULL OR end_date > start_date) AND ms BETWEEN {k0} AND {k1}) j
  ANTI JOIN bal b ON b.customer_id = j.customer_id AND b.k IN (j.ms - 1, j.ms)
  GROUP BY ALL
), cohort AS (
  SELECT t.k + 12 AS k, sum(t.bal) AS base, sum(coalesce(n.bal, 0)) AS now, sum(least(coalesce(n.bal, 0), t.bal)) AS capped
  FROM bal t LEFT JOIN bal n ON n.customer_id = t.customer_id AND n.k = t.k + 12
  WHERE t.k BETWEEN {k0} - 12 AND {k1} - 12 GROUP BY ALL
)
SELECT m.k,
       coalesce(mrr, 0) / 1e6 AS mrr, coalesce(new_mrr, 0) / 1e6 AS new_mrr,
       coalesce(expansion_mrr, 0) / 1e6 AS expansion_mrr, coalesce(contraction_mrr, 0) / 1e6 AS contraction_mrr,
       coalesce(churned_mrr, 0) / 1e6 AS churned_mrr, coalesce(reactivation_mrr, 0) / 1e6 AS reactivation_mrr,
       coalesce(customers_start, 0) AS customers_start, coalesce(churned_existing, 0) AS churned_existing,
       coalesce(churned_joined, 0) AS churned_joined,
       (coalesce(churned_existing, 0) + coalesce(churned_joined, 0))
         / nullif(coalesce(customers_start, 0) + coalesce(churned_joined, 0), 0) AS churn_rate,
       (mrr_start - churned_mrr - contraction_mrr + expansion_mrr) / nullif(mrr_start, 0) AS nrr,
       (mrr_start - churned_mrr - contraction_mrr) / nullif(mrr_start, 0) AS grr,
       now / nullif(base, 0) AS nrr_12m, capped / nullif(base, 0) AS grr_12m
FROM range({k0}, {k1} + 1) m(k)
LEFT JOIN closing USING (k) LEFT JOIN opening USING (k) LEFT JOIN joined_left USING (k) LEFT JOIN cohort USING (k);

-- Usage: activity rows (quantity > 0, empty = 1), read once into user-months: one row per
-- (customer, user, month) with the month's active days as bits of one integer (bit_or), so that
-- user-days are its set bits (bit_count) and no customer-user-day table is built. Counted in the
-- same statement down to months. Every count is within one customer and month, so the table can be
-- read in runs of customers whose counts add up: the block between BEGIN RUN and END RUN is run
-- once per run with {run} = '' (the whole table: 100k, 1M) or a customer range such as
-- "AND customer_id >= 'C2000001' AND customer_id < 'C4000001'" (10M: five runs, cut at quantiles
-- of a sample of customer ids; the Parquet row groups outside the range are skipped).
CREATE OR REPLACE TEMP TABLE usage_runs (k INTEGER, user_days BIGINT, active_users BIGINT, active_accounts BIGINT);
CREATE OR REPLACE TEMP TABLE adoption_runs (k INTEGER, feature VARCHAR, accounts BIGINT);

-- BEGIN RUN
INSERT INTO usage_runs
WITH user_months AS (
  SELECT customer_id, user_id, year(timestamp) * 12 + month(timestamp) - 1 AS k,
         bit_or(1::BIGINT << (day(timestamp) - 1)) AS days
  FROM read_parquet('{events}')
  WHERE timestamp >= TIMESTAMP '{first_day}' AND timestamp < TIMESTAMP '{next_day}' AND coalesce(quantity, 1) > 0 {run}
  GROUP BY ALL
), account_months AS (
  SELECT customer_id, k, count(*) AS users, sum(bit_count(days)) AS user_days FROM user_months GROUP BY ALL
)
SELECT k, sum(user_days), sum(users), count(*) FROM account_months GROUP BY k;

INSERT INTO adoption_runs
SELECT k, event, count(*)
FROM (SELECT DISTINCT customer_id, event, year(timestamp) * 12 + month(timestamp) - 1 AS k
      FROM read_parquet('{events}')
      WHERE timestamp >= TIMESTAMP '{first_day}' AND timestamp < TIMESTAMP '{next_day}' AND coalesce(quantity, 1) > 0 {run})
GROUP BY ALL;
-- END RUN

CREATE OR REPLACE TEMP TABLE usage AS
SELECT k, sum(active_accounts) AS active_accounts, sum(active_users) AS active_users,
       sum(user_days) / any_value(date_part('day', last_day(make_date(k // 12, k % 12 + 1, 1)))) / sum(active_users) AS stickiness
FROM usage_runs GROUP BY k;

CREATE OR REPLACE TEMP TABLE adoption AS
SELECT r.k, r.feature, sum(r.accounts) AS accounts, sum(r.accounts) / any_value(a.active_accounts) AS adoption
FROM adoption_runs r JOIN usage a USING (k)
GROUP BY ALL;
