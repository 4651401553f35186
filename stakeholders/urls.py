from django.urls import path

from stakeholders import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("cities/<slug:slug>/", views.city_detail, name="city_detail"),
]
