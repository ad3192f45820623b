"""`wattprint demo` (its `run`) writes the Prometheus textfile its config names
(`reporting.metrics_textfile`), read from the session's demo run: the last day of the demo's
disclosure, with that day's facility energy per phase as disclosure.json's `daily` states it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families


def test_demo_run_writes_the_textfile_of_its_last_day(demo_run):
    config = yaml.safe_load(demo_run.config.read_text())
    path = demo_run.out / config["reporting"]["metrics_textfile"]
    assert f"metrics: {path}" in demo_run.stdout
    samples = {
        f.name: f.samples for f in text_string_to_metric_families(path.read_text(encoding="utf-8"))
    }
    d = demo_run.disclosure
    last = date.fromisoformat(d["period"]["end"])
    (day,) = samples["wattprint_last_computed_day_timestamp_seconds"]
    assert day.value == datetime.combine(last, datetime.min.time(), tzinfo=UTC).timestamp()
    by_phase: dict[str, float] = {}
    for s in samples["wattprint_facility_energy_joules"]:
        by_phase[s.labels["phase"]] = by_phase.get(s.labels["phase"], 0.0) + s.value / 3.6e6
    want = {r["phase"]: r["energy_kwh"] for r in d["daily"] if r["day"] == last.isoformat()}
    assert want and by_phase == pytest.approx(want, rel=1e-9)
