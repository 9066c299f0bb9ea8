"""Demo users and chats for the example site: ann, bob and cy (password <name>-pass), a 1:1 chat
between ann and bob with a few messages (read by both), and a group of all three. Safe to run again."""

from __future__ import annotations

from typing import Any

import tandem_core
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from tandem import messaging
from tandem.models import Chat

DEMO_USERS = ("ann", "bob", "cy")


class Command(BaseCommand):
    help = "Creates the demo users and chats (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--history", type=int, default=3, help="messages in the 1:1 chat (for paging demos)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = []
        for name in DEMO_USERS:
            user, created = get_user_model().objects.get_or_create(
                username=name, defaults={"first_name": name.title()}
            )
            if created:
                user.set_password(f"{name}-pass")
                user.save()
            users.append(user)
        ann, bob = users[:2]
        if not Chat.objects.filter(is_group=False, members__user=ann).filter(members__user=bob).exists():
            chat = Chat.create_with_members([ann, bob])
            for i in range(options["history"]):
                sender = (ann, bob)[i % 2]
                body = f"Hello {'Bob' if sender == ann else 'Ann'}! (message {i + 1})"
                messaging.send_message(
                    chat_id=chat.pk, sender_id=sender.pk, client_id=f"seed-{chat.pk}-{i}", body=body
                )
            # Old history has been read by both, as in a chat people use: only what arrives
            # from now on is unread (and gets the "N unread messages" marker).
            for user in (ann, bob):
                if options["history"]:
                    messaging.apply_receipt(
                        chat_id=chat.pk,
                        user_id=user.pk,
                        kind=tandem_core.ReceiptKind.READ,
                        upto=options["history"],
                    )
        if not Chat.objects.filter(is_group=True, title="Weekend trip").exists():
            Chat.create_with_members(users, title="Weekend trip", is_group=True)
        self.stdout.write("demo users: " + ", ".join(f"{n} / {n}-pass" for n in DEMO_USERS))
