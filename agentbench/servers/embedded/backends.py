"""Load llama.cpp's CPU backend variant for this CPU (call in the child that runs llama.cpp).

Our llama-cpp-python is built with GGML_BACKEND_DL (scripts/build-llama.sh): each CPU variant
is a separate library in llama_cpp/lib, and ggml picks the best one the running CPU supports.
llama-cpp-python never asks ggml to load them (it looks beside the Python executable only), so
the child process does it before the first model load.
"""

from __future__ import annotations

import ctypes
import importlib.util
import re
from pathlib import Path

_VARIANT = re.compile(r"libggml-cpu-([A-Za-z0-9_]+)\.so")


def lib_dir() -> Path | None:
    """llama_cpp/lib of the installed package, found without importing it (None: not installed)."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        if (Path(folder) / "lib").is_dir():
            return Path(folder) / "lib"
    return None


def load_cpu_backends() -> str | None:
    """Register the best CPU variant for this CPU; its name ("haswell"), None for a plain build."""
    folder = lib_dir()
    if folder is None or not any(folder.glob("libggml-cpu-*.so")):
        return None  # a build with the CPU backend linked in: nothing to load
    ggml = ctypes.CDLL(str(folder / "libggml.so"))
    ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load_all_from_path(str(folder).encode())
    return loaded_variant()


def loaded_variant() -> str | None:
    """The CPU variant library mapped into this process, if any."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    found = _VARIANT.search(maps)
    return found.group(1) if found else None
