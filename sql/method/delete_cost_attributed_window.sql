-- Windows are whole UTC days, so the day column selects exactly the lines the insert recomputes.
DELETE FROM cost_attributed WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE);
