"""What a fault row proves, computed from the clients' records and PostgreSQL's rows: every
acknowledged message stored exactly once, held by every client (after dedup by id, sync
included) at the seq PostgreSQL gave it, recovery time, and the sidecars' memory around it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from faults.fault_client import FaultClient

MIB = 1024 * 1024


@dataclass
class StoredRow:
    id: int
    seq: int
    sender: int
    client_id: str


@dataclass
class RowResult:
    row: str
    acknowledged: int = 0
    stored: int = 0
    delivered: int = 0  # (client, acknowledged message) pairs held
    lost: int = 0  # acknowledged but not stored, plus pairs a client never got
    duplicates: int = 0  # one client_id stored twice or acknowledged with two ids
    unacked: int = 0  # still unanswered when the row ended (not a loss: never acknowledged)
    recover_s: float | None = None
    rss_before: list[int] = field(default_factory=list)
    rss_after: list[int] = field(default_factory=list)
    closes: int = 0
    repeats: int = 0
    reordered: int = 0
    resync_hints: int = 0
    duplicate_acks: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    log_excerpt: list[str] = field(default_factory=list)  # the sidecars' warnings, for a failing row

    def table(self) -> str:
        recover = "never" if self.recover_s is None else f"{self.recover_s:.2f} s"
        rss = " / ".join(
            f"{b // MIB}->{a // MIB} MiB" for b, a in zip(self.rss_before, self.rss_after, strict=False)
        )
        cells = [
            ("acknowledged", self.acknowledged),
            ("stored", self.stored),
            ("delivered", self.delivered),
            ("lost (must be 0)", self.lost),
            ("duplicates (must be 0)", self.duplicates),
            ("unacked at end", self.unacked),
            ("time to recover", recover),
            ("RSS before->after", rss),
            ("sockets closed", self.closes),
            ("resync hints", self.resync_hints),
            ("acks saying duplicate:true", self.duplicate_acks),
            ("repeats after dedup", self.repeats),
            ("live out of seq order", self.reordered),
            ("error frames", dict(self.errors) or "-"),
        ]
        width = max(len(name) for name, _ in cells)
        lines = [f"== fault row: {self.row}"] + [f"  {name:<{width}}  {value}" for name, value in cells]
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        lines += [f"  log: {line}" for line in self.log_excerpt]
        return "\n".join(lines)

    def summary_line(self) -> str:
        recover = "never" if self.recover_s is None else f"{self.recover_s:.1f}"
        rss = ",".join(
            f"{b // MIB}->{a // MIB}" for b, a in zip(self.rss_before, self.rss_after, strict=False)
        )
        return (
            f"| {self.row} | {self.acknowledged} | {self.stored} | {self.delivered} | {self.lost} | "
            f"{self.duplicates} | {recover} | {rss} | {self.closes} | {'; '.join(self.problems) or 'ok'} |"
        )


SUMMARY_HEADER = (
    "| row | acked | stored | delivered | lost | dups | recover s | RSS MiB | closed | verdict |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def audit(row: str, clients: list[FaultClient], stored: list[StoredRow], fault_end: float) -> RowResult:
    result = RowResult(row)
    acked = {cid: ack for c in clients for cid, ack in c.acks.items()}
    result.acknowledged = len(acked)
    result.stored = len(stored)
    result.unacked = sum(len(c.outbox) for c in clients)
    result.duplicates = sum(len(c.ack_conflicts) for c in clients)
    by_client_id: dict[str, list[StoredRow]] = defaultdict(list)
    for r in stored:
        by_client_id[r.client_id].append(r)
    result.duplicates += sum(len(rows) - 1 for rows in by_client_id.values())
    seq_of = {r.id: r.seq for r in stored}

    for client_id, ack in acked.items():
        rows = by_client_id.get(client_id, [])
        if not any(r.id == ack.id and r.seq == ack.seq for r in rows):
            result.lost += 1
            result.problems.append(f"{client_id} acknowledged as id {ack.id} but not stored so")
    for client in clients:
        missing = [cid for cid, ack in acked.items() if ack.id not in client.held]
        result.delivered += len(acked) - len(missing)
        result.lost += len(missing)
        if missing:
            result.problems.append(
                f"{client.name} never got {len(missing)} acknowledged messages, e.g. {missing[:3]}"
            )
        wrong = [i for i, s in client.held.items() if seq_of.get(i) != s]
        if wrong:
            result.problems.append(
                f"{client.name} holds {len(wrong)} messages at a seq PostgreSQL does not give them"
            )
        top = max((a.seq for a in acked.values()), default=0)
        if client.gapless < top and not missing:
            result.problems.append(
                f"{client.name} has a gap below seq {top} (gapless up to {client.gapless})"
            )
        result.closes += len(client.closes)
        result.repeats += client.repeats
        result.reordered += client.reordered
        result.resync_hints += client.resync_hints
        result.duplicate_acks += client.duplicate_acks
        for code, n in client.errors.items():
            result.errors[code] = result.errors.get(code, 0) + n
        if client.reloads:
            result.problems.append(f"{client.name} was told to reload {client.reloads} times")

    if result.errors.get("rate_limited"):
        result.problems.append(
            f"{result.errors['rate_limited']} sends refused as rate_limited although every client keeps under the "
            "server's rate (frames that waited on the server were counted against the client)"
        )
    seqs = sorted(r.seq for r in stored)
    if seqs != list(range(1, len(seqs) + 1)):
        result.problems.append("PostgreSQL's seqs for the chat are not 1..N")
    result.recover_s = recovery_time(clients, fault_end)
    return result


def recovery_time(clients: list[FaultClient], fault_end: float) -> float | None:
    """From the fault's end until a message first sent after it had reached every client."""
    first_sent = {}
    for c in clients:
        for cid, ack in c.acks.items():
            item_sent = c.first_sent.get(cid)
            if item_sent is not None and item_sent >= fault_end:
                first_sent[ack.id] = item_sent
    reached = [max(c.arrival[i] for c in clients) for i in first_sent if all(i in c.arrival for c in clients)]
    return min(reached) - fault_end if reached else None


def warnings_in(log: str, limit: int = 6) -> list[str]:
    """The first line of each kind of warning or error event in a sidecar log, in order."""
    seen: dict[str, str] = {}
    for line in log.splitlines():
        if "level=warning" in line or "level=error" in line:
            event = next((w for w in line.split() if w.startswith("event=")), line[:60])
            seen.setdefault(event, line)
    return list(seen.values())[:limit]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
