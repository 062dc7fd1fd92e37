"""Multiple-choice and safety evals (GPQA, MMLU, Model-Written Evals, a bundled procedural set).

`make_task(spec)` is the registry's factory for kind "mc" (see MCTaskSpec for the keys).
"""

from agentbench.tasks.mc.datasets import DatasetSpec, load_questions
from agentbench.tasks.mc.embeddings import EmbeddingSpec, make_embedder
from agentbench.tasks.mc.questions import LETTERS, MCQuestion
from agentbench.tasks.mc.task import MCTask, MCTaskSpec, make_task, parse_spec

__all__ = [
    "LETTERS",
    "DatasetSpec",
    "EmbeddingSpec",
    "MCQuestion",
    "MCTask",
    "MCTaskSpec",
    "load_questions",
    "make_embedder",
    "make_task",
    "parse_spec",
]
