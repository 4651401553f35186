"""Training URLs: catalogue."""

urlpatterns: list = []
