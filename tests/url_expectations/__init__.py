"""Per-area rows of the URL permission matrix (see tests/test_url_permissions.py)."""
