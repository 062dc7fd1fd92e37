"""The run store: the only code of agentbench that speaks SQL (schema, writer, queries, export)."""
