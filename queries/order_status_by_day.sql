-- Completed orders and their revenue per day, from the Iceberg table
-- master.order_status (three snapshots: a CTAS, an INSERT, and a
-- merge-on-read DELETE of the refunded orders, whose position deletes the
-- scan applies).
SELECT
  CAST(order_ts AS DATE)  AS day,
  COUNT(*)                AS completed_orders,
  SUM(total)              AS revenue
FROM master.order_status
WHERE status = 'completed'
GROUP BY CAST(order_ts AS DATE)
ORDER BY day;
