-- Revenue by product category: purchase events joined to the products master
-- (list price x quantity), with orders and buyers per category.
SELECT
  p.category,
  COUNT(*)                          AS purchases,
  COUNT(DISTINCT e.user_id)         AS buyers,
  SUM(p.price * e.quantity)         AS revenue
FROM web.clickstream e
JOIN master.products p ON p.product_id = e.product_id
WHERE e.event_type = 'purchase'
GROUP BY p.category
ORDER BY revenue DESC;
