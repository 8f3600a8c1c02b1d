"""Application services: use cases that combine the domain rules with a unit of work."""
