"""HTTP fallback and history: the socket's messaging frames as JSON views, for clients whose
socket is down and for pages that render history. Same shapes as the frames (docs/protocol.md,
"HTTP fallback"); errors are the error frame with a matching HTTP status."""

from __future__ import annotations

import json
import logging
import zoneinfo
from collections.abc import Callable
from datetime import tzinfo
from functools import wraps
from typing import Any

import tandem_core
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem import events, messaging
from tandem.client_config import chat_configs
from tandem.messaging import MessagingError

RETRY_AFTER_S = 1
logger = logging.getLogger(__name__)


USER_HEADER = "X-Tandem-User"


def error_response(code: tandem_core.ErrorCode, field: str = "") -> JsonResponse:
    message = tandem_core.error_message(code) + (f" ({field})" if field else "")
    frame: dict[str, Any] = {
        "type": "error",
        "code": tandem_core.error_name(code),
        "number": int(code),
        "message": message,
    }
    if code == tandem_core.ErrorCode.UNAUTHENTICATED:
        status = 401
    elif code == tandem_core.ErrorCode.INTERNAL:
        status = 500
    elif code == tandem_core.ErrorCode.FORBIDDEN:
        status = 403
    elif tandem_core.is_retryable(code):
        frame["retry_after"] = RETRY_AFTER_S
        status = 503
    else:
        status = 400
    response = JsonResponse(frame, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_S)
    return response


View = Callable[..., HttpResponse]


def api_view(view: View) -> View:
    """JSON in, JSON out: 401 instead of a login redirect, typed errors, 503 when the database
    cannot be asked (the client keeps the message in its outbox and retries), 500 for any other
    database error (retrying the same request fails the same way).

    Never inside ATOMIC_REQUESTS' transaction: a send holds its chat's row lock until the
    transaction ends, so each call commits on its own (one chat per transaction)."""

    @transaction.non_atomic_requests
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or not _for_this_user(request):
            return error_response(tandem_core.ErrorCode.UNAUTHENTICATED)
        try:
            return view(request, *args, **kwargs)
        except MessagingError as refused:
            return error_response(refused.code, refused.field)
        except (OperationalError, InterfaceError):
            return error_response(tandem_core.ErrorCode.STORE_UNAVAILABLE)
        except DatabaseError:
            logger.exception("tandem: database error in %s", view.__name__)
            return error_response(tandem_core.ErrorCode.INTERNAL)

    # On every alias, not only the default: a router may put Tandem's tables on any of them.
    for alias in settings.DATABASES:
        wrapper = transaction.non_atomic_requests(using=alias)(wrapper)
    # A site with LoginRequiredMiddleware would redirect an anonymous call to its login page: the
    # API answers for itself (401, JSON), which is what the client acts on.
    return login_not_required(wrapper)


def _for_this_user(request: HttpRequest) -> bool:
    """Is the request for the user signed in? A page names its own user in `X-Tandem-User`
    (docs/protocol.md, "HTTP fallback"): one left open while its user logged out and someone
    else logged in (in another tab of the same browser) still sends with the browser's cookie,
    which now names that someone; its sends, receipts and reads must not pass as theirs."""
    named = request.headers.get(USER_HEADER)
    return named is None or named == str(request.user.pk)


def signed_in(request: HttpRequest) -> int:
    """The signed-in user's id (api_view has refused anonymous requests)."""
    user_id = request.user.pk
    if not isinstance(user_id, int):
        raise MessagingError(tandem_core.ErrorCode.UNAUTHENTICATED)
    return user_id


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise MessagingError(tandem_core.ErrorCode.BAD_FRAME) from None
    if not isinstance(body, dict):
        raise MessagingError(tandem_core.ErrorCode.BAD_FRAME)
    return body


def int_param(value: Any, field: str, code: tandem_core.ErrorCode) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MessagingError(code, field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise MessagingError(code, field) from None
    if not messaging.INT64_MIN <= number <= messaging.INT64_MAX:
        raise MessagingError(code, field)
    return number


def str_field(body: dict[str, Any], field: str, code: tandem_core.ErrorCode) -> str:
    if body.get(field) is None:
        raise MessagingError(tandem_core.ErrorCode.MISSING_FIELD, field)
    if not isinstance(body[field], str):
        raise MessagingError(code, field)
    return body[field]


@require_http_methods(["GET", "POST"])
@api_view
def messages_view(request: HttpRequest, chat_id: int) -> HttpResponse:
    """GET: history (?before=SEQ&limit=N) or missed messages (?after=SEQ). POST: send
    ({"client_id", "body"}); answers the ack frame, 201 when stored now, 200 for a resend."""
    if request.method == "POST":
        body = json_body(request)
        message, duplicate = messaging.send_message(
            chat_id=chat_id,
            sender_id=signed_in(request),
            client_id=str_field(body, "client_id", tandem_core.ErrorCode.CLIENT_ID_INVALID),
            body=str_field(body, "body", tandem_core.ErrorCode.INVALID_FIELD),
        )
        return JsonResponse(events.ack_frame(message, duplicate), status=200 if duplicate else 201)
    after = int_param(request.GET.get("after"), "after", tandem_core.ErrorCode.MESSAGE_ID_INVALID)
    if after is not None:
        return JsonResponse(messaging.missed(chat_id=chat_id, viewer_id=signed_in(request), after=after))
    before = int_param(request.GET.get("before"), "before", tandem_core.ErrorCode.MESSAGE_ID_INVALID)
    limit = int_param(request.GET.get("limit"), "limit", tandem_core.ErrorCode.INVALID_FIELD)
    return JsonResponse(
        messaging.history(chat_id=chat_id, viewer_id=signed_in(request), before=before, limit=limit)
    )


RECEIPT_KINDS = {"delivered": tandem_core.ReceiptKind.DELIVERED, "read": tandem_core.ReceiptKind.READ}


@require_POST
@api_view
def receipts_view(request: HttpRequest, chat_id: int) -> HttpResponse:
    """POST {"kind": "delivered"|"read", "upto": SEQ}: 204, whether or not it said anything new."""
    body = json_body(request)
    kind = RECEIPT_KINDS.get(str_field(body, "kind", tandem_core.ErrorCode.INVALID_FIELD))
    if kind is None:
        raise MessagingError(tandem_core.ErrorCode.INVALID_FIELD, "kind")
    upto = int_param(body.get("upto"), "upto", tandem_core.ErrorCode.MESSAGE_ID_INVALID)
    if upto is None:
        raise MessagingError(tandem_core.ErrorCode.MISSING_FIELD, "upto")
    messaging.apply_receipt(chat_id=chat_id, user_id=signed_in(request), kind=kind, upto=upto)
    return HttpResponse(status=204)


@require_GET
@never_cache
@api_view
def session_view(request: HttpRequest) -> HttpResponse:
    """Who the browser's session signs in, with a CSRF token for it: what the client asks after
    a 4401 from its socket's re-check, which also comes when Django gave the session a new key
    (a password change, a login again) and the browser already holds it. A request naming
    another user, or none signed in, gets 401 (api_view)."""
    return JsonResponse({"type": "session", "user": request.user.pk, "csrf_token": get_token(request)})


@require_GET
@api_view
def chat_view(request: HttpRequest, chat_id: int) -> HttpResponse:
    """A chat as the client's configuration carries it (title, members' names, group or not,
    the viewer's read marker): for a page that learns of a chat created after it was rendered.
    403 for a chat the viewer is not a member of, as for its messages."""
    about = chat_configs(request.user, only=chat_id).get(str(chat_id))
    if about is None:
        raise MessagingError(tandem_core.ErrorCode.FORBIDDEN, "chat")
    return JsonResponse({"type": "chat", "chat": about})


@require_GET
@api_view
def message_info_view(request: HttpRequest, chat_id: int, seq: int) -> HttpResponse:
    """Who a message reached and who read it, and when (the "message info" screen)."""
    return JsonResponse(messaging.message_info(chat_id=chat_id, viewer_id=signed_in(request), seq=seq))


@require_http_methods(["GET", "POST"])
@api_view
def privacy_view(request: HttpRequest) -> HttpResponse:
    """GET the signed-in user's privacy settings; POST {"presence_visibility": "everyone" |
    "contacts" | "nobody", "read_receipts": bool} (either field) to change them."""
    from tandem.presence import settings_of
    from tandem.privacy import change_privacy

    if request.method == "POST":
        # Validated first, then applied (and told to the people it concerns) by change_privacy.
        visibility, read_receipts = _privacy_choices(json_body(request))
        current = change_privacy(
            signed_in(request), presence_visibility=visibility, read_receipts=read_receipts
        )
    else:
        # From the database change_privacy writes, not a replica that may predate the change.
        current = settings_of(signed_in(request))
    return JsonResponse(
        {
            "presence_visibility": tandem_core.visibility_name(
                tandem_core.visibility_from_number(current.presence_visibility)
            ),
            "read_receipts": current.read_receipts,
        }
    )


def _privacy_choices(body: dict[str, Any]) -> tuple[int | None, bool | None]:
    """The POSTed fields (None for those left out); a bad value refuses the whole request."""
    visibility: int | None = None
    read_receipts: bool | None = None
    if "presence_visibility" in body:
        chosen = body["presence_visibility"]
        parsed = tandem_core.visibility_from_name(chosen) if isinstance(chosen, str) else None
        if parsed is None:
            raise MessagingError(tandem_core.ErrorCode.INVALID_FIELD, "presence_visibility")
        visibility = int(parsed)
    if "read_receipts" in body:
        if not isinstance(body["read_receipts"], bool):
            raise MessagingError(tandem_core.ErrorCode.INVALID_FIELD, "read_receipts")
        read_receipts = body["read_receipts"]
    return visibility, read_receipts


def viewer_zone(request: HttpRequest) -> tzinfo | None:
    name = request.GET.get("tz")
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise MessagingError(tandem_core.ErrorCode.INVALID_FIELD, "tz") from None


@require_GET
@api_view
def presence_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """Another user's online status and last seen as the signed-in user may see them. "last
    seen today at 14:05" is worded in the viewer's time zone: `?tz=Europe/Paris` (what the
    browser's Intl API reports), else the time zone the site activated for the request."""
    from django.utils import timezone

    from tandem.presence import presence_for

    seen = presence_for(signed_in(request), user_id, timezone.localtime(timezone=viewer_zone(request)))
    if seen is None:
        raise MessagingError(tandem_core.ErrorCode.FORBIDDEN, "user")
    return JsonResponse({"type": "presence", "users": [{"user": user_id, **seen}]})
