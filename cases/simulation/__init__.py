"""A SIMULATED stream of customer contacts for the demo: invented brands, problems and people, no real data.

Larkspur, an invented retailer, is contacted through three brand accounts ("Larkspur" for the shops and
the website, "Larkspur Delivery" for parcels, "Larkspur Pay" for its card and wallet) on four channels
(twitter, facebook, chat, email). Over `days` days ending on `end` (default: 120 days ending today), 15
recurring problems come in, each written many ways: templates with slots, synonyms, typos, emoji, @handles,
URLs and order numbers, so that cleaning the text matters.

The volume has a weekday rhythm (Mondays busiest, Sundays quietest), a total that drifts upward with a slow
wave, day-to-day Poisson noise, and one outage burst ("Website or app is down", `OUTAGE_DAYS`). Two problems
are there for the demo's fixes and their impact measurement:

- `FIXED_PROBLEM` ("Parcel marked delivered but not received") falls to half its volume from day
  `FIX_DAY` (a known date: `fix_date(end=..., days=...)`);
- `CONTROL_PROBLEM` ("Refund not received") keeps the same expected volume throughout.

Everything is decided by `seed`: the same seed, end date and size give the same contacts. The design
(problems, their departments, the fix date) is plain data in `PROBLEMS` and the constants, for the
impact measurement and the demo fixes to read.

The package is split by role: `design` (the constants: sizes, brands, channels, rhythm, fix and outage),
`problems` (the catalogue of problems and phrases, as data) and `stream` (the generator and the CSV
writer). Every public name is re-exported here, so callers keep importing from `cases.simulation`.
"""

from __future__ import annotations

# The sub-modules import one another directly, never through this package, so that re-exporting here cannot
# close an import cycle.
from cases.simulation.design import (
    BRAND_HANDLES,
    BRANDS,
    CHANNEL_SHARES,
    COMPANY,
    CONTROL_PROBLEM,
    DEFAULT_DAYS,
    DEFAULT_SEED,
    DEFAULT_TOTAL,
    FIX_DAY,
    FIX_FACTOR,
    FIXED_PROBLEM,
    HOUR_WEIGHTS,
    OUTAGE_DAYS,
    OUTAGE_PROBLEM,
    WEEKDAY_FACTORS,
)
from cases.simulation.problems import (
    EMOJI,
    FIRST_NAMES,
    HASHTAGS,
    NEARBY_KEYS,
    OPENINGS,
    PROBLEMS,
    PROBLEMS_BY_KEY,
    SLOTS,
    Problem,
)
from cases.simulation.stream import (
    GENERIC_COLUMNS,
    SimulatedContact,
    expected_daily_total,
    fix_date,
    simulate_contacts,
    simulation_write_csv,
    start_date,
)

__all__ = [
    "BRAND_HANDLES",
    "BRANDS",
    "CHANNEL_SHARES",
    "COMPANY",
    "CONTROL_PROBLEM",
    "DEFAULT_DAYS",
    "DEFAULT_SEED",
    "DEFAULT_TOTAL",
    "EMOJI",
    "FIRST_NAMES",
    "FIX_DAY",
    "FIX_FACTOR",
    "FIXED_PROBLEM",
    "GENERIC_COLUMNS",
    "HASHTAGS",
    "HOUR_WEIGHTS",
    "NEARBY_KEYS",
    "OPENINGS",
    "OUTAGE_DAYS",
    "OUTAGE_PROBLEM",
    "PROBLEMS",
    "PROBLEMS_BY_KEY",
    "SLOTS",
    "WEEKDAY_FACTORS",
    "Problem",
    "SimulatedContact",
    "expected_daily_total",
    "fix_date",
    "simulate_contacts",
    "simulation_write_csv",
    "start_date",
]
