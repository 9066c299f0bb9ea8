"""Typed stubs for tandem_core._core (the pybind11 bindings of sidecar/core)."""

import enum

__version__: str

class ErrorCode(enum.IntEnum):
    """Client-visible error codes; the values are stable wire codes (sidecar/core/error.hpp)."""

    # 100-199: the frame itself is wrong; resending it unchanged fails again.
    BAD_FRAME = 100
    UNKNOWN_TYPE = 101
    MISSING_FIELD = 102
    INVALID_FIELD = 103
    BODY_EMPTY = 104
    BODY_TOO_LONG = 105
    BODY_NOT_UTF8 = 106
    CLIENT_ID_INVALID = 107
    CHAT_ID_INVALID = 108
    MESSAGE_ID_INVALID = 109
    FRAME_TOO_LARGE = 110
    # 200-299: who you are / what you may do.
    UNAUTHENTICATED = 201
    FORBIDDEN = 203
    # 300-399: slow down; retry after the given delay.
    RATE_LIMITED = 300
    # 500-599: the sidecar's dependencies; retryable.
    INTERNAL = 500
    STORE_UNAVAILABLE = 503
    LAYER_UNAVAILABLE = 504

def error_name(code: ErrorCode) -> str:
    """Stable snake_case name of the code, as sent in error frames."""

def error_message(code: ErrorCode) -> str:
    """One sentence describing the code, safe to show to an end user."""

def is_retryable(code: ErrorCode) -> bool:
    """True when the same frame may succeed if sent again later."""

class Tick(enum.IntEnum):
    """What the sender sees for a message."""

    PENDING = 0
    SENT = 1
    DELIVERED = 2
    READ = 3
    FAILED = 4

class TickEvent(enum.IntEnum):
    ACKED = 0
    DELIVERED = 1
    READ = 2
    FAILED = 3
    RETRIED = 4

class MessageStatus:
    """A status with the time (ms) each step was reached."""

    def __init__(
        self,
        *,
        state: Tick = ...,
        sent_at: int | None = None,
        delivered_at: int | None = None,
        read_at: int | None = None,
        failed_at: int | None = None,
    ) -> None: ...
    @property
    def state(self) -> Tick: ...
    @property
    def sent_at(self) -> int | None: ...
    @property
    def delivered_at(self) -> int | None: ...
    @property
    def read_at(self) -> int | None: ...
    @property
    def failed_at(self) -> int | None: ...

def advance(status: MessageStatus, event: TickEvent, at: int) -> tuple[MessageStatus, bool]:
    """Applies an event at time `at`; returns (new_status, changed). Server steps only move forward."""

def server_rank(state: Tick) -> int:
    """0 pending/failed, 1 sent, 2 delivered, 3 read."""

def tick_name(state: Tick) -> str: ...
def tick_from_name(name: str) -> Tick | None:
    """Inverse of tick_name; None for unknown names."""

class TickIcon:
    """Icon name and accessible label of a tick."""

    @property
    def icon(self) -> str: ...
    @property
    def label(self) -> str: ...

def icon_for(state: Tick) -> TickIcon:
    """The icon and accessible label for a tick state."""

class ReceiptKind(enum.IntEnum):
    DELIVERED = 0
    READ = 1

class ReceiptMarker:
    """One member's receipts in a chat: delivered/read up to a sequence number."""

    def __init__(self, *, delivered_upto: int = 0, read_upto: int = 0) -> None: ...
    @property
    def delivered_upto(self) -> int: ...
    @property
    def read_upto(self) -> int: ...

def apply_receipt(marker: ReceiptMarker, kind: ReceiptKind, upto: int) -> tuple[ReceiptMarker, bool]:
    """Applies 'kind up to seq'; returns (new_marker, changed)."""

def tick_for(marker: ReceiptMarker, seq: int) -> Tick:
    """The tick one recipient's marker gives message seq."""

def aggregate_ticks(recipient_ticks: list[Tick]) -> Tick:
    """The sender's view: the least advanced recipient tick (SENT with no recipients)."""

def aggregate_markers(recipient_markers: list[ReceiptMarker], seq: int) -> Tick:
    """The sender's tick for message seq from every recipient's marker."""

def common_upto(recipient_markers: list[ReceiptMarker], kind: ReceiptKind) -> int:
    """Highest seq that every recipient has reached for kind."""

class StatusNews:
    """A sender's messages in a chat are now `kind` up to `upto`."""

    @property
    def sender_id(self) -> int: ...
    @property
    def kind(self) -> ReceiptKind: ...
    @property
    def upto(self) -> int: ...

def sender_view(
    members: list[tuple[int, ReceiptMarker, bool]], sender_id: int, last_seq: int, is_group: bool
) -> ReceiptMarker:
    """The sender's messages are delivered/read up to the least advanced other member (members are
    (user_id, marker, read_receipts); reads hidden in a 1:1 chat where either has receipts off)."""

def receipt_news(
    members_after: list[tuple[int, ReceiptMarker, bool]],
    reader: int,
    before: ReceiptMarker,
    senders: list[int],
    is_group: bool,
) -> list[StatusNews]:
    """What each sender hears after reader's marker moved from before: only minimums that moved."""

def last_seen_text(online: bool, last_seen: int | None, now: int, utc_offset_minutes: int = 0) -> str:
    """'Online', 'last seen 5 minutes ago', 'last seen today at 14:05', ..., or 'Offline'."""

class Visibility(enum.IntEnum):
    EVERYONE = 0
    CONTACTS = 1
    NOBODY = 2

def visibility_name(visibility: Visibility) -> str:
    """'everyone', 'contacts' or 'nobody'."""

def visibility_from_name(name: str) -> Visibility | None:
    """Parses visibility_name() output; None for anything else."""

def visibility_from_number(value: int) -> Visibility:
    """The stored value (PresenceVisibility); one this build does not know hides the user (NOBODY)."""

def may_see_presence(owner: Visibility, viewer: Visibility, are_contacts: bool, same_user: bool) -> bool:
    """May the viewer see the owner's online status and last seen? Reciprocal."""

def read_receipts_shown(is_group: bool, sender_receipts_on: bool, reader_receipts_on: bool) -> bool:
    """Always in groups; in a 1:1 chat only when both have read receipts on."""

class TypingPolicy:
    def __init__(
        self, *, start_interval_ms: int = 2000, server_expiry_ms: int = 6000, client_idle_stop_ms: int = 1000
    ) -> None: ...
    @property
    def start_interval_ms(self) -> int: ...
    @property
    def server_expiry_ms(self) -> int: ...
    @property
    def client_idle_stop_ms(self) -> int: ...

class TypistState:
    def __init__(
        self, *, typing: bool = False, last_forwarded_start: int | None = None, last_activity: int = 0
    ) -> None: ...
    @property
    def typing(self) -> bool: ...
    @property
    def last_forwarded_start(self) -> int | None: ...
    @property
    def last_activity(self) -> int: ...

class TypingSignal(enum.IntEnum):
    NONE = 0
    START = 1
    STOP = 2

def on_typing_start(
    state: TypistState, now: int, policy: TypingPolicy = ...
) -> tuple[TypistState, TypingSignal]: ...
def on_typing_stop(state: TypistState, now: int) -> tuple[TypistState, TypingSignal]: ...
def on_message_sent(state: TypistState, now: int) -> tuple[TypistState, TypingSignal]: ...
def on_expiry_check(
    state: TypistState, now: int, policy: TypingPolicy = ...
) -> tuple[TypistState, TypingSignal]: ...
def client_should_stop(last_keystroke: int, now: int, policy: TypingPolicy = ...) -> bool: ...
def typing_text(names: list[str]) -> str:
    """'Ann is typing…', 'Ann and Bo are typing…', ..., '4 people are typing…'."""

class BackoffPolicy:
    def __init__(
        self, *, initial_ms: int, factor: float, max_ms: int, jitter: float, max_attempts: int
    ) -> None: ...
    @property
    def initial_ms(self) -> int: ...
    @property
    def factor(self) -> float: ...
    @property
    def max_ms(self) -> int: ...
    @property
    def jitter(self) -> float: ...
    @property
    def max_attempts(self) -> int: ...

RECONNECT_BACKOFF: BackoffPolicy
MESSAGE_RETRY_BACKOFF: BackoffPolicy

def backoff_delay(policy: BackoffPolicy, attempt: int, random01: float) -> int | None:
    """Delay in ms before retry `attempt` (1-based), or None when attempts are used up."""

class FrameLimits:
    def __init__(self, *, max_body_chars: int = 4096, max_client_id_len: int = 64) -> None: ...
    @property
    def max_body_chars(self) -> int: ...
    @property
    def max_client_id_len(self) -> int: ...

class FieldError:
    @property
    def code(self) -> ErrorCode: ...
    @property
    def field(self) -> str: ...

def validate_body(body: bytes | str, limits: FrameLimits = ...) -> FieldError | None: ...
def validate_client_id(client_id: str, limits: FrameLimits = ...) -> FieldError | None: ...
def validate_send(chat: int, client_id: str, body: str, limits: FrameLimits = ...) -> FieldError | None: ...
