"""The API's connection to Temporal: made on first use and kept, so the service starts (and /healthz answers) while
Temporal is still coming up, and a step then says plainly that Temporal cannot be reached."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

import temporal_client
from settings import TemporalSettings
from web.problems import Problem


class TemporalGateway:
    def __init__(self, settings: TemporalSettings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await temporal_client.connect(self._settings)
                except RuntimeError:
                    raise Problem(
                        503,
                        f"Temporal tidak dapat dihubungi di {self._settings.address}; tidak ada yang tercatat. Coba"
                        " lagi sebentar lagi, atau minta operator memeriksa layanan Temporal",
                    ) from None
            return self._client
