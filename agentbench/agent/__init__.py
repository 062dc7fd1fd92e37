"""The agent loop, scaffold configs, replay and fork.

Entry points: `agentbench.agent.loop.arun_agent`, `agentbench.scaffold.load_scaffold`,
`agentbench.agent.replay.replay_actions` / `fork`.
"""
