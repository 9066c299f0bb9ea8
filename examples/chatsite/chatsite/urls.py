"""The example site's pages, Django's login, and the tandem app's JSON endpoints."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from chatsite import views

urlpatterns = [
    path("", views.chat_list, name="chat-list"),
    path("chats/<int:chat_id>/", views.chat_page, name="chat"),
    path("chats/<int:chat_id>/row/", views.chat_row, name="chat-row"),
    path("chats/new/", views.new_group, name="new-group"),
    path("settings/privacy/", views.privacy, name="privacy"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="chatsite/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="chatsite/password_change_done.html"),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("tandem/", include("tandem.urls")),
]
