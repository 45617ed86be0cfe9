-- A straightforward DuckDB computation of the monthly KPI table, the reference
-- that benchmarks/kpis.py checks csm-kit against (same numbers, wall time, memory).
-- Parameters are substituted by kpis.py: {subs}, {events} (parquet paths),
-- {first_month} (first reported month, a DATE on the 1st), {n_months}.
-- Formulation notes: window functions (lag over customer-month) rather than a
-- self-join, and events aggregated to customer-user-day once.

CREATE OR REPLACE TEMP TABLE months AS
SELECT (DATE '{first_month}' + INTERVAL (i) MONTH)::DATE AS month_start,
       (DATE '{first_month}' + INTERVAL (i + 1) MONTH - INTERVAL 1 DAY)::DATE AS month_end,
       i AS k
FROM range(-12, {n_months}) t(i);

CREATE OR REPLACE TEMP TABLE subs AS
SELECT customer_id, start_date::DATE AS start_date, end_date::DATE AS end_date,
       amount * (1 - coalesce(discount, 0)) /
       CASE billing_period WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 WHEN 'year' THEN 12
                           WHEN 'week' THEN 12.0 / 52 WHEN 'day' THEN 12 / 365.25 END AS mrr
FROM read_parquet('{subs}');

-- Month-end balance per customer (paying subscriptions covering the month's last day).
CREATE OR REPLACE TEMP TABLE balances AS
SELECT s.customer_id, m.k, round(sum(s.mrr), 6) AS mrr
FROM subs s JOIN months m
  ON s.start_date <= m.month_end AND (s.end_date IS NULL OR s.end_date > m.month_end)
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE first_paid AS
SELECT customer_id, min(start_date) AS first_paid FROM subs WHERE mrr > 0 GROUP BY ALL;

-- Customers who began paying during month k while not paying at its start.
CREATE OR REPLACE TEMP TABLE starts AS
SELECT DISTINCT s.customer_id, m.k
FROM subs s JOIN months m ON s.start_date BETWEEN m.month_start AND m.month_end
WHERE s.mrr > 0;

CREATE OR REPLACE TEMP TABLE cm AS
WITH grid AS (
  SELECT c.customer_id, m.k, m.month_start FROM first_paid c CROSS JOIN months m
), filled AS (
  SELECT g.customer_id, g.k, g.month_start, coalesce(b.mrr, 0) AS mrr,
         (st.customer_id IS NOT NULL) AS started
  FROM grid g
  LEFT JOIN balances b USING (customer_id, k)
  LEFT JOIN starts st USING (customer_id, k)
)
SELECT f.*, lag(mrr, 1, 0) OVER w AS prev, lag(mrr, 12, 0) OVER w AS prev12, fp.first_paid
FROM filled f JOIN first_paid fp USING (customer_id)
WINDOW w AS (PARTITION BY customer_id ORDER BY k);

CREATE OR REPLACE TEMP TABLE revenue AS
SELECT k,
  sum(prev) AS mrr_start,
  sum(CASE WHEN prev = 0 AND mrr > 0 AND first_paid >= month_start THEN mrr ELSE 0 END) AS new,
  sum(CASE WHEN prev = 0 AND mrr > 0 AND first_paid < month_start THEN mrr ELSE 0 END) AS reactivation,
  sum(CASE WHEN prev > 0 AND mrr > prev THEN mrr - prev ELSE 0 END) AS expansion,
  sum(CASE WHEN prev > 0 AND mrr > 0 AND mrr < prev THEN prev - mrr ELSE 0 END) AS contraction,
  sum(CASE WHEN prev > 0 AND mrr = 0 THEN prev ELSE 0 END) AS churn,
  sum(mrr) AS mrr_end,
  count(*) FILTER (WHERE prev > 0) AS customers_start,
  count(*) FILTER (WHERE prev > 0 AND mrr = 0) AS churned_existing,
  count(*) FILTER (WHERE prev = 0 AND started AND mrr = 0) AS churned_joined,
  sum(CASE WHEN prev12 > 0 THEN mrr ELSE 0 END) / nullif(sum(prev12), 0) AS nrr_ttm,
  sum(CASE WHEN prev12 > 0 THEN least(mrr, prev12) ELSE 0 END) / nullif(sum(prev12), 0) AS grr_ttm
FROM cm WHERE k >= 0 GROUP BY k;

-- Usage: aggregate to customer-user-day once, then everything else from that.
CREATE OR REPLACE TEMP TABLE cud AS
SELECT customer_id, user_id, timestamp::DATE AS day
FROM read_parquet('{events}')
WHERE timestamp >= DATE '{first_month}' AND coalesce(quantity, 1) > 0
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE usage AS
WITH daily AS (
  SELECT day, count(*) AS dau FROM cud GROUP BY day
), monthly AS (
  SELECT date_trunc('month', day)::DATE AS month_start,
         count(DISTINCT user_id) AS mau, count(DISTINCT customer_id) AS active_accounts
  FROM cud GROUP BY ALL
)
SELECT m.k, mo.active_accounts, mo.mau,
       sum(coalesce(d.dau, 0)) / ((m.month_end - m.month_start + 1) * mo.mau) AS stickiness
FROM months m
JOIN monthly mo ON mo.month_start = m.month_start
LEFT JOIN daily d ON d.day BETWEEN m.month_start AND m.month_end
GROUP BY m.k, mo.active_accounts, mo.mau, m.month_start, m.month_end;

CREATE OR REPLACE TEMP TABLE adoption AS
WITH used AS (
  SELECT DISTINCT customer_id, event, date_trunc('month', timestamp)::DATE AS month_start
  FROM read_parquet('{events}') WHERE timestamp >= DATE '{first_month}' AND coalesce(quantity, 1) > 0
)
SELECT m.k, u.event, count(*) / any_value(us.active_accounts) AS adoption
FROM used u JOIN months m USING (month_start) JOIN usage us ON us.k = m.k
GROUP BY m.k, u.event;
