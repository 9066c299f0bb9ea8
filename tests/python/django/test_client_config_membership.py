"""{% tandem_client_config chat %} tells the page a chat's members only when the viewer is one of
them (issue 12, defect 10): a page that passes a chat its user does not belong to is refused
with PermissionDenied (403 through Django's handler), never rendered with the members' names.
The same rule holds for `api/chats/<id>/`, which gives a page a chat created after it was
rendered (the live list adopts it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.template import Context, Template
from django.test import Client, RequestFactory
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


def chat_api(client: Client, chat_id: int) -> Any:
    return client.get(f"/tandem/api/chats/{chat_id}/")


def test_a_member_gets_a_chat_created_after_the_page_from_the_api(people) -> None:
    chat = Chat.create_with_members(
        [people["ann"], people["bob"], people["eve"]], title="later", is_group=True
    )
    client = Client()
    client.force_login(people["bob"])
    answer = chat_api(client, chat.pk)
    assert answer.status_code == 200
    about = answer.json()["chat"]
    assert about["id"] == chat.pk
    assert about["title"] == "later"
    assert about["is_group"] is True
    assert about["members"] == {str(people[n].pk): n for n in ("ann", "bob", "eve")}
    # The same entry the page's configuration holds for chats it was rendered with.
    assert about == json_config_of(people["bob"], chat)


def json_config_of(user: Any, chat: Chat) -> dict[str, Any]:
    from tandem.client_config import chat_configs

    return chat_configs(user)[str(chat.pk)]


def test_the_chat_api_refuses_a_non_member_an_unknown_chat_and_an_anonymous_viewer(people) -> None:
    chat = Chat.create_with_members([people["ann"], people["bob"]], title="secret pair")
    eve = Client()
    eve.force_login(people["eve"])
    for chat_id in (chat.pk, 999_999):
        refused = chat_api(eve, chat_id)
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"
        assert b"bob" not in refused.content
        assert b"secret" not in refused.content
    assert chat_api(Client(), chat.pk).status_code == 401
    member = Client()
    member.force_login(people["ann"])
    assert member.post(f"/tandem/api/chats/{chat.pk}/").status_code == 405


def test_the_row_url_is_the_sites_path_around_the_chat_id(people, settings: Any) -> None:
    import json

    # The test project has no row view: the live list then adopts a chat's configuration only.
    assert '"row_url": null' in render_for(people["ann"], None)
    settings.TANDEM_CHAT_ROW_URL = "tandem:messages"
    page = render_for(people["ann"], None)
    config = json.loads(page[page.index(">") + 1 : page.rindex("</script>")])
    assert config["row_url"] == ["/tandem/api/chats/", "/messages/"]


def test_the_clients_timings_come_from_tandem_client_and_unknown_keys_are_refused(
    people, settings: Any
) -> None:
    settings.TANDEM_CLIENT = {"httpTimeoutMs": 12_000, "graceMs": 5_000}
    page = render_for(people["ann"], None)
    client = json.loads(page[page.index(">") + 1 : page.rindex("</script>")])["client"]
    assert client == {"graceMs": 5_000, "holdMs": 250, "ackTimeoutMs": 4_000, "httpTimeoutMs": 12_000}
    settings.TANDEM_CLIENT = {"httpTimeout": 12_000}
    with pytest.raises(ImproperlyConfigured, match="httpTimeout"):
        render_for(people["ann"], None)
