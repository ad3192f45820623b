-- Estimation path: GPU utilisation (0-1) assumed per phase for allocations with no telemetry.
CREATE TABLE IF NOT EXISTS phase_utilisation (
    phase VARCHAR PRIMARY KEY,
    util  DOUBLE NOT NULL
);
