"""Briefing URLs: request."""

urlpatterns: list = []
