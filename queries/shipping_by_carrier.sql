-- Shipments per carrier, from the ORC table master.shipments (a Hive ETL
-- job's output, read by column position as Athena reads ORC), joined to the
-- orders they ship: how many, how heavy, and how long after the order.
SELECT
  s.carrier,
  COUNT(*)                                                 AS shipments,
  ROUND(SUM(s.weight_kg), 2)                               AS total_weight_kg,
  ROUND(AVG(date_diff('hour', o.order_ts, s.shipped_ts)), 1) AS avg_hours_to_ship,
  SUM(o.total)                                             AS shipped_value
FROM master.shipments s
JOIN master.orders o ON o.order_id = s.order_id
GROUP BY s.carrier
ORDER BY s.carrier;
