"""The sidecar's configuration keys (docs/configuration.md), in the document's order."""

from __future__ import annotations

CONFIG_KEYS: tuple[str, ...] = (
    # server
    "listen",
    "admin_listen",
    "threads",
    "log_level",
    "log_format",
    "log_queue_lines",
    # channel layer
    "redis_hosts",
    "layer_prefix",
    "layer_expiry",
    "layer_group_expiry",
    "layer_capacity",
    "layer_channel_capacity",
    "layer_symmetric_encryption_keys",
    "layer_serializer_format",
    "layer_pending_per_queue",
    "bridge_channel",
    "bridge_rate_per_second",
    "bridge_burst",
    # database
    "database",
    "db_connections_per_thread",
    "db_timeout",
    "db_queue_timeout",
    "db_prepared_statements",
    # Django sessions and users
    "secret_key",
    "secret_key_fallbacks",
    "session_engine",
    "session_cookie_name",
    "session_cookie_age",
    "authentication_backends",
    "session_table",
    "user_table",
    "chat_member_table",
    "user_display_column",
    "auth_recheck_interval",
    "debug",
    "allowed_hosts",
    "csrf_trusted_origins",
    "allowed_origins",
    # limits
    "max_message_bytes",
    "max_frame_depth",
    "rate_messages_per_second",
    "rate_burst",
    "max_connections_per_user",
    "max_connections",
    "max_unauthenticated_per_address",
    "max_unauthenticated",
    "max_pending_handshakes",
    "session_cache_seconds",
    "outbound_queue_frames",
    "outbound_queue_bytes",
    "ping_interval",
    "handshake_timeout",
    "http_idle_timeout",
    "permessage_deflate",
    "deflate_window_bits",
    "drain_deadline",
    # messaging
    "max_body_chars",
    "history_first_page",
    "history_page",
    "history_max_page",
    "sync_page",
    "sync_max_messages",
    "history_from_join",
    "pending_expiry",
    "pending_purge_interval",
    "notifications_max_chats",
    "republish_capacity",
    "receipt_batch_max",
    "send_batch_max",
    "receipt_news_memory",
    "group_prefix",
    # typing and presence
    "typing_start_interval",
    "typing_expiry",
    "typing_frame_interval",
    "presence_heartbeat",
    "presence_lease_ttl",
    "presence_grace",
    "presence_frame_interval",
    "presence_announce_concurrency",
    "presence_through_groups",
    "presence_release_batch",
    "presence_release_concurrency",
    # testing only
    "test_echo_endpoint",
    "bench_shootout_endpoint",
    "bench_shootout_broadcast_rate",
    "bench_shootout_broadcast_burst",
)

# Whole values that never appear in print-outs.
SECRET_KEYS = frozenset({"secret_key", "secret_key_fallbacks", "layer_symmetric_encryption_keys"})

# Values that hold a password somewhere inside (a conninfo string, Redis URLs).
KEYS_WITH_PASSWORDS = frozenset({"database", "redis_hosts"})

# Keys of settings.TANDEM that are for the management command, not the binary.
# public_url: what browsers connect to; receipt_retention: `manage.py tandem prune`.
COMMAND_KEYS = frozenset({"sidecar", "public_url", "receipt_retention"})

ConfigValue = str | int | float | bool | list[str]
