-- Columns of one table in the main schema, in order, with their types as DESCRIBE spells them.
SELECT column_name, data_type
FROM duckdb_columns()
WHERE table_name = $table AND schema_name = 'main'
ORDER BY column_index;
