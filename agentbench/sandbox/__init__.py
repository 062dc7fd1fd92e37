"""Docker sandboxes for agents and graders.

- `images`: content-hashed layers (base from debootstrap offline or a registry image,
  then environment and instance layers via `build_layer`).
- `docker.DockerSandbox`: a locked-down container (caps dropped, no network, pid/memory/cpu
  limits, labelled with its owner) whose main process is a small bash supervisor feeding one
  persistent interactive bash: sub-millisecond commands, Ctrl-C style timeouts, capped output.
- `reaper`, `cleanup`: containers never outlive their owner (stdin EOF, atexit, signals, reap).

Imports nothing from models or tasks.
"""
