"""``summarization alert-log``: an Alertmanager webhook receiver that logs each alert.

Alertmanager posts a notification (a group of alerts) to ``/<receiver>``; every alert in
it becomes one log line (``alert_received``) with the receiver, its status (firing or
resolved), name, severity, labels and summary. compose routes both receivers here so that
a new stack shows its alerts in ``docker compose logs alert-log``; point the receivers at
a paging or chat system for real use.
"""

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from shared.logging import get_logger

log = get_logger(__name__)

Notification = Mapping[str, Any]


def alert_lines(receiver: str, notification: Notification) -> list[dict[str, Any]]:
    """One record per alert of an Alertmanager webhook notification (version 4)."""
    lines = []
    for alert in notification.get("alerts", []):
        labels = dict(alert.get("labels", {}))
        annotations = alert.get("annotations", {})
        lines.append(
            {
                "receiver": receiver,
                "status": alert.get("status", notification.get("status", "")),
                "alertname": labels.pop("alertname", ""),
                "severity": labels.pop("severity", ""),
                "labels": labels,
                "summary": annotations.get("summary", ""),
                "runbook": annotations.get("runbook", ""),
                "starts_at": alert.get("startsAt", ""),
            }
        )
    return lines


class AlertLog:
    """The receiver's HTTP server; ``on_alert`` sees every record after it is logged."""

    def __init__(
        self,
        port: int,
        host: str = "0.0.0.0",
        on_alert: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.on_alert = on_alert
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def serve_forever(self) -> None:
        log.info("alert_log_listening", port=self.port)
        self._server.serve_forever()

    def start(self) -> "AlertLog":
        threading.Thread(target=self.serve_forever, name="alert-log", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver_log = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    notification = orjson.loads(self.rfile.read(length))
                except orjson.JSONDecodeError:
                    self._send(400)
                    return
                receiver = self.path.strip("/") or "default"
                for line in alert_lines(receiver, notification):
                    log.info("alert_received", **line)
                    if receiver_log.on_alert is not None:
                        receiver_log.on_alert(line)
                self._send(200)

            def _send(self, code: int) -> None:
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
