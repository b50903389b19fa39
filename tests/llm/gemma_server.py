"""llama-cpp-python's chat-completions server with Gemma 3's chat template.

The GGUF of the model package carries no chat template, and the server's own ``gemma``
format drops the system message; Gemma 3's template puts the system message at the start
of the first user turn, which this format does. Run as the server's own command:
``python -m tests.llm.gemma_server --model <gguf> --chat_format gemma3 --port <port> ...``.
"""

from typing import Any

from llama_cpp import llama_chat_format as formats
from llama_cpp.server.__main__ import main

TURN = "<start_of_turn>{role}\n{text}<end_of_turn>\n"


@formats.register_chat_format("gemma3")
def gemma3(messages: list[dict[str, Any]], **_: Any) -> formats.ChatFormatterResponse:
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    turns = [m for m in messages if m["role"] != "system"]
    prompt = ""
    for i, message in enumerate(turns):
        text = message["content"] or ""
        if i == 0 and system:
            text = f"{system}\n\n{text}"
        role = "model" if message["role"] == "assistant" else "user"
        prompt += TURN.format(role=role, text=text)
    return formats.ChatFormatterResponse(
        prompt=prompt + "<start_of_turn>model\n", stop="<end_of_turn>"
    )


if __name__ == "__main__":
    main()
