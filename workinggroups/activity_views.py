"""Stub: replaced by the helper that owns this module."""

from django.http import Http404


def city_activity(request, **kwargs):
    raise Http404
