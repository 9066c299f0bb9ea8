"""Version 2 of the messaging contract: dedup per (chat, sender, client_id), the member's join
seq, the chat's last activity, receipt-log indexes, and the v2 SQL functions
(tandem/sql/messaging_v2.sql, pinned by hash in the tests). Version 1's functions stay, so a
sidecar built for them keeps working until every process runs version 2."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import migrations, models

FUNCTIONS = (Path(__file__).resolve().parents[1] / "sql" / "messaging_v2.sql").read_text()
DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS tandem_member_joins_v2 ON tandem_chatmember;
DROP FUNCTION IF EXISTS tandem_member_joins_v2();
DROP FUNCTION IF EXISTS tandem_send_message_v2(bigint, bigint, text, text);
DROP FUNCTION IF EXISTS tandem_apply_receipt_v2(bigint, bigint, smallint, bigint);
DROP FUNCTION IF EXISTS tandem_require_read_committed_v2();
DROP FUNCTION IF EXISTS tandem_schema_version();
"""


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("tandem", "0003_user_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="chat",
            name="last_message_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="chatmember",
            name="joined_seq",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RemoveConstraint(
            model_name="message",
            name="tandem_message_sender_client_id",
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                fields=("chat", "sender", "client_id"), name="tandem_message_chat_sender_client_id"
            ),
        ),
        migrations.AddIndex(
            model_name="receiptevent",
            index=models.Index(
                fields=["chat", "user", "kind", "upto_seq"], name="tandem_receiptevent_member"
            ),
        ),
        migrations.AddIndex(
            model_name="receiptevent",
            index=models.Index(fields=["user"], name="tandem_receiptevent_user"),
        ),
        migrations.AddIndex(
            model_name="receiptevent",
            index=BrinIndex(fields=["at"], name="tandem_receiptevent_at"),
        ),
        migrations.RunSQL(FUNCTIONS, reverse_sql=DROP_FUNCTIONS),
    ]
