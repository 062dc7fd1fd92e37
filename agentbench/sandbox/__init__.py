"""agentbench.sandbox."""
