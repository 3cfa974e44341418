"""Daily counts of cases (all, and per theme) and the one definition of a theme's volume and trend."""
