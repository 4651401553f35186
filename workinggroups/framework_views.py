"""Stub: replaced by the helper that owns this module."""

from django.http import Http404


def framework(request, **kwargs):
    raise Http404


def framework_new(request, **kwargs):
    raise Http404


def framework_edit(request, **kwargs):
    raise Http404


def framework_document(request, **kwargs):
    raise Http404
