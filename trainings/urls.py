"""Training URLs, kept by area: the module catalogue, sessions and assessments, coverage."""

from trainings.catalogue_urls import urlpatterns as catalogue
from trainings.coverage_urls import urlpatterns as coverage
from trainings.session_urls import urlpatterns as sessions

urlpatterns = [*catalogue, *sessions, *coverage]
