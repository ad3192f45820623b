-- Forget a recorded lake: the lake is the folder beside the warehouse file. Grain: one row.
DELETE FROM lake_location;
