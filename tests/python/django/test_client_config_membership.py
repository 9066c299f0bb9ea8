"""{% tandem_client_config chat %} tells the page a chat's members only when the viewer is one of
them (issue 12, defect 10): a page that passes a chat its user does not belong to is refused
with PermissionDenied (403 through Django's handler), never rendered with the members' names."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.template import Context, Template
from django.test import RequestFactory
from tandem.models import Chat

pytestmark = pytest.mark.django_db

TEMPLATE = Template("{% load tandem %}{% tandem_client_config chat %}")


def render_for(user: Any, chat: Chat | None) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return TEMPLATE.render(Context({"request": request, "chat": chat}))


@pytest.fixture
def people(django_user_model: Any) -> dict[str, Any]:
    return {n: django_user_model.objects.create_user(n, password="pw") for n in ("ann", "bob", "eve")}


def test_a_member_gets_the_chat_and_its_members(people) -> None:
    chat = Chat.create_with_members([people["ann"], people["bob"]], title="pair")
    page = render_for(people["ann"], chat)
    assert '"title": "pair"' in page
    assert '"bob"' in page


def test_a_non_member_is_refused_and_no_member_name_is_rendered(people) -> None:
    chat = Chat.create_with_members([people["ann"], people["bob"]], title="secret pair")
    with pytest.raises(PermissionDenied, match="not a member"):
        render_for(people["eve"], chat)


def test_an_anonymous_viewer_is_refused(people) -> None:
    chat = Chat.create_with_members([people["ann"], people["bob"]])
    with pytest.raises(PermissionDenied):
        render_for(AnonymousUser(), chat)
    with pytest.raises(PermissionDenied):
        render_for(AnonymousUser(), None)


def test_a_chat_id_that_is_not_a_chat_is_refused_clearly(people) -> None:
    with pytest.raises(PermissionDenied, match="not a member"):
        render_for(people["ann"], 999_999)
    with pytest.raises(TypeError, match="Chat"):
        render_for(people["ann"], "42")


def test_the_list_page_without_a_chat_still_renders(people) -> None:
    Chat.create_with_members([people["ann"], people["bob"]])
    assert '"chat": null' in render_for(people["eve"], None)
    # A page with no `chat` in its context (the chat list including tandem/client.html).
    request = RequestFactory().get("/")
    request.user = people["eve"]
    assert '"chat": null' in TEMPLATE.render(Context({"request": request}))
