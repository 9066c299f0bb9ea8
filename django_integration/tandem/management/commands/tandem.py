"""`manage.py tandem`: start the sidecar configured from Django settings (`--print-config` shows
that configuration), or `manage.py tandem check` a running one end to end."""

from __future__ import annotations

import asyncio
import os
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tandem.conf import tandem_settings
from tandem.sidecar.check import Target, run_checks
from tandem.sidecar.config import sidecar_config
from tandem.sidecar.errors import ConfigError
from tandem.sidecar.launch import exec_sidecar, find_sidecar, sidecar_environment
from tandem.sidecar.masking import masked
from tandem.sidecar.origin import default_origin
from tandem.sidecar.toml_text import dumps

DEFAULT_LISTEN = "127.0.0.1:8765"


class Command(BaseCommand):
    help = (
        "Run tandem-sidecar configured from these Django settings (extra sidecar flags after --), "
        "or check a running one: manage.py tandem check --user USERNAME."
    )
    # Arguments after "--", for the binary; argparse would otherwise try to read them.
    passthrough: tuple[str, ...] = ()

    def run_from_argv(self, argv: list[str]) -> None:
        if "--" in argv[2:]:
            cut = argv.index("--", 2)
            self.passthrough = tuple(argv[cut + 1 :])
            argv = argv[:cut]
        super().run_from_argv(argv)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--print-config",
            action="store_true",
            help="print the configuration as TOML (secrets masked) and exit",
        )
        parser.add_argument("--sidecar", metavar="PATH", help="the tandem-sidecar binary to run")
        actions = parser.add_subparsers(dest="action", metavar="check|prune", required=False)
        prune = actions.add_parser("prune", help="delete receipt-log rows older than receipt_retention")
        prune.add_argument(
            "--older-than",
            type=float,
            metavar="SECONDS",
            help="override settings.TANDEM['receipt_retention'] (default 90 days)",
        )
        check = actions.add_parser("check", help="try every hop between Django and a browser")
        tandem = getattr(settings, "TANDEM", {})
        listen = str(tandem.get("listen") or DEFAULT_LISTEN)
        check.add_argument(
            "--url", default=f"ws://{listen}", help="the sidecar's WebSocket base URL (default: %(default)s)"
        )
        check.add_argument(
            "--admin-url",
            help="where /healthz and /readyz are served (default: admin_listen, else --url over http)",
        )
        check.add_argument("--user", help="log this user in and open a socket as them")
        check.add_argument("--origin", help="the Origin header to send (default: from ALLOWED_HOSTS)")
        check.add_argument(
            "--timeout", type=float, default=5.0, help="seconds each hop may take (default: %(default)s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            self.check_sidecar(options)
            return
        if options["action"] == "prune":
            self.prune(options)
            return
        try:
            config = sidecar_config(settings)
            if options["print_config"]:
                self.stdout.write(dumps(masked(config)), ending="")
                return
            binary = find_sidecar(options["sidecar"], getattr(settings, "TANDEM", {}).get("sidecar"))
        except ConfigError as error:
            raise CommandError(str(error)) from None
        exec_sidecar(binary, self.passthrough, sidecar_environment(config, os.environ))

    def prune(self, options: dict[str, Any]) -> None:
        from tandem.messaging import prune_receipt_log

        seconds = options["older_than"]
        if seconds is None:
            seconds = float(tandem_settings.receipt_retention)
        if seconds < 0:
            raise CommandError("--older-than must not be negative")
        deleted = prune_receipt_log(older_than=timezone.now() - timedelta(seconds=seconds))
        self.stdout.write(f"tandem prune: {deleted} receipt-log row(s) older than {seconds:g} s deleted")

    def check_sidecar(self, options: dict[str, Any]) -> None:
        url = options["url"].rstrip("/")
        tandem = getattr(settings, "TANDEM", {})
        admin_url = options["admin_url"] or (
            f"http://{tandem['admin_listen']}" if tandem.get("admin_listen") else url.replace("ws", "http", 1)
        )
        origin = options["origin"] or default_origin(
            url, settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS, settings.DEBUG
        )
        target = Target(url, admin_url, origin, options["user"], options["timeout"])
        hops = asyncio.run(run_checks(target, lambda hop: self.stdout.write(hop.line())))
        failed = [hop.name for hop in hops if hop.ok is False]
        if failed:
            raise CommandError(f"tandem check failed at: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS("tandem check: every hop that ran answered"))
