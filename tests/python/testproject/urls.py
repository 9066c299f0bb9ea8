"""URLs of the test project: Django's login page and a test-only notification trigger."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from testproject.views import notify

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("notify/<int:user_id>/", notify, name="notify"),
    path("admin/", admin.site.urls),
    path("tandem/", include("tandem.urls")),
]
