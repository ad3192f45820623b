SELECT count(DISTINCT job_key)
FROM job_allocations
WHERE day BETWEEN $start_day AND $end_day AND phase = 'unclassified';
