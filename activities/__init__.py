"""Temporal activities: thin adapters from workflow steps to the unit of work and the domain."""
