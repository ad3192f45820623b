"""Phase, model and team of a job: Comment tags first, then the config's ordered rules."""

from __future__ import annotations

import pytest

from pipeline.config import PhaseRule
from pipeline.method.phases import Classification, classify, parse_tags

RULES = [
    PhaseRule(
        name="ft",
        field="job_name",
        pattern=r"^ft-(?P<model>[\w.-]+)-(?P<team>\w+)$",
        phase="fine_tuning",
        model="{model}",
        team="{team}",
    ),
    PhaseRule(
        name="train",
        field="job_name",
        pattern=r"^train-(?P<model>[\w.-]+)",
        phase="training",
        model="{model}",
    ),
    PhaseRule(name="anything-train", field="job_name", pattern=r"train", phase="development"),
    PhaseRule(
        name="serving",
        field="account",
        pattern=r"^serve-(?P<team>\w+)$",
        phase="inference",
        team="{team}",
    ),
    PhaseRule(
        name="eval-partition",
        field="partition",
        pattern=r"^eval$",
        phase="evaluation",
        model="bench",
    ),
]


def job(**fields: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "job_name": "",
        "account": "",
        "partition": "",
        "user_name": "",
        "comment": None,
    }
    return base | fields


def test_comment_tags_win_over_rules() -> None:
    j = job(job_name="train-atlas", comment="phase=inference,model=x,team=y")
    assert classify(j, RULES) == Classification("inference", "x", "y", "tags")


def test_first_matching_rule_wins_with_its_named_group() -> None:
    # "train-atlas-7b" matches both "train" and "anything-train": the earlier one fires
    assert classify(job(job_name="train-atlas-7b"), RULES) == Classification(
        "training", "atlas-7b", None, "rule:train"
    )
    # order matters: with the catch-all first, it wins
    reordered = [RULES[2], RULES[1]]
    assert classify(job(job_name="train-atlas-7b"), reordered) == Classification(
        "development", None, None, "rule:anything-train"
    )


def test_rule_with_two_named_groups() -> None:
    assert classify(job(job_name="ft-orca-2-nlp"), RULES) == Classification(
        "fine_tuning", "orca-2", "nlp", "rule:ft"
    )


def test_rule_on_account() -> None:
    got = classify(job(job_name="vllm", account="serve-search"), RULES)
    assert got == Classification("inference", None, "search", "rule:serving")


def test_rule_on_partition() -> None:
    got = classify(job(job_name="run", partition="eval"), RULES)
    assert got == Classification("evaluation", "bench", None, "rule:eval-partition")


def test_rule_is_a_search_not_a_full_match() -> None:
    got = classify(job(job_name="my-train-run"), RULES)
    assert (got.phase, got.rule) == ("development", "rule:anything-train")


def test_nothing_matches_is_unclassified() -> None:
    assert classify(job(job_name="bash"), RULES) == Classification(
        "unclassified", None, None, "none"
    )
    assert classify(job(job_name="bash"), []) == Classification("unclassified", None, None, "none")


def test_missing_and_null_fields_match_nothing() -> None:
    assert classify({"job_name": None}, RULES).rule == "none"


def test_tags_without_a_phase_name_model_and_team_for_the_rule() -> None:
    got = classify(job(job_name="train-atlas", comment="model=zephyr;team=core"), RULES)
    assert got == Classification("training", "zephyr", "core", "rule:train")


def test_tag_with_an_unknown_phase_falls_back_to_rules() -> None:
    got = classify(job(job_name="train-atlas", comment="phase=pretraining"), RULES)
    assert got == Classification("training", "atlas", None, "rule:train")
    got = classify(job(job_name="bash", comment="phase=pretraining,team=t"), RULES)
    assert got == Classification("unclassified", None, "t", "none")


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        (None, {}),
        ("", {}),
        (
            "phase=training,model=atlas-7b;team=foundation",
            {"phase": "training", "model": "atlas-7b", "team": "foundation"},
        ),
        (" phase = training , model = m1 ", {"phase": "training", "model": "m1"}),
        ("PHASE=training", {"phase": "training"}),
        ("owner=bob,phase=inference,priority=high", {"phase": "inference"}),
        ("just some free text", {}),
        ("see ticket #42; phase=evaluation", {"phase": "evaluation"}),
        ("model=,team=t1", {"team": "t1"}),
        ("model-name=x,2phase=y", {}),
    ],
)
def test_parse_tags(comment: str | None, expected: dict[str, str]) -> None:
    assert parse_tags(comment) == expected
