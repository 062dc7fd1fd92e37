"""Resource limits applied to every sandbox container."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_MEMORY = re.compile(r"^\d+(\.\d+)?[bkmg]?$", re.IGNORECASE)


class SandboxLimits(BaseModel):
    """Memory, CPU, process and output caps; capabilities are always dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    memory: str = "2g"  # Docker notation; swap is disabled (memswap = memory)
    cpus: float = Field(default=1.0, gt=0)
    pids: int = Field(default=256, ge=16)  # the shell needs a few of its own
    output_bytes: int = Field(default=64 * 1024, ge=1024)  # kept per command: head + tail
    # Files larger than this are left out of diff(): git would hold each whole in memory
    # (several copies), and no fix needs one; they are listed in DockerSandbox.diff_omitted.
    diff_file_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    # A whole patch larger than this is not fetched: diff() raises PatchTooLarge instead.
    diff_total_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)

    @field_validator("memory")
    @classmethod
    def _memory_format(cls, value: str) -> str:
        if not _MEMORY.match(value.strip()):
            raise ValueError("memory must look like 512m or 2g")
        return value.strip().lower()

    def memory_bytes(self) -> int:
        """The memory limit in bytes."""
        units = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
        text = self.memory
        unit = units.get(text[-1], 1)
        number = text[:-1] if text[-1] in units else text
        return int(float(number) * unit)
