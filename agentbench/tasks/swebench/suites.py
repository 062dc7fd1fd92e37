"""Bundled task suites: a suite.yaml, instances.jsonl and each repository's history as patches."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentbench.errors import ConfigError, DataError
from agentbench.records import first_problem
from agentbench.safeyaml import read_yaml

SUITES_DIR = Path(__file__).parent / "suites"


class RepoSpec(BaseModel):
    """How one suite repository is rebuilt and tested."""

    model_config = ConfigDict(extra="forbid")

    history: str  # folder (relative to the suite) holding the `git format-patch` series
    test_cmd: str
    log_parser: str = "pytest"
    env_setup: list[str] = Field(default_factory=list)


class SuiteConfig(BaseModel):
    """suite.yaml of a bundled suite."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    repos: dict[str, RepoSpec]


class Suite:
    """A suite on disk: its config, folder and instances file."""

    def __init__(self, root: Path, config: SuiteConfig) -> None:
        self.root = root
        self.config = config

    @property
    def name(self) -> str:
        """The suite's name."""
        return self.config.name

    @property
    def instances_path(self) -> Path:
        """instances.jsonl of the suite."""
        return self.root / "instances.jsonl"

    def repo_key(self, repo: str) -> str:
        """The suite.yaml key for an instance's `repo` ("<suite>/<repo>" or "<repo>")."""
        key = repo.split("/", 1)[1] if "/" in repo else repo
        if key not in self.config.repos:
            raise DataError(
                f"repo {repo!r} is not listed under repos:",
                path=str(self.root / "suite.yaml"),
                field="repos",
                fix=f"add it or use one of {sorted(self.config.repos)}",
            )
        return key

    def repo_spec(self, repo: str) -> RepoSpec:
        """The RepoSpec of an instance's repo."""
        return self.config.repos[self.repo_key(repo)]

    def history_patches(self, repo: str) -> list[Path]:
        """The repository's history as an ordered list of patch files."""
        spec = self.repo_spec(repo)
        folder = self.root / spec.history
        patches = sorted(folder.glob("*.patch"))
        if not patches:
            raise DataError(
                "no *.patch files in the history folder",
                path=str(folder),
                fix="write the history with `git format-patch --root`",
            )
        return patches


def find_suite(name_or_path: str) -> Suite | None:
    """A bundled suite by name, or a suite folder / suite.yaml by path; None if neither."""
    candidates = [SUITES_DIR / name_or_path, Path(name_or_path)]
    for c in candidates:
        yml = c / "suite.yaml" if c.is_dir() else c
        if yml.name == "suite.yaml" and yml.is_file():
            return load_suite(yml)
    return None


def bundled_suites() -> list[str]:
    """Names of the suites shipped with agentbench."""
    if not SUITES_DIR.is_dir():
        return []
    return sorted(p.name for p in SUITES_DIR.iterdir() if (p / "suite.yaml").is_file())


def load_suite(yml: Path) -> Suite:
    """Parse a suite.yaml; a bad one raises ConfigError naming the field."""
    raw = read_yaml(yml, what="suite", fix="see agentbench/tasks/swebench/suites/agentbench-mini")
    try:
        cfg = SuiteConfig.model_validate(raw)
    except ValidationError as exc:
        loc, msg, _ = first_problem(exc)
        raise ConfigError(
            msg,
            path=str(yml),
            field=loc or None,
            fix="suite.yaml keys: name, description, repos.<repo>.{history, test_cmd, log_parser, env_setup}",
        ) from None
    return Suite(yml.parent, cfg)
