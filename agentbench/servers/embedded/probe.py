"""Child-process checks of the llama.cpp build: `python -m agentbench.servers.embedded.probe ...`.

llama.cpp is native code: a build that does not fit the CPU dies of SIGILL, so every use of it
outside the model server runs here, in a process of its own (set-up's fitness check, the
grammar test, the portability test under qemu), and the caller reads the exit status.

  probe [--generate N]   load the CPU backend (and the model, generating N tokens); print JSON
  grammar                read a GBNF grammar on stdin; exit 0 if llama.cpp accepts it, else 3
"""

from __future__ import annotations

import argparse
import json
import sys

from agentbench.servers.embedded.backends import load_cpu_backends


def probe(generate: int) -> dict[str, object]:
    """Load the backend and optionally run the embedded model for `generate` tokens."""
    out: dict[str, object] = {"variant": load_cpu_backends()}
    if generate > 0:
        import llama_cpp

        from agentbench.servers.embedded.process import find_gguf

        model = llama_cpp.Llama(str(find_gguf()), n_ctx=256, n_threads=1, verbose=False, seed=0)
        reply = model.create_completion("1, 2, 3,", max_tokens=generate, temperature=0.0)
        out["text"] = reply["choices"][0]["text"]
        model.close()
    return out


def grammar_ok(grammar: str) -> bool:
    """Whether llama.cpp parses `grammar` (loads the embedded model's vocabulary only)."""
    load_cpu_backends()
    import llama_cpp

    from agentbench.servers.embedded.process import find_gguf

    model = llama_cpp.Llama(str(find_gguf()), vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(model.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    if sampler:  # NULL when it does not parse
        llama_cpp.llama_sampler_free(sampler)
    model.close()
    return bool(sampler)


def main(argv: list[str] | None = None) -> int:
    """Run one check; the exit status is the answer."""
    parser = argparse.ArgumentParser(prog="python -m agentbench.servers.embedded.probe")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--generate", type=int, default=0)
    sub.add_parser("grammar")
    args = parser.parse_args(argv)
    if args.cmd == "probe":
        print(json.dumps(probe(args.generate)))
        return 0
    return 0 if grammar_ok(sys.stdin.read()) else 3


if __name__ == "__main__":
    sys.exit(main())
