"""Patch a llama-cpp-python source tree to build a small set of x86 CPU variants.

Why runtime dispatch (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS) rather than flags read from the
CPU at install time: a venv or wheel cache is often made on one machine and used on another
(CI images, copied venvs, cluster nodes), and ggml then picks the best variant the running CPU
supports at load time. Upstream builds 14 x86 variants; we keep three (baseline x64, AVX2
"haswell", AVX-512 "skylakex") to keep the build near the old single-variant time, and leave
out every AMX variant: VMs report AMX in cpuid without enabling it, which is the SIGILL that
made native detection unusable here. The variant libraries are installed beside libggml.so
(llama-cpp-python only installs the targets it names).

Usage: python scripts/llama_cpu_variants.py SRC_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

VARIANTS = {
    "x64": "",
    "haswell": "SSE42 AVX F16C FMA AVX2 BMI2",
    "skylakex": "SSE42 AVX F16C FMA AVX2 BMI2 AVX512",
}


def patch_variants(text: str) -> str:
    """Replace ggml's x86 variant list with VARIANTS."""
    start = text.index(
        'if (GGML_SYSTEM_ARCH STREQUAL "x86")\n        ggml_add_cpu_backend_variant('
    )
    end = text.index('elseif(GGML_SYSTEM_ARCH STREQUAL "ARM")', start)
    body = "".join(
        f"        ggml_add_cpu_backend_variant({name} {feats})\n".replace(" )", ")")
        for name, feats in VARIANTS.items()
    )
    return text[:start] + 'if (GGML_SYSTEM_ARCH STREQUAL "x86")\n' + body + "    " + text[end:]


def patch_install(text: str) -> str:
    """Install each variant library next to libggml.so, where we load it from."""
    anchor = "    llama_cpp_python_install_target(ggml-cpu)\n"
    if anchor not in text:
        raise SystemExit("llama_cpu_variants: install list not found in CMakeLists.txt")
    extra = "".join(f"    llama_cpp_python_install_target(ggml-cpu-{n})\n" for n in VARIANTS)
    return text.replace(anchor, anchor + extra, 1)


def main(src: Path) -> None:
    """Patch SRC in place (idempotent)."""
    ggml = src / "vendor/llama.cpp/ggml/src/CMakeLists.txt"
    top = src / "CMakeLists.txt"
    text = ggml.read_text()
    if not re.search(r"ggml_add_cpu_backend_variant\(sapphirerapids", text) and "skylakex" in text:
        return  # already patched
    ggml.write_text(patch_variants(text))
    top.write_text(patch_install(top.read_text()))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
