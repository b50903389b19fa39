"""TLS to Redis (``rediss://``): one set of settings, applied to every client the same way.

Each library has its own idea of a ``rediss://`` URL without options: redis-py verifies
against the system's CAs, kombu (Celery's broker) silently turns verification off, and
Celery's result backend refuses to start. So the options never come from the URL: the
``REDIS_TLS_*`` settings make them, and each client gets them in its own form.
"""

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


def uses_tls(url: str) -> bool:
    return urlsplit(url).scheme == "rediss"


@dataclass(frozen=True, slots=True)
class RedisTls:
    verify: bool = True
    """Check the server's certificate (against ``ca_file``, else the system's CAs) and
    that it names the host of the URL."""
    ca_file: str = ""
    cert_file: str = ""
    """With ``key_file``: this client's certificate, for a server that asks for one."""
    key_file: str = ""

    def client_options(self, url: str) -> dict[str, Any]:
        """redis-py connection options for ``url`` (none unless it is ``rediss://``)."""
        if not uses_tls(url):
            return {}
        options: dict[str, Any] = {
            "ssl_cert_reqs": "required" if self.verify else "none",
            "ssl_check_hostname": self.verify,
        }
        if self.ca_file:
            options["ssl_ca_certs"] = self.ca_file
        if self.cert_file:
            options["ssl_certfile"] = self.cert_file
            options["ssl_keyfile"] = self.key_file
        return options

    def celery_options(self, url: str) -> dict[str, Any] | None:
        """Celery's ``broker_use_ssl`` / ``redis_backend_use_ssl`` for ``url``."""
        if not uses_tls(url):
            return None
        options = self.client_options(url)
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED if self.verify else ssl.CERT_NONE
        return options

    def context(self) -> ssl.SSLContext:
        """An SSL context with these settings (FastStream takes one)."""
        context = ssl.create_default_context(cafile=self.ca_file or None)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.cert_file:
            context.load_cert_chain(self.cert_file, self.key_file)
        return context


SYSTEM_CAS = RedisTls()
"""Verify against the system's CAs: what a client gets when nobody says otherwise."""
