"""``summarization flower``: Celery's Flower on this project's Celery app, behind basic auth.

Flower 2 refuses its API to unauthenticated clients unless told otherwise, and its pages
show every task's arguments: this command always starts it with HTTP basic auth.
``FLOWER_BASIC_AUTH`` (``user:password``) chooses the credentials; without it a password
is generated for this run and printed once, except in production, where the command
refuses to start.
"""

import importlib.util
import os
import secrets
import sys

from services.cli.settings import FlowerSettings

CELERY_APP = "services.worker.entry"


def flower_command(extra: list[str]) -> list[str]:
    """The ``celery ... flower`` command line (extra arguments go to Flower)."""
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, "flower", *extra]


def start_flower(settings: FlowerSettings, extra: list[str]) -> int:
    """Replace this process with Flower; return an exit code only when it cannot start."""
    if importlib.util.find_spec("flower") is None:
        print(
            "Flower is not installed: pip install 'summarization-services[ops]'",
            file=sys.stderr,
        )
        return 2
    credentials = settings.flower_basic_auth
    if not credentials:
        if settings.environment == "production":
            print(
                "summarization flower: set FLOWER_BASIC_AUTH=user:password"
                " (no generated password in production)",
                file=sys.stderr,
            )
            return 2
        password = secrets.token_urlsafe(12)
        credentials = f"admin:{password}"
        print(
            f"Flower on http://{settings.flower_address}:{settings.flower_port}"
            f"  user: admin  password: {password}\n"
            "(generated for this run; set FLOWER_BASIC_AUTH=user:password to choose)",
            flush=True,
        )
    env = {
        **os.environ,
        # Flower reads these itself; set in the environment, not on the command line,
        # so that the password does not show in the process list
        "FLOWER_BASIC_AUTH": credentials,
        "FLOWER_ADDRESS": settings.flower_address,
        "FLOWER_PORT": str(settings.flower_port),
    }
    sys.stdout.flush()
    sys.stderr.flush()
    command = flower_command(extra)
    os.execve(command[0], command, env)
