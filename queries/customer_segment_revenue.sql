-- Revenue by customer segment for the first week of May: completed orders
-- (Hive-partitioned Parquet, pruned by order_date) joined to customers.
SELECT
  c.segment,
  COUNT(*)                        AS orders,
  COUNT(DISTINCT o.customer_id)   AS customers,
  SUM(o.total)                    AS revenue,
  ROUND(AVG(o.total), 2)          AS avg_order_value
FROM master.orders o
JOIN master.customers c ON c.customer_id = o.customer_id
WHERE o.order_date BETWEEN DATE '2024-05-01' AND DATE '2024-05-07'
  AND o.status = 'completed'
GROUP BY c.segment
ORDER BY revenue DESC;
