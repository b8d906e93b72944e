"""Requests from another loopback address than 127.0.0.1 (Linux routes all of 127.0.0.0/8 to
the loopback interface), to be a different client address for IP access lists."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class SourceAddress(HTTPAdapter):
    """Connects from the local address `source` (e.g. 127.0.0.2)."""

    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(source: str) -> requests.Session:
    """A requests session whose connections come from `source`."""
    s = requests.Session()
    s.mount("http://", SourceAddress(source))
    return s
