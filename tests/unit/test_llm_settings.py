"""LLM settings, prompt files and building the engine from settings."""

import pytest
from pydantic import ValidationError

from contracts.types import Mode
from services.worker.settings import WorkerSettings
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.llm import LLMSummarizer, prompts
from services.worker.summarizer.llm.chunking import Budget
from services.worker.summarizer.llm.client import ChatClient
from services.worker.summarizer.llm.engine import TEMPLATES
from services.worker.summarizer.registry import build_summarizer

KEY = "sk-test-settings-0123456789"


def _settings(**values: object) -> WorkerSettings:
    base: dict[str, object] = {
        "summarizer_engine": "llm",
        "llm_base_url": "http://127.0.0.1:9/v1",
        "llm_model": "test-model",
    }
    return WorkerSettings(**{**base, **values})  # type: ignore[arg-type]


def test_llm_engine_needs_a_url_and_a_model() -> None:
    with pytest.raises(ValidationError, match="LLM_BASE_URL must be an http"):
        _settings(llm_base_url="")
    with pytest.raises(ValidationError, match="LLM_MODEL is required"):
        _settings(llm_model=" ")
    assert WorkerSettings(summarizer_engine="extractive").llm_base_url == ""


def test_context_must_hold_several_answers() -> None:
    with pytest.raises(ValidationError, match="LLM_CONTEXT_TOKENS must be at least 4 x"):
        _settings(llm_context_tokens=2048, llm_max_output_tokens=1024)


def test_the_key_is_a_secret() -> None:
    settings = _settings(llm_api_key=KEY)
    assert KEY not in repr(settings)
    assert KEY not in str(settings.model_dump())
    assert settings.llm_api_key is not None
    assert settings.llm_api_key.get_secret_value() == KEY


def test_engine_from_settings_names_the_model_and_the_fallback() -> None:
    engine = LLMSummarizer.from_settings(_settings(summarizer_fallback="extractive"))
    assert (engine.name, engine.version) == ("llm", "2.0+test-model")
    assert isinstance(engine.fallback, ExtractiveSummarizer)
    assert LLMSummarizer.from_settings(_settings()).fallback is None


def test_the_registry_builds_the_llm_engine_from_the_settings() -> None:
    engine = build_summarizer("llm", _settings(llm_json_mode=False, llm_timeout_seconds=7))
    assert isinstance(engine, LLMSummarizer)
    assert engine.client.url == "http://127.0.0.1:9/v1/chat/completions"
    assert engine.budget == Budget(8192, 1024)


def test_a_budget_too_small_for_the_prompts_fails_at_start_up() -> None:
    client = ChatClient("http://127.0.0.1:9/v1", "m")
    with pytest.raises(ValueError, match="LLM_CONTEXT_TOKENS is too small"):
        LLMSummarizer(client, Budget(context_tokens=1024, max_output_tokens=256))


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_loads_and_takes_its_data(name: str) -> None:
    values = {"guidance": "G", "mode_name": "interview", "part": 1, "parts": 2, "count": 3}
    text = prompts.render(name, data="<<DATA>>", **values)
    assert "<<DATA>>" in text
    assert "$" not in text
    assert "JSON" in text


def test_every_mode_has_guidance_and_a_system_prompt_exists() -> None:
    assert all(prompts.guidance(mode) for mode in Mode)
    assert "JSON" in prompts.text("system")
    assert "could not be used (boom)" in prompts.retry_note("boom")
