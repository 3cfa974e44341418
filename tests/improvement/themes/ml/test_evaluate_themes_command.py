"""`manage.py evaluate_themes` lists what each theme stands for in the file's own tagging."""

from __future__ import annotations

import csv
import itertools
import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.slow

TEMPLATES = {
    "lost_bag": ["my bag was lost on the flight from {c}", "lost bag again after landing in {c}",
                 "the airline lost my suitcase in {c}"],
    "refund": ["still waiting for my refund for the {c} trip", "refund for my cancelled {c} booking never came",
               "where is my refund, {c} ticket"],
    "wifi": ["the wifi on board was broken all the way to {c}", "no wifi on my flight to {c}",
             "inflight wifi kept dropping near {c}"],
}  # fmt: skip
CITIES = ["Boston", "Denver", "Chicago", "Dallas", "Miami"]


def test_evaluate_themes_prints_each_themes_label_keywords_size_majority_label_and_purity(tmp_path):
    path = tmp_path / "three.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "reason"])
        for reason, templates in TEMPLATES.items():
            for template, city in itertools.product(templates, CITIES):
                writer.writerow([template.format(c=city), reason])
    output = StringIO()

    call_command(
        "evaluate_themes", "--csv", str(path), "--text-column", "text", "--label-column", "reason", stdout=output,
        stderr=StringIO(),
    )  # fmt: skip

    result = json.loads(output.getvalue().strip().splitlines()[-1])
    themes = result["themes"]
    assert [(theme["size"], theme["majority_label"], theme["purity"]) for theme in themes] == [
        (15, "lost_bag", 1.0),
        (15, "refund", 1.0),
        (15, "wifi", 1.0),
    ]
    assert [theme["label"] for theme in themes] == result["labels"]
    assert [theme["label"] for theme in themes] == [
        "Lost bag again after landing",
        "Refund for my cancelled",
        "No wifi on my flight",
    ]
    assert [theme["keywords"][0] for theme in themes] == ["lost", "refund", "wifi"]
    assert all(len(theme["keywords"]) == 10 for theme in themes)
