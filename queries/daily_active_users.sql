-- Daily active users: distinct signed-in users and sessions per day (UTC).
-- Anonymous visits count as sessions but not as users.
SELECT
  CAST(event_time AS DATE)        AS day,
  COUNT(DISTINCT user_id)         AS active_users,
  COUNT(DISTINCT session_id)      AS sessions,
  COUNT(*)                        AS events
FROM web.clickstream
GROUP BY CAST(event_time AS DATE)
ORDER BY day;
