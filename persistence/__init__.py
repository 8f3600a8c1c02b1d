"""Persistence adapters: SQLAlchemy engines, the schema, repositories and the unit of work.

The domain never imports this package; activities and the composition root (worker.py) do. See `ports` for the
protocols a fake must satisfy, `uow.SqlAlchemyUnitOfWork` for the real thing and `db` for engines and migrations.
"""
