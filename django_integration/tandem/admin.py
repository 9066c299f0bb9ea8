"""Chats and their members in Django's admin, so operators can inspect and fix membership. What
the sidecar owns (a chat's numbering, receipt markers, presence) is shown, never edited: an
edit there would rewind state that sends and receipts advance concurrently."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tandem.models import Chat, ChatMember, ReceiptEvent, UserSettings, UserStatus

MEMBER_STATE = ("joined_seq", "delivered_upto", "read_upto", "delivered_at", "read_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible to operators, written only by the sidecar and the SQL functions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChatMemberInline(admin.TabularInline):
    model = ChatMember
    extra = 0
    # A select box over every user does not scale; the raw id widget does.
    raw_id_fields = ("user",)
    readonly_fields = MEMBER_STATE


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "is_group", "created_at", "last_seq")
    list_filter = ("is_group",)
    search_fields = ("title",)
    readonly_fields = ("last_seq", "last_message_at")
    inlines = (ChatMemberInline,)


@admin.register(ChatMember)
class ChatMemberAdmin(admin.ModelAdmin):
    list_display = ("id", "chat", "user", "joined_at")
    raw_id_fields = ("chat", "user")
    readonly_fields = MEMBER_STATE


@admin.register(ReceiptEvent)
class ReceiptEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "chat", "user", "kind", "from_seq", "upto_seq", "at")
    list_filter = ("kind",)


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "presence_visibility", "read_receipts")
    raw_id_fields = ("user",)


@admin.register(UserStatus)
class UserStatusAdmin(ReadOnlyAdmin):
    list_display = ("user", "online", "connections", "last_seen")
