"""One router per resource; each route states who may call it (web.access)."""
