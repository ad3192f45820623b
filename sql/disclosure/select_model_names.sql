-- Every model name with fleet energy or requests served. Grain: model.
SELECT model FROM daily_summary WHERE model <> ''
UNION
SELECT model FROM raw_serving
ORDER BY model;
