"""The cluster_themes command: a clustering run now, in this process."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from improvement.models import ClusteringRun

pytestmark = pytest.mark.django_db


def test_cluster_themes_command_reports_a_failed_run():
    with pytest.raises(CommandError, match="failed: ClusteringError: No embedded cases to cluster."):
        call_command("cluster_themes")

    assert ClusteringRun.objects.get().trigger == ClusteringRun.Trigger.COMMAND


def test_cluster_themes_command_refuses_while_another_run_is_active():
    running = ClusteringRun.objects.create(status=ClusteringRun.Status.RUNNING)

    with pytest.raises(CommandError, match="Another clustering run is pending or running; wait for it or cancel it."):
        call_command("cluster_themes")

    assert list(ClusteringRun.objects.values_list("id", "status")) == [(running.pk, "running")]
