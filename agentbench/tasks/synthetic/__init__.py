"""Synthetic optimizer task (METHODS.md §2d): transformers trained to emulate steepest descent.

torch is an optional extra (`agentbench[synth]`); only this package imports it, lazily.
The modules tokenizer, data, model, train and rollout need only torch (and the package's
errors module), so `bench/synth_gpu.py` runs on a machine with nothing else installed.
"""
