"""One outbox for every relay (alerts, emergency cards, equipment notices, pre-class briefs, nurse requests,
SharePoint sync and Teams install notices): claim due rows with a lease (``table.py``), send at most once through the
Redis send journal (``journal.py``), record the outcome, retry with backoff (``relay.py``). The relays that deliver one
claim at a time share their shell (``base.py``), the background jobs' result notices one more (``job_notice.py``); a
recipient not linked to Teams fails one way (``recipients.py``)."""

from domain.outbox.base import OutboxRelay, RelayOptions
from domain.outbox.job_notice import JobNoticeClaim, JobNoticeRelay, JobNoticeSender
from domain.outbox.journal import SendJournal, journal_for
from domain.outbox.recipients import NOT_LINKED, load_linked_target, load_target, require_linked, store_reference
from domain.outbox.relay import Outbox
from domain.outbox.table import OutboxClaim, OutboxTable
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

__all__ = ["DEFAULT_CONFIG", "NOT_LINKED", "Clock", "DeliveryError", "Fault", "JobNoticeClaim", "JobNoticeRelay",
           "JobNoticeSender", "Journal", "Outbox", "OutboxClaim",
           "OutboxRelay", "OutboxTable", "RelayConfig", "RelayOptions", "SendJournal", "Sent", "Target", "backoff",
           "journal_for", "load_linked_target", "load_target", "require_linked", "store_reference", "utc_now"]
