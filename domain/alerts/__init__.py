"""Proactive safety alerts: rules, the outbox, the relay, acknowledgement, escalation and the digest.

Nothing here imports botbuilder: the relay sends through a ``Sender`` (``bot/channel/proactive.py`` in production).
"""

from domain.alerts.outbox import AlertOutbox, enqueue_alerts
from domain.alerts.relay import Relay, RelayConfig
from domain.alerts.service import AlertService
from domain.alerts.types import AlertView, DeliveryError, Sender, Sent, Target

__all__ = ["AlertOutbox", "AlertService", "AlertView", "DeliveryError", "Relay", "RelayConfig", "Sender", "Sent",
           "Target", "enqueue_alerts"]
