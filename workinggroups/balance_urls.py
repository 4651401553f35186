"""Working-group URLs: four-leg balance, seat gaps, civic load."""

urlpatterns: list = []
