"""A scripted model server for tests and benchmarks: real HTTP, scripted replies, faults."""

from agentbench.models.scripted.plans import SUBMIT, bash_reply, replies_by_seed
from agentbench.models.scripted.script import Rule, Script, ScriptResponder, load_script
from agentbench.models.scripted.server import Responder, ScriptedServer
from agentbench.models.scripted.types import Fault, FaultKind, Reply, ScriptedCall

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
