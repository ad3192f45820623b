-- The lake this warehouse recorded (none before its first ingest). Grain: one row.
SELECT root FROM lake_location;
