"""The parts of one shard's pipeline (see `consumers/pipeline.py`, the orchestrator)."""
