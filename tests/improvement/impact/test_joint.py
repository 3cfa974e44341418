"""Contacts avoided summed with intervals from joint simulation (improvement/impact/estimator/joint.py)."""

from __future__ import annotations

import numpy as np
import pytest

from improvement.impact.estimator.joint import JOINT_DRAW_COUNT, FixAvoided, avoided_draws, avoided_total

# Two fixes on theme 1, one on theme 2 (that one added contacts).
FIXES = [
    FixAvoided(theme_ids=(1,), estimate=300.0, low=100.0, high=500.0),
    FixAvoided(theme_ids=(1,), estimate=200.0, low=50.0, high=350.0),
    FixAvoided(theme_ids=(2,), estimate=-100.0, low=-250.0, high=50.0),
]


def rounded(total) -> tuple[float, float, float]:
    return (round(total.median, 1), round(total.low, 1), round(total.high, 1))


def test_a_lone_fix_reads_back_its_own_estimate_and_interval():
    draws = avoided_draws(fixes=FIXES)

    assert draws.shape == (3, JOINT_DRAW_COUNT)
    assert rounded(avoided_total(draws=draws, rows=[0])) == (300.0, 100.0, 500.0)
    assert rounded(avoided_total(draws=draws, rows=[2])) == (-100.0, -250.0, 50.0)


def test_fixes_on_one_theme_share_its_draws_so_their_interval_ends_add_up():
    draws = avoided_draws(fixes=FIXES)

    assert rounded(avoided_total(draws=draws, rows=[0, 1])) == (500.0, 150.0, 850.0)
    assert np.corrcoef(draws)[0, 1] == pytest.approx(1.0)
    assert abs(np.corrcoef(draws)[0, 2]) < 0.05


def test_the_overall_interval_across_independent_themes_is_narrower_than_the_sum_of_interval_ends():
    draws = avoided_draws(fixes=FIXES)

    overall = avoided_total(draws=draws, rows=[0, 1, 2])

    assert rounded(overall) == (400.1, 22.7, 789.4)
    # Summing the ends would give -100 to 900: every fix at its worst (or best) at once.
    assert (sum(fix.low for fix in FIXES), sum(fix.high for fix in FIXES)) == (-100.0, 900.0)
    assert overall.low > -100.0 and overall.high < 900.0


def test_a_fix_on_two_themes_links_them():
    fixes = [
        FixAvoided(theme_ids=(1,), estimate=100.0, low=0.0, high=200.0),
        FixAvoided(theme_ids=(1, 2), estimate=100.0, low=0.0, high=200.0),
        FixAvoided(theme_ids=(2,), estimate=100.0, low=0.0, high=200.0),
        FixAvoided(theme_ids=(), estimate=100.0, low=0.0, high=200.0),
    ]

    draws = avoided_draws(fixes=fixes)

    assert rounded(avoided_total(draws=draws, rows=[0, 1, 2])) == (300.0, 0.0, 600.0)
    assert abs(np.corrcoef(draws)[0, 3]) < 0.05


def test_a_wider_provisional_interval_is_read_at_the_tail_its_look_spent():
    draws = avoided_draws(fixes=[FixAvoided(theme_ids=(1,), estimate=0.0, low=-100.0, high=100.0, tail=0.005)])

    # 99% ends at +-100, so the 95% interval is +-100 * 1.96 / 2.576.
    assert rounded(avoided_total(draws=draws, rows=[0])) == (0.0, -76.1, 76.1)


def test_the_day_28_verdicts_two_tails_are_read_each_on_its_own_side():
    # Low end at the working tail 0.04 (z 1.751), high end at the worse tail 0.025 (z 1.960): the 95% interval
    # reaches 1.960 / 1.751 of the way below and exactly the high end above.
    fix = FixAvoided(theme_ids=(1,), estimate=0.0, low=-100.0, high=100.0, tail=0.04, high_tail=0.025)

    assert rounded(avoided_total(draws=avoided_draws(fixes=[fix]), rows=[0])) == (0.0, -112.0, 100.0)


def test_no_fixes_sum_to_zero_and_the_same_seed_gives_the_same_draws():
    assert rounded(avoided_total(draws=avoided_draws(fixes=FIXES), rows=[])) == (0.0, 0.0, 0.0)
    assert np.array_equal(avoided_draws(fixes=FIXES), avoided_draws(fixes=FIXES))


@pytest.mark.parametrize(
    ("fix", "message"),
    [
        (FixAvoided(theme_ids=(1,), estimate=600.0, low=100.0, high=500.0), r"fixes\[0\]: the estimate 600.0"),
        (FixAvoided(theme_ids=(1,), estimate=0.0, low=0.0, high=0.0, tail=0.5), r"fixes\[0\]: tail 0.5"),
        (
            FixAvoided(theme_ids=(1,), estimate=0.0, low=0.0, high=0.0, high_tail=0.0),
            r"fixes\[0\]: high_tail 0.0",
        ),
    ],
)
def test_bad_input_names_the_fix(fix, message):
    with pytest.raises(ValueError, match=message):
        avoided_draws(fixes=[fix])
