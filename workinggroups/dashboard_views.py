"""Stub: replaced by the helper that owns this module."""

from django.http import Http404


def dashboard(request, **kwargs):
    raise Http404


def dashboard_all(request, **kwargs):
    raise Http404
