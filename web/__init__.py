"""The HTTP service: the JSON API under /api/v1 (and, on it, the pages), the only path by which people act."""
