"""Tool calls for the embedded SmolLM2 server: a llama-cpp-python chat handler (app.py runs
the server with it registered).

Why: SmolLM2-135M's chat template (ChatML) has no tool syntax, and llama-cpp-python's `chatml`
format drops `tools` and `role: tool` messages, so tool calls never came back. Its
`chatml-function-calling` format needs an explicit `tool_choice` (the OpenAI clients send none),
drops tool results from the prompt, ignores `seed` and `max_tokens` for calls, and picks
call-or-message greedily. This handler instead:

- describes the tools in the system turn and renders earlier calls and tool results in the
  prompt, in SmolLM2's documented tool syntax (that of its 1.7B sibling's function-calling
  tuning, which Ollama's smollm2 template also uses): calls as
  `<tool_call>[{"name": ..., "arguments": {...}}]</tool_call>` (here one per reply), tool
  results as user turns wrapped in `<tool_response>`;
- treats a missing `tool_choice` as "auto", as the OpenAI API does when tools are given;
- samples the whole reply with the request's temperature, seed and max_tokens under a grammar
  that allows either one call that fits a tool's JSON schema or a "message:" reply, so a call
  always parses; the model, not the server, picks which;
- answers requests without tools through the stock `chatml` handler, unchanged.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from agentbench.servers.embedded.backends import lib_dir

CHAT_FORMAT = "agentbench-chatml-tools"
_GRAMMAR_MODULE = "agentbench._llama_grammar"
CALL_OPEN, CALL_CLOSE = "<tool_call>[", "]</tool_call>"
MESSAGE_MARK = "message:\n"
_END = "<|im_end|>"

# sampling keywords the handler passes on to Llama.create_completion as the request gave them
_SAMPLING = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "typical_p",
    "seed",
    "max_tokens",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
    "tfs_z",
    "mirostat_mode",
    "mirostat_tau",
    "mirostat_eta",
    "model",
    "logits_processor",
    "logit_bias",
)


def _text(content: Any) -> str:
    """Message content as plain text (a string, None, or OpenAI content parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p, dict))


def _calls_text(tool_calls: list[dict[str, Any]]) -> str:
    """An assistant turn's calls in the prompt's syntax (arguments as objects or JSON strings)."""
    items = []
    for tc in tool_calls:
        arguments = tc["function"].get("arguments")
        if isinstance(arguments, str):
            # unparsable JSON is shown to the model as it sent it
            with contextlib.suppress(ValueError):
                arguments = json.loads(arguments or "{}")
        items.append(json.dumps({"name": tc["function"]["name"], "arguments": arguments}))
    return f"{CALL_OPEN}\n" + ",\n".join(items) + f"\n{CALL_CLOSE}"


def tools_prompt(tools: list[dict[str, Any]]) -> str:
    """The system-turn text that lists the tools and how to call one or reply in words."""
    lines = "\n".join(
        json.dumps(
            {
                "name": t["function"]["name"],
                "description": t["function"].get("description", ""),
                "parameters": t["function"].get("parameters") or {},
            }
        )
        for t in tools
    )
    return (
        f"You can call these tools:\n<tools>\n{lines}\n</tools>\n"
        "To call a tool, reply with a list holding its name and arguments as JSON, between tags:\n"
        f'{CALL_OPEN}\n{{"name": "<tool name>", "arguments": {{<arguments>}}}}\n{CALL_CLOSE}\n'
        "To reply in words instead, begin your reply with message: on its own line."
    )


def render_prompt(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
    """The ChatML prompt for a request with tools (no message dropped)."""
    system = "\n\n".join(_text(m.get("content")) for m in messages if m["role"] == "system")
    system = f"{system}\n\n{tools_prompt(tools)}" if system else tools_prompt(tools)
    out = [f"<|im_start|>system\n{system}{_END}\n"]
    for m in messages:
        role = m["role"]
        if role == "system":
            continue
        body = _text(m.get("content"))
        if role == "assistant":
            if calls := m.get("tool_calls"):
                body = f"{body}\n{_calls_text(calls)}" if body else _calls_text(calls)
            elif body:
                body = MESSAGE_MARK + body  # as the grammar had the model write it
        if role == "tool":
            role, body = "user", f"<tool_response>\n{body}\n</tool_response>"
        out.append(f"<|im_start|>{role}\n{body}{_END}\n")
    out.append("<|im_start|>assistant\n")
    return "".join(out)


def _call_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """JSON schema of one call object: the name of a tool and arguments fitting its schema."""
    alts = [
        {
            "type": "object",
            "properties": {
                "name": {"const": t["function"]["name"]},
                "arguments": t["function"].get("parameters") or {"type": "object"},
            },
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    return alts[0] if len(alts) == 1 else {"oneOf": alts}


def _grammar_module() -> ModuleType:
    """llama_cpp/llama_grammar.py loaded from its file, without the llama_cpp package.

    It is pure Python; importing it through the package would load libllama into the caller
    (the sweep or pytest process), and native code runs only in the server child.
    """
    if (cached := sys.modules.get(_GRAMMAR_MODULE)) is not None:
        return cached
    folder = lib_dir()
    spec = importlib.util.spec_from_file_location(
        _GRAMMAR_MODULE, folder.parent / "llama_grammar.py" if folder else "llama_grammar.py"
    )
    if folder is None or spec is None or spec.loader is None:
        raise ModuleNotFoundError("llama_cpp (the 'local' extra) is not installed")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_GRAMMAR_MODULE] = module  # dataclasses in it look their module up
    spec.loader.exec_module(module)
    return module


def tool_grammar(tools: list[dict[str, Any]], *, required: bool) -> str:
    """GBNF for a reply: one well-formed call, or (unless required) a "message:" reply."""
    conv = _grammar_module().SchemaConverter(
        prop_order={"name": 0, "arguments": 1}, allow_fetch=False, dotall=False, raw_pattern=False
    )
    conv.visit(conv.resolve_refs(_call_schema(tools), "tools"), "call-json")
    root = "root ::= call" if required else 'root ::= call | "message:\\n" message'
    rules = [
        root,
        f'call ::= "{CALL_OPEN}\\n" call-json "\\n{CALL_CLOSE}"',
        # any text: the turn ends at <|im_end|>, which the grammar allows once at an end
        "message ::= [^\\x00]*",
        conv.format_grammar(),
    ]
    return "\n".join(rules)


def parse_reply(text: str, tool_names: list[str]) -> tuple[str | None, list[dict[str, Any]]]:
    """(content, calls) of a generated reply; a call cut short stays text (nothing parses)."""
    body = text.strip()
    if body.startswith(CALL_OPEN) and body.endswith(CALL_CLOSE):
        inner = body[len(CALL_OPEN) : -len(CALL_CLOSE)]
        try:
            # the grammar's JSON strings admit raw control characters (a newline in a command)
            calls = json.loads(f"[{inner}]", strict=False)
        except ValueError:
            calls = None
        obj = calls[0] if isinstance(calls, list) and len(calls) == 1 else None
        if isinstance(obj, dict) and obj.get("name") in tool_names:
            return None, [{"name": obj["name"], "arguments": json.dumps(obj.get("arguments", {}))}]
    return text.removeprefix(MESSAGE_MARK), []


def _choose_tools(
    tools: list[dict[str, Any]], tool_choice: Any
) -> tuple[list[dict[str, Any]], bool]:
    """(tools the reply may call, whether it must call one) for an OpenAI tool_choice."""
    if isinstance(tool_choice, dict):
        name = tool_choice.get("function", {}).get("name")
        picked = [t for t in tools if t["function"]["name"] == name]
        if not picked:
            raise ValueError(f"tool_choice names {name!r}, which is not among the tools")
        return picked, True
    return tools, tool_choice == "required"


def _response(
    completion: dict[str, Any], content: str | None, calls: list[dict[str, Any]]
) -> dict[str, Any]:
    """An OpenAI chat.completion from a text completion and its parsed reply."""
    cid = str(completion["id"])
    finish = "tool_calls" if calls else completion["choices"][0]["finish_reason"]
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}_{cid.removeprefix('cmpl-')}",
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for i, c in enumerate(calls)
        ]
    return {
        "id": "chat" + cid,
        "object": "chat.completion",
        "created": completion["created"],
        "model": completion["model"],
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": completion["usage"],
    }


def _as_chunks(resp: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The finished response as stream chunks: one delta with everything, then the finish."""
    msg = resp["choices"][0]["message"]
    delta: dict[str, Any] = {"role": "assistant", "content": msg["content"]}
    if calls := msg.get("tool_calls"):
        delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(calls)]
    head = {
        "id": resp["id"],
        "object": "chat.completion.chunk",
        "created": resp["created"],
        "model": resp["model"],
    }
    yield {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    yield {
        **head,
        "choices": [
            {"index": 0, "delta": {}, "finish_reason": resp["choices"][0]["finish_reason"]}
        ],
        "usage": resp["usage"],
    }


def chat_handler(
    llama: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    tool_choice: Any = None,
    functions: list[dict[str, Any]] | None = None,
    function_call: Any = None,
    stream: bool = False,
    stop: str | list[str] | None = None,
    **kwargs: Any,
) -> Any:
    """llama-cpp-python chat handler: tool calls as above, plain chat through `chatml`."""
    from llama_cpp import llama_chat_format
    from llama_cpp.llama_grammar import LlamaGrammar

    if functions and not tools:  # the legacy form of the same request
        tools = [{"type": "function", "function": f} for f in functions]
        if isinstance(function_call, dict):
            tool_choice = {"type": "function", "function": {"name": function_call["name"]}}
        elif function_call is not None:
            tool_choice = function_call
    if not tools or tool_choice == "none":
        chatml = llama_chat_format.get_chat_completion_handler("chatml")
        return chatml(llama=llama, messages=messages, stream=stream, stop=stop, **kwargs)
    allowed, required = _choose_tools(tools, tool_choice)
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    completion = llama.create_completion(
        prompt=render_prompt(messages, tools),
        stop=[*stops, _END],
        stream=False,
        grammar=LlamaGrammar.from_string(
            tool_grammar(allowed, required=required), verbose=llama.verbose
        ),
        **{k: kwargs[k] for k in _SAMPLING if k in kwargs},
    )
    content, calls = parse_reply(
        completion["choices"][0]["text"], [t["function"]["name"] for t in allowed]
    )
    resp = _response(completion, content, calls)
    return _as_chunks(resp) if stream else resp


def register() -> None:
    """Register the handler under CHAT_FORMAT (in the server process)."""
    from llama_cpp import llama_chat_format

    llama_chat_format.register_chat_completion_handler(CHAT_FORMAT)(chat_handler)
