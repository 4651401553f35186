"""Counting the queries a page makes, the same way in every list-page test."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_queries(client, url) -> int:
    """GET `url` once to warm up (the first request after sign-in stamps the session), then
    again, and return how many queries the second took; the page must answer 200."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)
