"""ManifestStaticFilesStorage that also rewrites ES module imports (`import ... from "./x.js"`)
to the hashed names, so the client's modules are cache-busted like every other file."""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(ManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
