"""Delivering notices out of the outbox: the port the dispatcher sends through (mail.py) and its SMTP adapter."""
