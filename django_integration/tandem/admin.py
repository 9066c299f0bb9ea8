"""Chats and their members in Django's admin, so operators can inspect and fix membership."""

from __future__ import annotations

from django.contrib import admin

from tandem.models import Chat, ChatMember, UserSettings, UserStatus


class ChatMemberInline(admin.TabularInline):
    model = ChatMember
    extra = 0
    # A select box over every user does not scale; the raw id widget does.
    raw_id_fields = ("user",)


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "is_group", "created_at")
    list_filter = ("is_group",)
    search_fields = ("title",)
    inlines = (ChatMemberInline,)


@admin.register(ChatMember)
class ChatMemberAdmin(admin.ModelAdmin):
    list_display = ("id", "chat", "user", "joined_at")
    raw_id_fields = ("chat", "user")


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "presence_visibility", "read_receipts")
    raw_id_fields = ("user",)


@admin.register(UserStatus)
class UserStatusAdmin(admin.ModelAdmin):
    list_display = ("user", "online", "connections", "last_seen")
    raw_id_fields = ("user",)
