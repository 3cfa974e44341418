"""The simulated stream's design knobs: sizes, brands and channels, the daily rhythm, the fix and the outage.

Plain data, read by the problem catalogue (`problems`), the generator (`stream`), the impact measurement and
the demo fixes.
"""

from __future__ import annotations

DEFAULT_SEED = 3
DEFAULT_DAYS = 120
DEFAULT_TOTAL = 8000
COMPANY = "Larkspur"
BRANDS = {"shop": "Larkspur", "delivery": "Larkspur Delivery", "pay": "Larkspur Pay"}
BRAND_HANDLES = {"Larkspur": "@Larkspur", "Larkspur Delivery": "@LarkspurDelivers", "Larkspur Pay": "@LarkspurPay"}
CHANNEL_SHARES = {"twitter": 0.45, "facebook": 0.2, "chat": 0.2, "email": 0.15}
# Expected volume by weekday (Monday first), relative to an average day.
WEEKDAY_FACTORS = (1.25, 1.15, 1.05, 1.0, 0.95, 0.8, 0.8)
FIX_DAY = 80
FIX_FACTOR = 0.5
OUTAGE_DAYS = {45: 30.0, 46: 8.0}
FIXED_PROBLEM = "parcel-marked-delivered"
CONTROL_PROBLEM = "refund-not-received"
OUTAGE_PROBLEM = "site-down"
# Hours of the day people write, as relative weights from 00:00 to 23:00 UTC.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 9, 9, 9, 9, 9, 10, 11, 10, 7, 4, 2)
