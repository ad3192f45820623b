-- First and last day with GPU energy in the warehouse.
SELECT min(day), max(day) FROM daily_summary;
