"""A scripted model server for tests and benchmarks: real HTTP, scripted replies, faults."""

from agentbench.servers.scripted.script import Rule, Script, ScriptResponder, load_script
from agentbench.servers.scripted.server import Responder, ScriptedServer
from agentbench.servers.scripted.types import Fault, FaultKind, Reply, ScriptedCall

__all__ = [
    "Fault",
    "FaultKind",
    "Reply",
    "Responder",
    "Rule",
    "Script",
    "ScriptResponder",
    "ScriptedCall",
    "ScriptedServer",
    "load_script",
]
