"""SystemConfig hashing: what changes behaviour changes the sample keys, nothing else does."""

from __future__ import annotations

import shutil
from pathlib import Path

from agentbench.config import ModelConfig, SystemConfig
from agentbench.scaffold import SCAFFOLDS_DIR


def _system(scaffold: str, **kw) -> SystemConfig:
    return SystemConfig(
        name=kw.pop("name", "s"),
        model=ModelConfig(provider="scripted", name="m", **kw),
        scaffold=scaffold,
    )


def test_name_serving_and_cache_do_not_change_the_hash() -> None:
    a = _system("bash-react")
    b = _system(
        "bash-react",
        name="renamed",
        base_url="http://127.0.0.1:1",
        cache=True,
        extra={"client": "lean", "stream": True},
    )
    assert a.config_hash() == b.config_hash()
    assert a.config_hash() != _system("bash-react", temperature=0.5).config_hash()
    assert a.config_hash() != _system("bash-block").config_hash()


def test_editing_a_scaffold_file_changes_the_hash(tmp_path: Path) -> None:
    shutil.copytree(SCAFFOLDS_DIR, tmp_path / "scaffolds")
    path = tmp_path / "scaffolds" / "bash-react.yaml"
    before = _system(str(path)).config_hash()
    assert _system(str(path)).config_hash() == before  # stable
    path.write_text(path.read_text() + "\n# comment only\n")
    assert _system(str(path)).config_hash() == before  # a comment is not behaviour
    template = tmp_path / "scaffolds" / "templates" / "swe_task.j2"
    template.write_text(template.read_text() + "\nAlways run the tests first.\n")
    assert _system(str(path)).config_hash() != before  # a template is
    overridden = _system(str(path)).model_copy(
        update={"scaffold_overrides": {"truncation": {"head_chars": 7}}}
    )
    assert overridden.config_hash() != before


def test_a_scaffold_name_without_a_file_still_hashes() -> None:
    # Systems imported from other tools name a scaffold that is not a file here.
    h = _system("mini-swe-agent-imported").config_hash()
    assert h == _system("mini-swe-agent-imported").config_hash()


def test_hash_values_are_those_of_before_the_cache() -> None:
    """Pinned: computed on main before the digest was cached (sample keys must not move)."""
    from agentbench.sweep.spec import load_spec

    s = SystemConfig(
        name="a",
        model=ModelConfig(provider="openai", name="gpt-4o-mini", temperature=1.0),
        scaffold="bash-react",
        limits={"max_steps": 30},
    )
    assert s.config_hash() == "382f03ce5ead1acb"
    missing = SystemConfig(
        name="a",
        model=ModelConfig(provider="openai", name="gpt-4o-mini"),
        scaffold="no-such-scaffold",
    )
    assert missing.config_hash() == "51f4c144e466357d"
    spec = load_spec("example")
    assert [x.config_hash() for x in spec.systems] == ["382f03ce5ead1acb", "e0f07581ac8ddf90"]


def test_the_scaffold_is_read_once_when_the_spec_loads(tmp_path: Path) -> None:
    from agentbench.sweep.spec import SweepSpec

    shutil.copytree(SCAFFOLDS_DIR, tmp_path / "scaffolds")
    path = tmp_path / "scaffolds" / "bash-react.yaml"
    spec = SweepSpec(name="n", tasks=[{"kind": "mc"}], systems=[_system(str(path))])
    before = spec.systems[0].config_hash()
    template = tmp_path / "scaffolds" / "templates" / "swe_task.j2"
    template.write_text(template.read_text() + "\nAlways run the tests first.\n")
    # the loaded spec keeps the digest it read; a new load reads the edited file
    assert spec.systems[0].config_hash() == before
    assert _system(str(path)).config_hash() != before
    # a copy with other overrides reads its own digest, not the cached one
    copy = spec.systems[0].model_copy(
        update={"scaffold_overrides": {"truncation": {"head_chars": 7}}}
    )
    assert copy.config_hash() not in (before, _system(str(path)).config_hash())
