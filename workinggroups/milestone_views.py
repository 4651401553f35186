"""Stub: replaced by the helper that owns this module."""

from django.http import Http404


def city_progress(request, **kwargs):
    raise Http404


def milestone_record(request, **kwargs):
    raise Http404


def milestone_withdraw(request, **kwargs):
    raise Http404


def milestone_evidence(request, **kwargs):
    raise Http404
