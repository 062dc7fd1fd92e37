"""A scripted model server for tests and benchmarks: real HTTP, scripted replies, faults."""

from agentbench.servers.scripted.plans import SUBMIT, bash_reply, replies_by_seed
from agentbench.servers.scripted.script import Rule, Script, ScriptResponder, load_script
from agentbench.servers.scripted.server import Responder, ScriptedServer
from agentbench.servers.scripted.types import Fault, FaultKind, Reply, ScriptedCall

__all__ = [
    "SUBMIT",
    "Fault",
    "FaultKind",
    "Reply",
    "Responder",
    "Rule",
    "Script",
    "ScriptResponder",
    "ScriptedCall",
    "ScriptedServer",
    "bash_reply",
    "load_script",
    "replies_by_seed",
]
