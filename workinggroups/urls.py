from django.urls import path

from workinggroups import views

urlpatterns = [
    path("<int:group_id>/", views.group_detail, name="group_detail"),
]
