"""Briefing URLs: reading."""

urlpatterns: list = []
