"""Departments: the owners of root causes and of the fix tickets raised against them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Department(models.Model):
    """A part of the company that owns root causes and the fix tickets raised against them."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="owned_departments", blank=True)
    # A Slack/Teams-compatible incoming webhook that receives the department's notifications ({"text": ...}).
    chat_webhook_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
