{{ config(materialized='table') }}
select cast(event_time as date) as day, count(*) as events from web.clickstream group by 1
