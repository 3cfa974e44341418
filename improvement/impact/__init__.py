"""Impact of shipped fixes: the pure estimator and simulator, evaluation, theme alerts, and a read-only API."""
