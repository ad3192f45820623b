"""Per-request serving logs (JSON Lines and CSV) → raw_requests: the shapes OpenAI-compatible
gateways, LiteLLM and vLLM/TGI log, epoch and ISO times, and the quarantine of real damage."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pipeline.readers import ReadContext, detect_format, read_file
from pipeline.readers.serving import requests_jsonl

STOCKHOLM = ReadContext(timezone_for_path=lambda p: "Europe/Stockholm")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def openai(created: object, model: str, prompt: object, completion: object) -> str:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": 0}
    body = {"id": "chatcmpl-x", "object": "chat.completion", "created": created}
    return json.dumps(body | {"model": model, "usage": usage, "choices": []})


def test_openai_responses_with_nested_usage_epoch_seconds_and_ms(tmp_path: Path) -> None:
    lines = [
        openai(1790830801, "atlas-7b", 512, 128),  # 2026-10-01 05:00:01 UTC, seconds
        openai(1790830802500, "atlas-7b", 10, 0),  # milliseconds, judged by magnitude
        json.dumps(  # the Responses API: created_at and usage.input_tokens / output_tokens
            {
                "created_at": 1790834400,
                "model": "atlas-7b",
                "energy_j": 7200,
                "usage": {"input_tokens": 3, "output_tokens": 4},
            }
        ),
    ]
    path = write(tmp_path, "gateway.log", "\n".join(lines) + "\n")
    assert detect_format(path) == "request-log-jsonl"
    result = read_file(path)
    assert result.problems == []
    f = result.frame
    assert f.schema == requests_jsonl.SCHEMA
    assert f["ts_utc"].to_list() == [
        datetime(2026, 10, 1, 5, 0, 1),
        datetime(2026, 10, 1, 5, 0, 2, 500000),
        datetime(2026, 10, 1, 6),
    ]
    assert f["input_tokens"].to_list() == [512, 10, 3]
    assert f["output_tokens"].to_list() == [128, 0, 4]
    assert f["request_id"].to_list() == ["chatcmpl-x", "chatcmpl-x", None]
    assert f["energy_wh"].to_list() == [None, None, 2.0]  # 7200 J
    assert f["line"].to_list() == [1, 2, 3]


def test_iso_times_with_a_zone_and_without_one_in_the_files_zone(tmp_path: Path) -> None:
    lines = [
        '{"timestamp": "2026-10-01T07:00:00+02:00", "model": "m", "input_tokens": 1, '
        '"output_tokens": 2, "latency_ms": 1500}',
        '{"timestamp": "2026-10-01T07:00:00Z", "model": "m", "input_tokens": 1, '
        '"output_tokens": 2, "span": {"total_time": "850ms"}}',
        # no zone: wall-clock time in the file's zone (Stockholm is UTC+2 in October)
        '{"timestamp": "2026-10-01 07:00:00", "model": "m", "input_tokens": 1, '
        '"output_tokens": 2, "latency": 2.5, "energy_wh": 0.25}',
    ]
    path = write(tmp_path, "requests.jsonl", "\n".join(lines) + "\n")
    f = read_file(path, STOCKHOLM).frame
    assert f["ts_utc"].to_list() == [
        datetime(2026, 10, 1, 5),
        datetime(2026, 10, 1, 7),
        datetime(2026, 10, 1, 5),
    ]
    assert f["latency_s"].to_list() == [1.5, 0.85, 2.5]
    assert f["energy_wh"].to_list() == [None, None, 0.25]


def test_litellm_spend_log_csv_latency_from_end_minus_start(tmp_path: Path) -> None:
    text = (
        "request_id,call_type,spend,total_tokens,prompt_tokens,completion_tokens,"
        "startTime,endTime,model,model_group,api_base\n"
        "r1,acompletion,0.0,640,512,128,2026-10-01 07:00:01,2026-10-01 07:00:03.5,"
        "hosted_vllm/atlas-7b,atlas-7b,http://vllm:8000\n"
        "\n"
        "r2,acompletion,0.0,20,10,10,1790830810,1790830811,hosted_vllm/atlas-7b,atlas-7b,\n"
    )
    path = write(tmp_path, "spend_logs.csv", text)
    assert detect_format(path) == "request-log-csv"
    result = read_file(path, STOCKHOLM)
    assert result.problems == [] and result.rows_read == 2  # the blank line is not a row
    f = result.frame
    assert f["ts_utc"].to_list() == [
        datetime(2026, 10, 1, 5, 0, 1),
        datetime(2026, 10, 1, 5, 0, 10),
    ]
    assert f["latency_s"].to_list() == [2.5, 1.0]
    assert f["model"].to_list() == ["hosted_vllm/atlas-7b"] * 2
    assert f["deployment"].to_list() == ["http://vllm:8000", None]
    assert f["line"].to_list() == [2, 4]


def test_truncated_last_line_blank_line_and_bad_rows_are_quarantined(tmp_path: Path) -> None:
    lines = [
        openai(1790830801, "atlas-7b", 512, 128),
        "",
        openai(1790830801, "atlas-7b", -1, 128),  # negative tokens
        openai("yesterday", "atlas-7b", 5, 5),  # not a time
        '{"created": 1790830801, "model": "atlas-7b"}',  # no usage at all
        "[1, 2]",
        openai(1790830801, "atlas-7b", 512, 128)[:40],  # the writer was cut off
    ]
    path = write(tmp_path, "gateway.log", "\n".join(lines))
    result = read_file(path)
    assert result.rows_read == 6 == result.rows_accepted + result.rows_quarantined
    assert result.rows_accepted == 1
    by_line = {p.line: p.reason for p in result.problems}
    assert sorted(by_line) == [3, 4, 5, 6, 7]
    assert "input_tokens: expected a non-negative whole number" in by_line[3]
    assert "ts_utc: expected Unix epoch seconds" in by_line[4]
    assert "input_tokens: expected a value (one of input_tokens, prompt_tokens" in by_line[5]
    assert "output_tokens: expected a value" in by_line[5]
    assert "not an object" in by_line[6]
    assert "not valid JSON" in by_line[7] and "truncated" in by_line[7]


def test_litellm_spend_log_rows_as_json_lines(tmp_path: Path) -> None:
    row = {
        "request_id": "chatcmpl-9", "call_type": "acompletion", "status": "success",
        "spend": 0.0, "total_tokens": 30, "prompt_tokens": 10, "completion_tokens": 20,
        "startTime": "2026-10-01T05:00:01.000+00:00", "endTime": "2026-10-01T05:00:04.500+00:00",
        "model": "atlas-7b", "metadata": {"user_api_key_team_id": "t1"},
    }  # fmt: skip
    path = write(tmp_path, "spend.jsonl", json.dumps(row) + "\n")
    assert detect_format(path) == "request-log-jsonl"
    f = read_file(path).frame
    assert f.select("ts_utc", "request_id", "latency_s").row(0) == (
        datetime(2026, 10, 1, 5, 0, 1),
        "chatcmpl-9",
        3.5,
    )


def test_csv_bad_rows_name_line_and_expectation(tmp_path: Path) -> None:
    text = (
        "time,model,input_tokens,output_tokens,latency_s\n"
        "2026-10-01T05:00:00Z,m,10,20,1.0\n"
        "2026-10-01T05:00:00Z,m,10\n"
        "2026-10-01T05:00:00Z,,10,20,1.0\n"
        "2026-10-01T05:00:00Z,m,ten,20,fast\n"
    )
    result = read_file(write(tmp_path, "r.csv", text))
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 1, 3)
    by_line = {p.line: p.reason for p in result.problems}
    assert "expected 5 comma-separated fields" in by_line[3]
    assert "model: expected a value" in by_line[4]
    assert "input_tokens: expected a non-negative whole number" in by_line[5]
    assert "latency_s: expected a non-negative duration" in by_line[5]


def test_not_mistaken_for_other_formats_nor_they_for_it(tmp_path: Path) -> None:
    hourly = "hour,model,requests,input_tokens,output_tokens\n2026-10-01T05:00:00Z,m,3,1,2\n"
    assert detect_format(write(tmp_path, "h.csv", hourly)) == "serving-csv"
    pod = '{"kind": "Pod", "model": "m", "created": 1, "input_tokens": 1, "output_tokens": 1}\n'
    assert detect_format(write(tmp_path, "p.json", pod)) != "request-log-jsonl"
