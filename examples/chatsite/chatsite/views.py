"""The example site's pages: the chat list (last message, unread counts), a chat (beside the list
on wide screens), a new group, and the privacy settings."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from tandem.client_config import display_name
from tandem.messaging import database_for_tandem
from tandem.models import Chat, ChatMember, Message, PresenceVisibility, UserSettings
from tandem.privacy import change_privacy


@login_required
def chat_list(request: HttpRequest) -> HttpResponse:
    return render(request, "chatsite/chat_list.html", {"rows": chat_rows(request)})


@login_required
def chat_row(request: HttpRequest, chat_id: int) -> HttpResponse:
    """One row of the list, for a page that learns of a chat it was rendered without."""
    rows = chat_rows(request, only=chat_id)
    if not rows:
        raise Http404("no such chat")
    return render(request, "chatsite/_chat_row.html", {"row": rows[0]})


def chat_rows(request: HttpRequest, only: int | None = None) -> list[dict[str, Any]]:
    """The user's chats (or only chat `only`), newest message first, with what the list shows of
    each; read where Tandem writes (a chat just created is on a lagging replica a moment later)."""
    using = database_for_tandem(None)
    memberships = ChatMember.objects.using(using).filter(user=request.user).select_related("chat")
    if only is not None:
        memberships = memberships.filter(chat_id=only)
    last = Message.objects.using(using).filter(chat=OuterRef("chat")).order_by("-seq")
    rows = []
    for m in memberships.annotate(
        last_body=Subquery(last.values("body")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
        last_seq=Subquery(last.values("seq")[:1]),
        last_sender=Subquery(last.values("sender")[:1]),
    ):
        unread = (
            Message.objects.using(using)
            .filter(chat=m.chat, seq__gt=m.read_upto)
            .exclude(sender=request.user)
            .count()
        )
        others = m.chat.members.exclude(user=request.user).select_related("user")
        title = m.chat.title or ", ".join(display_name(o.user) for o in others) or "Notes to self"
        rows.append(
            {
                "chat": m.chat,
                "title": title,
                "last_body": m.last_body,
                "last_at": m.last_at,
                "last_seq": m.last_seq,
                "prefix": last_prefix(request, m.chat, m.last_sender),
                "unread": unread,
            }
        )
    rows.sort(key=lambda r: (r["last_at"] is None, -(r["last_at"].timestamp() if r["last_at"] else 0)))
    return rows


def last_prefix(request: HttpRequest, chat: Chat, sender_id: int | None) -> str:
    """ "You: " before one's own last message, the author's name in groups (as the live list does)."""
    if sender_id is None:
        return ""
    if sender_id == request.user.pk:
        return "You: "
    if chat.is_group:
        return f"{display_name(get_user_model().objects.get(pk=sender_id))}: "
    return ""


@login_required
def chat_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = Chat.objects.filter(pk=chat_id, members__user=request.user).first()
    if chat is None:
        raise Http404("no such chat")
    return render(request, "chatsite/chat_page.html", {"chat": chat, "rows": chat_rows(request)})


class GroupForm(forms.Form):
    title = forms.CharField(max_length=200)
    members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = get_user_model().objects.exclude(pk=user.pk).order_by("username")


@login_required
def new_group(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        chat = Chat.create_with_members(
            [request.user, *form.cleaned_data["members"]], title=form.cleaned_data["title"], is_group=True
        )
        return redirect("chat", chat_id=chat.pk)
    return render(request, "chatsite/new_group.html", {"form": form})


class PrivacyForm(forms.ModelForm):
    presence_visibility = forms.TypedChoiceField(
        choices=PresenceVisibility.choices, coerce=int, label="Who can see my last seen and online"
    )

    class Meta:
        model = UserSettings
        fields = ("presence_visibility", "read_receipts")
        labels: ClassVar = {"read_receipts": "Read receipts (in 1:1 chats; groups always send them)"}


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    current = UserSettings.objects.filter(user=request.user).first() or UserSettings(user=request.user)
    form = PrivacyForm(request.POST or None, instance=current)
    saved = False
    if request.method == "POST" and form.is_valid():
        # Through tandem.privacy, not form.save(): the people the change concerns see it at once.
        change_privacy(
            request.user.pk,
            presence_visibility=form.cleaned_data["presence_visibility"],
            read_receipts=form.cleaned_data["read_receipts"],
        )
        saved = True
    return render(request, "chatsite/privacy.html", {"form": form, "saved": saved})
