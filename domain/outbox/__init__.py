"""One outbox for every relay (alerts, emergency cards, equipment notices, pre-class briefs, nurse requests,
SharePoint sync notices): claim due rows with a lease (``table.py``), send at most once through the Redis send
journal (``journal.py``), record the outcome, retry with backoff (``relay.py``)."""

from domain.outbox.journal import SendJournal, journal_for
from domain.outbox.recipients import load_target, store_reference
from domain.outbox.relay import Outbox
from domain.outbox.table import OutboxTable
from domain.outbox.types import (
    DEFAULT_CONFIG,
    Clock,
    DeliveryError,
    Fault,
    Journal,
    RelayConfig,
    Sent,
    Target,
    backoff,
    utc_now,
)

__all__ = ["DEFAULT_CONFIG", "Clock", "DeliveryError", "Fault", "Journal", "Outbox", "OutboxTable", "RelayConfig",
           "SendJournal", "Sent", "Target", "backoff", "journal_for", "load_target", "store_reference", "utc_now"]
