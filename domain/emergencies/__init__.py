"""Emergencies (evacuation, lockdown, severe weather; drill or real): who is in session, each class's
accountability, per-student marks, the card relay, reminders and escalation. Nothing here imports botbuilder: cards
go out through a ``CardSender`` (``bot/channel/emergency_sender.py``)."""

from domain.emergencies.delivery import EmergencyRelay
from domain.emergencies.service import EmergencyService

__all__ = ["EmergencyRelay", "EmergencyService"]
