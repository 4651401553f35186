"""City URLs: institution."""

urlpatterns: list = []
