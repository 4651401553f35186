"""Training URLs: coverage."""

urlpatterns: list = []
