"""Multiple-choice and safety evals (GPQA, MMLU, Model-Written Evals, a bundled procedural set).

`MCTask.from_spec(spec)` is the registry's factory for kind "mc" (keys: MCTaskSpec; example:
sweeps/mc.yaml). One sample = one unroll = one model call:

- seeds are the sample keys: seed s uses few-shot context s mod C, sample ⌊s/C⌋ in it, and an
  option order derived from (question, s) when `shuffle` is on; answers are mapped back to the
  question's own options before they are stored (unroll.py);
- the reply becomes a distribution over options (letter → one-hot, stated probabilities, or
  <answer> tags for safety evals); unparsable → uniform with `parsed=False` (extract.py);
- open-ended form (`format: open`): options removed, the answer embedded (embeddings.py);
- storage: no trajectory file per sample; the store row holds outcome (with the reply text),
  usage and length (reasoning tokens, else output tokens); the prompt is rebuilt from the
  spec and the seed (`MCTask.prompt`, `agentbench mc prompt`).
"""

from agentbench.tasks.mc.datasets import DatasetSpec, load_questions
from agentbench.tasks.mc.embeddings import EmbeddingSpec, make_embedder
from agentbench.tasks.mc.questions import LETTERS, MCQuestion
from agentbench.tasks.mc.task import MCTask, MCTaskSpec, parse_spec

__all__ = [
    "LETTERS",
    "DatasetSpec",
    "EmbeddingSpec",
    "MCQuestion",
    "MCTask",
    "MCTaskSpec",
    "load_questions",
    "make_embedder",
    "parse_spec",
]
