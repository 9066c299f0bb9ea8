"""The Django app's JSON endpoints; include them under any prefix, e.g.
`path("tandem/", include("tandem.urls"))`."""

from __future__ import annotations

from django.urls import path

from tandem import views

app_name = "tandem"

urlpatterns = [
    path("api/session/", views.session_view, name="session"),
    path("api/chats/<int:chat_id>/", views.chat_view, name="chat"),
    path("api/chats/<int:chat_id>/messages/", views.messages_view, name="messages"),
    path("api/chats/<int:chat_id>/receipts/", views.receipts_view, name="receipts"),
    path("api/chats/<int:chat_id>/messages/<int:seq>/info/", views.message_info_view, name="message-info"),
    path("api/settings/privacy/", views.privacy_view, name="privacy"),
    path("api/users/<int:user_id>/presence/", views.presence_view, name="presence"),
]
