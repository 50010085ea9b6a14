-- Top referrers: sessions per referrer (direct traffic has none) and the share
-- of those sessions that ended in a purchase.
WITH sessions AS (
  SELECT
    session_id,
    COALESCE(MAX(referrer), '(direct)')                          AS referrer,
    MAX(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END)     AS converted
  FROM web.clickstream
  GROUP BY session_id
)
SELECT
  referrer,
  COUNT(*)                                   AS sessions,
  SUM(converted)                             AS converted_sessions,
  -- CAST to DOUBLE: Athena reads 100.0 as a DECIMAL, which would round differently.
  ROUND(100 * CAST(SUM(converted) AS DOUBLE) / COUNT(*), 2) AS conversion_pct
FROM sessions
GROUP BY referrer
ORDER BY sessions DESC, referrer
LIMIT 10;
