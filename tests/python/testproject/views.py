"""Test-only view: a POST makes Django send a notification to every socket of one user."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


# csrf_exempt and no login: tests (and the e2e suite) call it with plain HTTP clients.
@csrf_exempt
@require_POST
def notify(request: HttpRequest, user_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    async_to_sync(get_channel_layer().group_send)(f"user_{user_id}", {"type": "notification", "text": text})
    return HttpResponse(status=204)
