"""The README documents every environment variable the services read."""

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from services.cli.settings import FlowerSettings, RunSettings
from services.dispatcher.settings import DispatcherSettings
from services.gateway.settings import GatewaySettings
from services.projector.settings import ProjectorSettings
from services.worker.settings import WorkerSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize(
    "settings",
    [
        GatewaySettings,
        DispatcherSettings,
        WorkerSettings,
        ProjectorSettings,
        RunSettings,
        FlowerSettings,
    ],
)
def test_every_setting_is_documented(settings: type[BaseSettings]) -> None:
    missing = [n.upper() for n in settings.model_fields if f"`{n.upper()}`" not in README]
    assert missing == [], f"document these in README.md's Configuration: {missing}"
