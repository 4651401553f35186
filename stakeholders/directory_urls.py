"""City URLs: directory."""

urlpatterns: list = []
