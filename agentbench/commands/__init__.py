"""agentbench.commands."""
