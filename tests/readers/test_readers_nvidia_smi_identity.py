"""Which GPU a row of an nvidia-smi log is, when the log has no `index` column (issue 15).

A real 8-GPU H100 log written with `-lms 100` and no index came out at about 20 times its energy:
polls whose first row is exactly one cadence after the previous poll's last row were merged and the
host grew more than 200 GPUs. Rows per poll now come from what the log says (uuid, bus id, the
pause between polls) and from the host's GPU count in the inventory, never from a time threshold
alone; a host never gets more GPU indices than its inventory lists. Every shape is read both ways
(polars' CSV split and line by line) with the same result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipeline.readers import ReadContext, ReadResult
from tests.readers.test_readers_nvidia_smi import assert_same, read_both_ways, write

HOST = "gpu-node-07"
H100 = "NVIDIA H100 80GB HBM3"
QUERY = "timestamp, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"
T0 = datetime(2024, 6, 1, 11, 27, 5, 177_000)


def ctx(gpus: int | None, tz: str = "UTC") -> ReadContext:
    """A context whose inventory lists `gpus` GPUs on HOST (None: no inventory at all)."""
    return ReadContext(
        timezone_for_path=lambda p: tz,
        gpus_per_host=None if gpus is None else {HOST: gpus},
    )


def stamp(t: datetime, ms: bool = True) -> str:
    return t.strftime("%Y/%m/%d %H:%M:%S.%f")[:-3] if ms else t.strftime("%Y/%m/%d %H:%M:%S")


def watts(poll: int, gpu: int) -> float:
    return 300.0 + 10 * gpu + (poll % 7)


def polls(
    gpus: int,
    n: int,
    *,
    row_ms: float = 2.0,
    pause_ms: float = 100.0,
    start: datetime = T0,
    ms: bool = True,
) -> tuple[list[str], datetime]:
    """`n` polls of `gpus` rows as `nvidia-smi --query-gpu=... -lms <pause>` writes them: each
    row stamped with its own time, `row_ms` apart, and the next poll's first row `pause_ms`
    after this poll's last row. Returns the lines and the time after the last poll."""
    lines, t = [], start
    for p in range(n):
        for g in range(gpus):
            lines.append(f"{stamp(t, ms)}, {H100}, {watts(p, g):.2f} W, 87 %, 70123 MiB")
            if g < gpus - 1:
                t += timedelta(milliseconds=row_ms)
        t += timedelta(milliseconds=pause_ms)
    return lines, t


def read(tmp_path: Path, lines: list[str], context: ReadContext, monkeypatch) -> ReadResult:
    """The log read as wattprint reads it and line by line, which must agree; a log without a
    cut line takes the fast path (polars' CSV split), so both ways are exercised."""
    path = write(tmp_path, "\n".join(lines) + "\n", host=HOST)
    result, by_line, took_fast = read_both_ways(path, context, monkeypatch)
    assert_same(result, by_line)
    ragged = len({line.count(",") for line in lines}) > 1
    assert took_fast is not ragged
    return result


def per_gpu(result: ReadResult) -> dict[int, int]:
    counts = result.frame.group_by("gpu_index").len().sort("gpu_index")
    return dict(counts.iter_rows())


def energy_wh(frame: pl.DataFrame) -> float:
    """Trapezoid per GPU over the accepted rows (what the energy stage integrates)."""
    out = (
        frame.sort("gpu_index", "ts_utc")
        .with_columns(
            dt_s=pl.col("ts_utc").diff().over("gpu_index").dt.total_microseconds() / 1e6,
            mean_w=(pl.col("power_w") + pl.col("power_w").shift(1).over("gpu_index")) / 2,
        )
        .select((pl.col("dt_s") * pl.col("mean_w")).sum() / 3600)
    )
    return float(out.item())


@pytest.mark.parametrize("gpus", [8, None], ids=["inventory", "no-inventory"])
def test_eight_gpus_at_lms_100_without_index_are_eight_gpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gpus: int | None
) -> None:
    # The shape of the 20x log: the next poll's first row exactly 100 ms after the last row.
    lines, _ = polls(8, 50)
    result = read(tmp_path, [QUERY, *lines], ctx(gpus), monkeypatch)
    assert result.problems == []
    assert per_gpu(result) == {g: 50 for g in range(8)}
    assert result.frame["gpu_index"].to_list() == list(range(8)) * 50
    assert result.frame["power_w"].to_list() == [watts(p, g) for p in range(50) for g in range(8)]
    # 49 intervals of 114 ms per GPU at ~335 W: a few Wh, not 20 times that.
    truth = sum(
        (watts(p, g) + watts(p + 1, g)) / 2 * 0.114 / 3600 for p in range(49) for g in range(8)
    )
    assert energy_wh(result.frame) == pytest.approx(truth, rel=1e-9)


def test_polls_that_run_together_are_cut_at_the_inventory_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Polls started every 100 ms (86 ms after the last row) and at -lms 10: no pause marks a
    # poll, so the host's 8 GPUs do.
    for pause in (86.0, 10.0, 0.5):
        lines, _ = polls(8, 40, pause_ms=pause)
        result = read(tmp_path, [QUERY, *lines], ctx(8), monkeypatch)
        assert result.problems == []
        assert result.frame["gpu_index"].to_list() == list(range(8)) * 40


def test_polls_that_run_together_without_inventory_are_quarantined_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines, _ = polls(8, 20, pause_ms=10.0)
    result = read(tmp_path, [QUERY, *lines], ctx(None), monkeypatch)
    assert result.frame.height == 0
    assert len(result.problems) == 160
    reason = result.problems[0].reason
    assert "no index" in reason and "host_groups" in reason and HOST in reason


@pytest.mark.parametrize("gpus", [1, None], ids=["inventory", "no-inventory"])
def test_one_gpu_at_lms_100_has_no_phantom_second_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gpus: int | None
) -> None:
    lines, _ = polls(1, 600, pause_ms=100.0)
    result = read(tmp_path, [QUERY, *lines], ctx(gpus), monkeypatch)
    assert result.problems == []
    assert per_gpu(result) == {0: 600}
    assert energy_wh(result.frame) == pytest.approx(
        sum((watts(p, 0) + watts(p + 1, 0)) / 2 * 0.1 / 3600 for p in range(599)), rel=1e-9
    )


def test_a_restart_mid_poll_starts_numbering_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The logger killed after 3 rows of a poll, the third cut mid-line; restarted with `>>`,
    # which writes the header again, 1.3 s later. Then the same without a header (noheader).
    before, t = polls(8, 5)
    cut, t = polls(3, 1, start=t)
    cut[-1] = cut[-1][:30]
    after, _ = polls(8, 5, start=t + timedelta(milliseconds=1300))
    result = read(tmp_path, [QUERY, *before, *cut, QUERY, *after], ctx(8), monkeypatch)
    assert result.frame["gpu_index"].to_list() == [*range(8)] * 5 + [0, 1] + [*range(8)] * 5
    [problem] = result.problems
    assert problem.line == 1 + 40 + 3
    result = read(tmp_path, [QUERY, *before, *cut, *after], ctx(8), monkeypatch)
    assert result.frame["gpu_index"].to_list() == [*range(8)] * 5 + [0, 1] + [*range(8)] * 5


def test_timestamps_at_second_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `-lms 100` logged with whole seconds: ten 8-row polls share each stamp.
    lines, _ = polls(8, 30, row_ms=0, pause_ms=100, ms=False)
    result = read(tmp_path, [QUERY, *lines], ctx(8), monkeypatch)
    assert result.problems == []
    assert result.frame["gpu_index"].to_list() == list(range(8)) * 30


def test_fall_back_change_without_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2 GPUs every 15 minutes through Stockholm's autumn change: the wall clock steps back, which
    # starts a poll; every row keeps its GPU.
    lines, t = [], datetime(2024, 10, 27, 1, 30)
    instants = []
    for step in range(8):
        for g in range(2):
            lines.append(f"{stamp(t + timedelta(milliseconds=3 * g))}, {H100}, 100 W, 1 %, 1 MiB")
        instants.append(t)
        t += timedelta(minutes=15)
        if t == datetime(2024, 10, 27, 3, 0) and step < 6:
            t = datetime(2024, 10, 27, 2, 0)  # the clock falls back once
    result = read(tmp_path, [QUERY, *lines], ctx(2, "Europe/Stockholm"), monkeypatch)
    assert result.problems == []
    assert result.frame["gpu_index"].to_list() == [0, 1] * 8
    assert result.frame["ts_utc"].n_unique() == 16


def test_sixteen_gpus_on_an_eight_gpu_host_are_not_counted_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = ctx(8)
    # No index: 16-row polls a second apart.
    lines, _ = polls(16, 10, pause_ms=1000)
    result = read(tmp_path, [QUERY, *lines], inventory, monkeypatch)
    assert per_gpu(result) == {g: 10 for g in range(8)}
    assert len(result.problems) == 80
    assert "16 GPUs" in result.problems[0].reason and "8" in result.problems[0].reason
    # An index column: indices 8-15 are quarantined, naming the inventory.
    header = "timestamp, index, power.draw [W]"
    rows = [f"2024/06/01 11:27:0{s}.{g:03d}, {g}, 300 W" for s in range(3) for g in range(16)]
    result = read(tmp_path, [header, *rows], inventory, monkeypatch)
    assert per_gpu(result) == {g: 3 for g in range(8)}
    assert len(result.problems) == 24
    assert "index 8" in result.problems[0].reason and "host_groups" in result.problems[0].reason
    # A uuid column: the 9th distinct uuid onwards.
    header = "timestamp, uuid, power.draw [W]"
    rows = [
        f"2024/06/01 11:27:0{s}.{g:03d}, GPU-{g:02d}, 300 W" for s in range(3) for g in range(16)
    ]
    result = read(tmp_path, [header, *rows], inventory, monkeypatch)
    assert per_gpu(result) == {g: 3 for g in range(8)}
    assert len(result.problems) == 24
    assert "GPU-08" in result.problems[0].reason


def test_a_host_not_in_the_inventory_keeps_its_logged_gpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The inventory lists other hosts only: this host's GPUs come from the log (poll bursts).
    lines, _ = polls(4, 10, pause_ms=1000)
    other = ReadContext(gpus_per_host={"gpu-node-01": 8})
    result = read(tmp_path, [QUERY, *lines], other, monkeypatch)
    assert result.problems == []
    assert per_gpu(result) == {g: 10 for g in range(4)}
