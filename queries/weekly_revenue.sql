-- Weekly revenue: orders and revenue per ISO week, read through the view
-- master.daily_revenue (an Athena view: one row per order date).
SELECT
  date_trunc('week', order_date)  AS week,
  SUM(orders)                     AS orders,
  SUM(revenue)                    AS revenue
FROM master.daily_revenue
GROUP BY date_trunc('week', order_date)
ORDER BY week;
