"""Training URLs: session."""

urlpatterns: list = []
