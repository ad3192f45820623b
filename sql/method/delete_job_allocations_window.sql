DELETE FROM job_allocations WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE);
