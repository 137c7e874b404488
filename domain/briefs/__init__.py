"""Pre-class safety briefs: what a teacher should know before a PE class starts, sent privately ahead of it."""

from domain.briefs.preferences import BriefSettings, BriefStatus
from domain.briefs.relay import BriefConfig, BriefRelay
from domain.briefs.types import Brief, BriefSender

__all__ = ["Brief", "BriefConfig", "BriefRelay", "BriefSender", "BriefSettings", "BriefStatus"]
