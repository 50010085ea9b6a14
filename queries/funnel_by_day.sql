-- Funnel by day: sessions that viewed a product, added to cart, and purchased,
-- with step-to-step conversion rates.
WITH steps AS (
  SELECT
    CAST(event_time AS DATE) AS day,
    session_id,
    MAX(CASE WHEN event_type = 'view' THEN 1 ELSE 0 END)        AS viewed,
    MAX(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted,
    MAX(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END)    AS purchased
  FROM web.clickstream
  GROUP BY CAST(event_time AS DATE), session_id
)
SELECT
  day,
  SUM(viewed)    AS viewed,
  SUM(carted)    AS carted,
  SUM(purchased) AS purchased,
  -- CAST to DOUBLE: Athena reads 100.0 as a DECIMAL, which would round differently.
  ROUND(100 * CAST(SUM(carted) AS DOUBLE) / NULLIF(SUM(viewed), 0), 1)    AS view_to_cart_pct,
  ROUND(100 * CAST(SUM(purchased) AS DOUBLE) / NULLIF(SUM(carted), 0), 1) AS cart_to_purchase_pct
FROM steps
GROUP BY day
ORDER BY day;
