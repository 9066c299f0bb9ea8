"""The example site's settings inside deploy/compose.yaml: behind nginx on one origin, static
files collected for nginx, hosts and secrets from the environment."""

from __future__ import annotations

import os

from chatsite.settings import *  # the example's settings, extended below
from chatsite.settings import TANDEM

DEBUG = False
SECRET_KEY = os.environ["CHATSITE_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("CHATSITE_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
CSRF_TRUSTED_ORIGINS = [f"http://{host}:8080" for host in ALLOWED_HOSTS]
STATIC_ROOT = "/app/static-collected"
# Pages connect to their own origin; nginx routes /ws/ to the sidecars.
TANDEM.pop("public_url", None)
