-- Record where this warehouse's lake is. Grain: one row.
INSERT OR REPLACE INTO lake_location VALUES (1, $root);
