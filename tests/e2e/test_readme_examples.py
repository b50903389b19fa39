"""The README's curl examples run verbatim against a running stack (host and port aside)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from services.cli.demo import load_demo
from tests.stack import Stack, wait_for

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"


def curl_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
    commands = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        commands += [
            line.split("  #")[0] for line in joined.splitlines() if line.startswith("curl")
        ]
    return commands


def run(command: str, stack: Stack) -> str:
    command = command.replace("http://127.0.0.1:8000", stack.url).replace("curl -s", "curl -sf", 1)
    env = {**os.environ, "SUMMARIZATION_API_KEY": stack.api_key}  # as `make run` prints it
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, env=env
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_readme_curl_examples_work(stack: Stack) -> None:
    load_demo(stack.url, stack.api_key)  # what `make run` does before printing its URL
    commands = curl_commands()
    assert len(commands) >= 7
    posts = [c for c in commands if "-X POST" in c]
    gets = [c for c in commands if "-X POST" not in c]
    task_ids = []
    for command in posts:
        body = json.loads(run(command, stack))
        if "task_id" in body:
            task_ids.append(body["task_id"])
    assert len(task_ids) == 2

    auth = '-H "Authorization: Bearer $SUMMARIZATION_API_KEY"'

    def finished() -> bool:
        statuses = [
            json.loads(run(f"curl -s {auth} {stack.url}/summarization/task-status/{t}", stack))[
                "status"
            ]
            for t in task_ids
        ]
        return all(s == "SUCCESS" for s in statuses)

    wait_for(finished, 30, "the README's tasks to succeed", every=0.2)
    for command in gets:
        out = run(command.replace("<task_id>", task_ids[0]), stack)
        if command.rstrip().endswith("/events"):
            # a finished task's event stream: its status, then the end (curl returns)
            data = [json.loads(line[5:]) for line in out.splitlines() if line.startswith("data:")]
            assert [event["status"] for event in data] == ["SUCCESS"], out
