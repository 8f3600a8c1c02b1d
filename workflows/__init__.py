"""Temporal workflows: orchestration only; the rules live in `domain`."""
