"""Seed synthesis: industrial scenarios and curated code become verified tasks, QA pairs and variants.

Steps (DESIGN.md, "seed synthesis"): scenario catalog and curated sources -> drafts -> seed code by a
policy (deterministic templates by default) -> near-duplicate removal -> verification on the real
backends -> QA pairs checked by execution. `pipeline.synthesize` runs them; `flows/synthesis.py`
schedules it.
"""
