"""graphlink: account-linking graph analytics for coordinated-abuse rings."""

from graphlink.config import Settings, get_settings
from graphlink.errors import GraphlinkError, IngestError, NotFound, StoreError, StoreUnavailable
from graphlink.store import GraphStore, open_store

__all__ = [
    "GraphStore",
    "GraphlinkError",
    "IngestError",
    "NotFound",
    "Settings",
    "StoreError",
    "StoreUnavailable",
    "get_settings",
    "open_store",
]
__version__ = "0.1.0"
