"""Tables (Markdown, side by side, ratios against Tandem on one process) and the p99-vs-rate plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REFERENCE = "Tandem 1 process"


def highest_rate_under(steps: list[dict[str, Any]], limit_ms: float) -> float:
    """The highest offered rate whose p99 send→deliver stayed under `limit_ms` with nothing lost
    and no error, climbing the ladder until the first step that misses."""
    best = 0.0
    for s in steps:
        if s["last_recipient"]["p99_ms"] < limit_ms and not s["lost"] and not s["errors"] and not s.get("aborted"):
            best = s["offered_rate"]
        else:
            break
    return best


def latency(step: dict[str, Any]) -> dict[str, Any]:
    """A step's send→last-recipient histogram; empty when it counted nothing (nothing sent, or no
    message reached every recipient): its zeros would read as the best latency of the table."""
    return step["last_recipient"] if step["last_recipient"].get("count", 1) else {}


def measured_costs(step: dict[str, Any]) -> dict[str, Any]:
    """A step's per-message costs; empty when the step sent nothing (divided by no message)."""
    return step.get("costs", {}) if step["sent"] else {}


def reached_p99(step: dict[str, Any]) -> float | str | None:
    """A step's p99 send→last recipient; None when not measured (latency()). When only some
    messages reached everyone, the p99 of those survivors is marked as such (the others are the
    slowest: a plain figure would flatter the server)."""
    p99 = latency(step).get("p99_ms")
    complete = step.get("messages_complete", step["sent"])
    if p99 is not None and complete < step["sent"]:
        return f"{p99:,.1f} ({complete} of {step['sent']} reached all)"
    return p99


def step_cost(step: dict[str, Any], key: str) -> float | None:
    """A per-message cost of a step; None when the step sent nothing."""
    return measured_costs(step).get(key)


def fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def ratio(ref: Any, other: Any, lower_is_better: bool) -> str:
    if not isinstance(ref, int | float) or not isinstance(other, int | float) or not ref or not other:
        return "-"
    r = other / ref if lower_is_better else ref / other
    return f"{r:,.1f}x"


def summary_rows(results: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """(label, value per server, lower is better)."""
    rows: list[tuple[str, dict[str, Any], bool]] = []

    def add(label: str, lower: bool, get: Any) -> None:
        values = {}
        for name, r in results.items():
            try:
                values[name] = get(r)
            except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):  # not measured: "-"
                values[name] = None
        rows.append((label, values, lower))

    add("W2 highest rate, p99 < 100 ms (msg/s)", False, lambda r: highest_rate_under(r["w2"]["steps"], 100))
    add("W2 highest rate, p99 < 10 ms (msg/s)", False, lambda r: highest_rate_under(r["w2"]["steps"], 10))
    add("W2 p99 send→deliver at the first rate (ms)", True, lambda r: reached_p99(r["w2"]["steps"][0]))
    add("W2 server CPU per message at the first rate (ms)", True, lambda r: step_cost(r["w2"]["steps"][0], "server_cpu_ms_per_msg"))
    add("W2 PostgreSQL CPU per message (ms)", True, lambda r: step_cost(r["w2"]["steps"][0], "pg_cpu_ms_per_msg"))
    add("W6 Redis commands per 1:1 message", True, lambda r: step_cost(r["w2"]["steps"][0], "redis_cmds_per_msg"))
    add("W6 PostgreSQL commits per 1:1 message", True, lambda r: step_cost(r["w2"]["steps"][0], "pg_commits_per_msg"))
    add("W3 p99 to the last group member, first rate (ms)", True, lambda r: reached_p99(r["w3"]["steps"][0]))
    add("W3 socket deliveries per server CPU-second", False,
        lambda r: max(s["costs"]["deliveries_per_server_cpu_s"] for s in r["w3"]["steps"] if s["sent"]))
    add("W6 Redis commands per group message", True, lambda r: step_cost(r["w3"]["steps"][0], "redis_cmds_per_msg"))
    # W3 with the members' delivered receipts, as browsers send them: what a group message
    # really costs, and whether the sender hears its tick move once per message, not per member.
    add("W3r p99 to the last group member, members sending receipts, first rate (ms)", True,
        lambda r: reached_p99(r["w3r"]["steps"][0]))
    add("W3r server CPU per group message with its receipts, first rate (ms)", True,
        lambda r: step_cost(r["w3r"]["steps"][0], "server_cpu_ms_per_msg"))
    add("W3r PostgreSQL CPU per group message with its receipts, first rate (ms)", True,
        lambda r: step_cost(r["w3r"]["steps"][0], "pg_cpu_ms_per_msg"))
    add("W3r receipts sent per group message", True,
        lambda r: r["w3r"]["receipts"]["sent"] / sum(s["sent"] for s in r["w3r"]["steps"]))
    add("W3r status frames (tick news) per group message", True,
        lambda r: r["w3r"]["receipts"]["status_frames"] / sum(s["sent"] for s in r["w3r"]["steps"]))
    # The group's members connecting (W3 opens them all): presence frames per member, from each
    # socket's hello until the end of the run. O(members) frames means a constant here.
    add("W5 presence frames per member, the group's members connecting", True,
        lambda r: r["w3"]["presence"]["frames"] / r["w3"]["sockets"])
    add("W5 presence entries per member, the group's members connecting", True,
        lambda r: r["w3"]["presence"]["entries"] / r["w3"]["sockets"])
    add("W5 seconds until the group's arrival announcements stop", True, lambda r: r["w3"]["settle_s"])
    add("W5 p99 connect→hello (ms)", True, lambda r: r["w5"]["connect_to_hello"]["p99_ms"])
    add("W5 failed connects", True, lambda r: sum(r["w5"]["open_failures"].values()))
    add("W5 server CPU per connect (ms)", True, lambda r: r["w5"]["costs"]["server_cpu_ms_per_msg"])
    add("W5 PostgreSQL commits per connect", True, lambda r: r["w5"]["costs"]["pg_commits_per_msg"])
    add("W1 RSS per idle socket, settled (KiB)", True, lambda r: r["w1"]["rss_per_socket_kib"])
    add("W1 RSS per idle socket 2 s after the last open (KiB)", True, lambda r: r["w1"]["rss_per_socket_kib_2s"])
    add("W1 seconds until RSS settled", True, lambda r: r["w1"]["rss_settle_s"])
    add("W7 SIGTERM→exit with idle sockets open (ms)", True,
        lambda r: r["w1"]["drain_ms"] if None not in r["w1"]["exit_codes"] else f"killed after {r['w1']['drain_ms']:,.0f}")
    add("W7 start→ready (ms)", True, lambda r: r["ready_ms"])
    return rows


def markdown(run: dict[str, Any]) -> str:
    results = run["servers"]
    names = list(results)
    ref = REFERENCE if REFERENCE in results else names[0]
    lines = [f"Run {run['started']} ({run['mode']} mode) on {run['machine']}; every column measured in this one run.", ""]
    header = ["measure", *names, *(f"{n} / {ref}" for n in names if n != ref)]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|---" * (1 + len(names) + len(names) - 1) + "|")
    for label, values, lower in summary_rows(results):
        cells = [fmt(values[n]) for n in names]
        ratios = [ratio(values[ref], values[n], lower) for n in names if n != ref]
        lines.append("| " + " | ".join([label, *cells, *ratios]) + " |")
    lines += ["", "missing: acked (or sent, for echo) but not with every recipient within the grace period after the step.",
              "", ("Ratios: how many times better the reference is (cost or latency of the other / the reference's; "
              "for rates and deliveries the reference's / the other's)."), ""]
    for name, r in results.items():
        sizes = ", ".join(f"{w.upper()}: {r[w]['sockets']} sockets" for w in ("w2", "w3", "w3r") if w in r)
        lines += [f"### {name} ({sizes})", ""]
        lines.append("| workload | offered/s | sent | p50 ms | p99 ms | p99.9 ms | max ms | ack p99 ms | missing | errors "
                     "| server CPU ms/msg | PG CPU ms/msg | Redis CPU ms/msg | client CPU s | Redis cmds/msg | PG commits/msg |")
        lines.append("|---" * 16 + "|")
        for w in ("w2", "w3", "w3r"):
            for s in r.get(w, {}).get("steps", []):
                c, d = measured_costs(s), latency(s)
                lines.append(
                    f"| {w.upper()} | {fmt(s['offered_rate'], 0)} | {s['sent']} | {fmt(d.get('p50_ms'), 2)} "
                    f"| {fmt(d.get('p99_ms'), 2)} | {fmt(d.get('p999_ms'), 2)} | {fmt(d.get('max_ms'), 2)} "
                    f"| {fmt(s['ack']['p99_ms'] if s['ack'].get('count', 1) else None, 2)} | {s['lost']} "
                    f"| {sum(s['errors'].values())} | {fmt(c.get('server_cpu_ms_per_msg'), 3)} "
                    f"| {fmt(c.get('pg_cpu_ms_per_msg'), 3)} | {fmt(c.get('redis_cpu_ms_per_msg'), 3)} "
                    f"| {fmt(s['client_cpu_s'], 2)} | {fmt(c.get('redis_cmds_per_msg'), 1)} "
                    f"| {fmt(c.get('pg_commits_per_msg'), 1)} |"
                )
        if "shootout" in r:
            for kind in ("echo", "broadcast"):
                for s in r["shootout"][kind]["steps"]:
                    d = s["last_recipient"]
                    lines.append(f"| shootout {kind} ({r['shootout'][kind]['sockets']} sockets) | {fmt(s['offered_rate'], 0)} "
                                 f"| {s['sent']} | {fmt(d['p50_ms'], 2)} | {fmt(d['p99_ms'], 2)} | {fmt(d['p999_ms'], 2)} "
                                 f"| {fmt(d['max_ms'], 2)} | - | {s['lost']} | {sum(s['errors'].values())} "
                                 f"| {fmt(s['costs']['server_cpu_ms_per_msg'], 3)} | - | - | {fmt(s['client_cpu_s'], 2)} | - | - |")
        lines.append("")
    probe = run.get("default_settings_probe")
    if probe:
        lines.append(f"Daphne with channels_redis's default layer settings (hosts as URLs), two users of a chat idle for "
                     f"{probe['idle_s']} s, then one message: acked {probe['acked']}, delivered {probe['delivered']}, "
                     f"socket closed with {probe['closed_with']}; Daphne logged: {probe['server_error']}.")
    return "\n".join(lines) + "\n"


def plot(run: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    plotted = False
    for name, r in run["servers"].items():
        steps = r.get("w2", {}).get("steps", [])
        if not steps:
            continue  # W2 not run for this server (--only)
        plotted = True
        steps = [s for s in steps if latency(s)]  # nothing reached: no point
        ax.plot([s["offered_rate"] for s in steps], [max(s["last_recipient"]["p99_ms"], 0.01) for s in steps],
                marker="o", label=name)
    if not plotted:
        ax.text(0.5, 0.5, "W2 was not run", ha="center", va="center", transform=ax.transAxes)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return
    ax.axhline(100, color="grey", linestyle="--", linewidth=0.8)
    ax.axhline(10, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offered rate, 1:1 messages/s (open loop)")
    ax.set_ylabel("p99 send→deliver, ms")
    ax.set_title(f"W2: p99 latency vs offered rate ({run['mode']} run, {run['started']})")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
