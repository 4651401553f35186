"""Briefing URLs: authoring."""

urlpatterns: list = []
