{{ config(materialized='view') }}
select day from {{ ref('daily') }} where events > 1480
