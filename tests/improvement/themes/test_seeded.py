"""Seeding themes from a taxonomy: the service, the CSV and pasted-list reader, and seeded themes across refits."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from cases.embedding import EMBEDDING_DIMENSION, embed_texts, embedding_from_bytes, embedding_to_bytes
from improvement.errors import Invalid, NotAllowed
from improvement.models import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.themes import ml
from improvement.themes.services.assignment import theme_assign_new_cases
from improvement.themes.services.runs import clustering_run_execute, clustering_run_request
from improvement.themes.services.seeded import (
    SEED_MAXIMUM_THEMES,
    theme_seed_from_csv,
    theme_seed_many,
    theme_seeds_from_csv,
)
from improvement.themes.services.snooze import theme_snooze
from tests.improvement.theme_data import store_cases
from tests.improvement.workflow_factories import CaseFactory, ThemeFactory

pytestmark = pytest.mark.django_db

TAXONOMY = [
    {"name": "Lost luggage", "description": "Bags that did not arrive", "examples": ["my bag is missing"]},
    {"name": "Cancelled flight"},
    {"name": "Refund request", "examples": ["I want my money back", "refund please"]},
]


def _stored() -> list[tuple]:
    return list(Theme.objects.order_by("id").values_list("id", "label", "is_seeded", "status"))


def test_theme_seed_many_creates_seeded_themes_with_phrase_centroids_and_events(team_lead):
    themes = theme_seed_many(themes=TAXONOMY, by=team_lead)

    assert [(theme.label, theme.is_seeded, theme.is_label_custom, theme.status) for theme in themes] == [
        ("Lost luggage", True, True, "active"),
        ("Cancelled flight", True, True, "active"),
        ("Refund request", True, True, "active"),
    ]
    stored = Theme.objects.get(label="Lost luggage")
    assert (stored.description, stored.seed_examples, stored.size) == (
        "Bags that did not arrive",
        ["my bag is missing"],
        0,
    )
    expected = ml.seed_centroid(embed_texts(["Lost luggage", "Bags that did not arrive", "my bag is missing"]))
    np.testing.assert_allclose(embedding_from_bytes(stored.centroid), expected, atol=1e-5)
    events = ThemeEvent.objects.filter(kind=ThemeEvent.Kind.SEEDED).order_by("theme_id")
    assert [(event.theme.label, event.actor) for event in events] == [
        ("Lost luggage", team_lead),
        ("Cancelled flight", team_lead),
        ("Refund request", team_lead),
    ]


@pytest.mark.parametrize("role", ["executive", "department_owner"])
def test_theme_seed_many_refuses_executives_and_owners(role, request):
    with pytest.raises(NotAllowed):
        theme_seed_many(themes=TAXONOMY, by=request.getfixturevalue(role))

    assert Theme.objects.count() == 0


@pytest.mark.parametrize(
    ("themes", "field"),
    [
        ([], "themes"),
        ("Lost luggage", "themes"),
        ([{"name": "  "}], "themes.0.name"),
        ([{"name": "Refunds"}, {"description": "no name"}], "themes.1.name"),
        ([{"name": "x" * 201}], "themes.0.name"),
        ([{"name": "Refunds", "description": "d" * 1001}], "themes.0.description"),
        ([{"name": "Refunds", "examples": "refund"}], "themes.0.examples"),
        ([{"name": "Refunds", "examples": ["ok", "e" * 301]}], "themes.0.examples.1"),
        ([{"name": "Refunds", "examples": ["e"] * 21}], "themes.0.examples"),
        ([{"name": "Refunds"}, {"name": "refunds "}], "themes.1.name"),
        ([{"name": "Refunds", "colour": "red"}], "themes.0.colour"),
        ([{"name": "Ref\x00unds"}], "themes.0.name"),
        ([{"name": f"Theme {index}"} for index in range(SEED_MAXIMUM_THEMES + 1)], "themes"),
    ],
)
def test_theme_seed_many_refuses_bad_input_naming_the_field_and_stores_nothing(themes, field, team_lead):
    ThemeFactory(label="Existing")
    before = _stored()

    with pytest.raises(Invalid) as raised:
        theme_seed_many(themes=themes, by=team_lead)

    assert list(raised.value.message_dict) == [field]
    assert _stored() == before
    assert ThemeEvent.objects.count() == 0


def test_theme_seed_many_refuses_a_name_an_existing_theme_has(team_lead):
    ThemeFactory(label="Lost Luggage")
    before = _stored()

    with pytest.raises(Invalid) as raised:
        theme_seed_many(themes=TAXONOMY, by=team_lead)

    assert raised.value.message_dict == {"themes.0.name": ["A theme named “Lost luggage” already exists."]}
    assert _stored() == before


def test_theme_seed_many_allows_the_name_of_a_merged_theme(team_lead):
    survivor = ThemeFactory(label="Bags")
    ThemeFactory(label="Lost luggage", status=Theme.Status.MERGED, merged_into=survivor)

    themes = theme_seed_many(themes=[{"name": "Lost luggage"}], by=team_lead)

    assert [theme.label for theme in themes] == ["Lost luggage"]


def test_theme_seeds_from_csv_reads_name_description_and_pipe_separated_examples():
    data = 'name,description,examples\nLost luggage,"Bags, missing",bag gone | suitcase lost\nRefunds,,\n'

    assert theme_seeds_from_csv(data=data.encode()) == [
        {"name": "Lost luggage", "description": "Bags, missing", "examples": ["bag gone", "suitcase lost"]},
        {"name": "Refunds", "description": "", "examples": []},
    ]


def test_theme_seeds_from_a_pasted_list_need_no_header():
    assert theme_seeds_from_csv(data="Lost luggage\n\nRefunds,Money back\n", header_required=False) == [
        {"name": "Lost luggage", "description": "", "examples": []},
        {"name": "Refunds", "description": "Money back", "examples": []},
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe not utf-8", "The file is not UTF-8 text."),
        (b"Lost luggage,Bags\n", "The first row must be the header name,description,examples."),
        (b"name,description,examples\n", "No themes found below the header."),
        (b"   \n", "No themes found."),
        (b"name,description,examples\nA,b,c,d\n", "Line 2 has 4 columns; at most 3."),
        (b"name\n" + b"x" * (256 * 1024), "The file must be at most 256 KiB."),
    ],
)
def test_theme_seed_from_csv_refuses_a_bad_file_naming_it_and_stores_nothing(data, message, team_lead):
    with pytest.raises(Invalid) as raised:
        theme_seed_from_csv(data=data, by=team_lead)

    assert raised.value.message_dict == {"file": [message]}
    assert Theme.objects.count() == 0


def test_theme_seed_from_csv_refuses_executives_before_reading(executive):
    with pytest.raises(NotAllowed):
        theme_seed_from_csv(data=b"not even csv \xff", by=executive)


# --- seeded and snoozed themes across refits (real tweets, real model) ------------------------------------------


def _refit(django_capture_on_commit_callbacks) -> ClusteringRun:
    with django_capture_on_commit_callbacks(execute=False):
        run = clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)
    return clustering_run_execute(run_id=run.pk)


@pytest.mark.slow
def test_seeded_and_snoozed_themes_survive_refits(airline_tweets, team_lead, django_capture_on_commit_callbacks):
    cases = store_cases(airline_tweets)
    _refit(django_capture_on_commit_callbacks)
    fitted = Theme.objects.filter(is_seeded=False, status=Theme.Status.ACTIVE).order_by("-size").first()
    seeded = theme_seed_many(themes=[{"name": "Lost luggage"}, {"name": "Cancelled flight"}], by=team_lead)
    centroids = {theme.pk: bytes(theme.centroid) for theme in seeded}
    theme_snooze(theme=seeded[1], until="escalation", by=team_lead)
    theme_snooze(theme=fitted, until="escalation", by=team_lead)

    first = _refit(django_capture_on_commit_callbacks)
    second = _refit(django_capture_on_commit_callbacks)

    assert (first.status, second.status) == ("succeeded", "succeeded")
    for theme in seeded:
        theme.refresh_from_db()
        assert (theme.is_seeded, theme.status, theme.is_label_custom) == (True, "active", True)
        assert bytes(theme.centroid) == centroids[theme.pk]
        assert theme.last_seen_run_id == second.pk
    assert [theme.label for theme in seeded] == ["Lost luggage", "Cancelled flight"]
    assert seeded[1].snooze_kind == "escalation"
    fitted.refresh_from_db()
    assert fitted.snooze_kind == "escalation"
    # Each case the seeds took is the one nearest its seed at or above the threshold, with that similarity.
    seeded_links = CaseTheme.objects.filter(theme__in=seeded)
    assert seeded_links.count() == second.parameters["seeded_case_count"]
    assert seeded_links.count() > 0
    assert all(link.similarity >= ml.SEED_ASSIGN_THRESHOLD for link in seeded_links)
    luggage_reasons = [
        airline_tweets.reasons[index]
        for index, case in enumerate(cases)
        if CaseTheme.objects.filter(case=case, theme=seeded[0]).exists()
    ]
    assert luggage_reasons.count("Lost Luggage") > len(luggage_reasons) / 2
    assert not ThemeEvent.objects.filter(theme__in=seeded, kind__in=["merged", "renamed", "dormant"]).exists()
    assert second.case_count == 450


def test_new_cases_join_a_seeded_theme_only_at_the_seed_threshold(team_lead):
    def vector(**weights: float) -> np.ndarray:
        values = np.zeros(EMBEDDING_DIMENSION, dtype=np.float32)
        for axis, weight in weights.items():
            values[int(axis[1:])] = weight
        values[2] = np.sqrt(max(0.0, 1 - float((values**2).sum())))
        return values

    seeded = ThemeFactory(is_seeded=True, centroid=embedding_to_bytes(vector(a0=1.0)), size=0)
    fitted = ThemeFactory(centroid=embedding_to_bytes(vector(a1=1.0)), size=0)
    near_seed, short_of_seed = (
        CaseFactory(embedding=embedding_to_bytes(embedding), embedded_at=timezone.now())
        for embedding in (vector(a0=0.6, a1=0.3), vector(a0=0.45, a1=0.35))
    )

    theme_assign_new_cases(case_ids=[near_seed.pk, short_of_seed.pk])

    assert dict(CaseTheme.objects.values_list("case_id", "theme_id")) == {
        near_seed.pk: seeded.pk,
        short_of_seed.pk: fitted.pk,
    }
