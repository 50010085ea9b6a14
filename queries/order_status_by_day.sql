-- Completed orders per day from the Iceberg table master.order_status, whose
-- refunded orders a merge-on-read DELETE removed (its history is in
-- "master"."order_status$snapshots").
SELECT
  date(order_ts)  AS order_date,
  count(*)        AS orders,
  sum(total)      AS revenue
FROM master.order_status
GROUP BY date(order_ts)
ORDER BY order_date;
