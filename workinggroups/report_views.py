"""Stub: replaced by the helper that owns this module."""

from django.http import Http404


def reports(request, **kwargs):
    raise Http404


def report_detail(request, **kwargs):
    raise Http404


def report_download(request, **kwargs):
    raise Http404
