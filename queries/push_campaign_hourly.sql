-- Hourly traffic around the spring push campaign (2024-05-04 18:00 UTC):
-- events, sessions and purchases per hour from noon to midnight, and how many
-- sessions came from the push notification. Reads only those twelve hours.
SELECT
  datehour,
  COUNT(*)                                                          AS events,
  COUNT(DISTINCT session_id)                                        AS sessions,
  COUNT(DISTINCT CASE WHEN referrer = 'push' THEN session_id END)   AS push_sessions,
  SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END)          AS purchases
FROM web.clickstream
WHERE datehour BETWEEN '2024/05/04/12' AND '2024/05/04/23'
GROUP BY datehour
ORDER BY datehour;
