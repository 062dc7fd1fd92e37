"""Reply parsing (tool calls and bash blocks), tool argument checks, truncation, secrets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbench.agent.loop import truncate
from agentbench.agent.parse import is_submission, parse_reply
from agentbench.agent.secrets import REDACTED, redact, sandbox_env, secret_values
from agentbench.agent.tools import Action, FormatError, edit_command, tool_specs
from agentbench.records import ModelResponse, ToolCall
from agentbench.scaffold import load_scaffold

REACT = load_scaffold("edit-tool")
BLOCK = load_scaffold("bash-block")


def tc(name: str, args: dict | str, i: int = 1) -> ToolCall:
    return ToolCall(id=f"c{i}", name=name, arguments=args)


def test_tool_calls_parse_in_order_with_per_call_errors() -> None:
    r = ModelResponse(
        tool_calls=[
            tc("bash", {"command": "ls"}, 1),
            tc("nope", {}, 2),
            tc("bash", "{not json", 3),
            tc("edit", {"command": "create", "path": "/a"}, 4),
            tc("submit", {}, 5),
        ]
    )
    items = parse_reply(REACT, r)
    assert isinstance(items[0], Action) and items[0].arguments == {"command": "ls"}
    assert isinstance(items[1], FormatError) and items[1].tool_call_id == "c2"
    assert "unknown tool" in str(items[1])
    assert isinstance(items[2], FormatError) and "not valid JSON" in str(items[2])
    assert isinstance(items[3], FormatError) and "file_text" in str(items[3])
    assert isinstance(items[4], Action) and items[4].tool == "submit"


def test_no_tool_call_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="called no tool") as ei:
        parse_reply(REACT, ModelResponse(text="I think I'm done"))
    assert ei.value.tool_call_id is None


def test_bash_block_exactly_one() -> None:
    a = parse_reply(BLOCK, ModelResponse(text="THOUGHT: x\n```bash\nls -la\n```\n"))
    assert a == [Action("bash", {"command": "ls -la"})]
    with pytest.raises(FormatError, match="found 0"):
        parse_reply(BLOCK, ModelResponse(text="no block"))
    with pytest.raises(FormatError, match="found 2"):
        parse_reply(BLOCK, ModelResponse(text="```bash\na\n```\n```bash\nb\n```"))


def test_submission_detection() -> None:
    act = Action("bash", {"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"})
    assert is_submission(BLOCK, act, "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n")
    assert not is_submission(BLOCK, act, "other\nCOMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n")
    assert is_submission(REACT, Action("submit"), None)
    assert not is_submission(REACT, act, "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT")


def test_tool_specs_have_schemas() -> None:
    specs = {s.name: s for s in tool_specs([("bash", None), ("edit", "custom"), ("submit", None)])}
    assert specs["bash"].parameters["required"] == ["command"]
    assert specs["edit"].description == "custom"
    assert "str_replace" in str(specs["edit"].parameters)


@given(st.text(max_size=300), st.integers(0, 50), st.integers(0, 50))
def test_truncate_keeps_head_and_tail(text: str, head: int, tail: int) -> None:
    out, elided = truncate(text, head, tail, "[{elided}]")
    if len(text) <= head + tail:
        assert out == text and elided == 0
    else:
        assert elided == len(text) - head - tail
        assert out.startswith(text[:head]) and out.endswith(text[len(text) - tail :])
        assert f"[{elided}]" in out


def test_secrets_found_by_name_and_redacted() -> None:
    env = {"OPENAI_API_KEY": "sk-abcdefghijkl", "PATH": "/usr/bin:/bin/long", "GH_TOKEN": "short"}
    s = secret_values(env)
    assert s == ("sk-abcdefghijkl",)  # PATH is not secret; 'short' is too short to redact
    assert redact("key=sk-abcdefghijkl!", s) == f"key={REDACTED}!"
    assert "OPENAI_API_KEY" not in sandbox_env({"OPENAI_API_KEY": "x", "TZ": "UTC", "FOO": "1"})
    assert sandbox_env({"TZ": "UTC", "FOO": "1"})["TZ"] == "UTC"
    assert "FOO" not in sandbox_env({"FOO": "1"})


def _run_edit(tmp_path: Path, **args: object) -> subprocess.CompletedProcess[str]:
    # The helper runs as a real shell command, exactly as it would in a sandbox.
    return subprocess.run(
        ["bash", "-c", edit_command(dict(args))], capture_output=True, text=True, cwd=tmp_path
    )


def test_edit_helper_create_view_replace_insert(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "calc.py"
    r = _run_edit(
        tmp_path, command="create", path=str(f), file_text="def add(a, b):\n    return a - b\n"
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert f.read_text() == "def add(a, b):\n    return a - b\n"
    assert _run_edit(tmp_path, command="create", path=str(f), file_text="x").returncode == 1
    r = _run_edit(tmp_path, command="view", path=str(f), view_range=[2, 2])
    assert r.stdout.strip() == "2\t    return a - b"
    r = _run_edit(tmp_path, command="str_replace", path=str(f), old_str="a - b", new_str="a + b")
    assert r.returncode == 0 and "a + b" in r.stdout
    assert "a + b" in f.read_text()
    r = _run_edit(tmp_path, command="str_replace", path=str(f), old_str="zzz", new_str="")
    assert r.returncode == 1 and "not found" in r.stdout
    r = _run_edit(tmp_path, command="insert", path=str(f), insert_line=0, new_str="# top")
    assert r.returncode == 0 and f.read_text().startswith("# top\ndef add")
    r = _run_edit(tmp_path, command="view", path=str(tmp_path))
    assert str(f) in r.stdout
    # text with quotes, $vars and the heredoc-looking lines survives the shell unchanged
    tricky = "a = '$HOME' \"`x`\"\nAGENTBENCH_EDIT_TOOL_EOF\n\\n\n"
    g = tmp_path / "t.txt"
    assert _run_edit(tmp_path, command="create", path=str(g), file_text=tricky).returncode == 0
    assert g.read_text() == tricky


def test_edit_helper_duplicate_old_str(tmp_path: Path) -> None:
    f = tmp_path / "d.txt"
    f.write_text("x\nx\n")
    r = _run_edit(tmp_path, command="str_replace", path=str(f), old_str="x", new_str="y")
    assert r.returncode == 1 and "2 times" in r.stdout
