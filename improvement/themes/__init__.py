"""The ML seam: embed, fit, assign, label. It knows nothing of issues, fixes, screens or the database.

The workflow calls only what is exported here, so the model or the clustering can change behind it.
"""
from __future__ import annotations
