-- Where this warehouse's telemetry lake is: a folder or s3://bucket/prefix (config paths.lake);
-- no row: the folder beside the warehouse file, wherever it is moved. Grain: one row.
CREATE TABLE IF NOT EXISTS lake_location (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    root VARCHAR NOT NULL
);
