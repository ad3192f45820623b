DELETE FROM daily_summary WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE);
