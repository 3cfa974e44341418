from __future__ import annotations

from io import StringIO

from core.progress import count_progress


def test_count_progress_shows_the_count_done_and_the_total_with_thousands_separators():
    output = StringIO()

    with count_progress(label="embedding", noun="cases", total=7_739, file=output) as bar:
        bar.update(2_000)

    last_state = output.getvalue().split("\r")[-1]
    assert last_state.startswith("embedding: 2,000 / 7,739 cases |")


def test_count_progress_disabled_writes_nothing():
    output = StringIO()

    with count_progress(label="embedding", noun="cases", total=10, file=output, disable=True) as bar:
        bar.update(10)

    assert output.getvalue() == ""
