"""Lookaloud's speed benchmark: ``python -m benchmarks --json``.

Randomly initialised models with the real architectures and sizes (BLIP-base, Qwen3-0.6B) are
built once into a cache folder, then a screenshot-like picture is described along two paths —
the seed tutorials' way (baseline) and Lookaloud's real pipeline (product) — each in its own
process, three times; medians, their ratios and the machine's load are reported.
"""
