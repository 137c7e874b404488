"""Text commands: the router the handler calls before the agent. A new command is a module here, tried below.

Order: alerts (admins and nurses), emergencies (admins start and close them), pre-class briefs (briefs on/off,
temperature), help, admin commands (access history, delete student), knowledge commands (uploaded documents,
remove document, knowledge sync sharepoint), roster commands (set role,
roster status). Each returns None when the text is not its own, and the model never sees a command. A markdown file
sent to the bot is the upload command (``knowledge_upload``), a roster .zip the roster upload (``roster_upload``),
both taken by the handler before any text. A command's card buttons are verbs in ``bot.actions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.actions.outcome import CardOutcome
from bot.commands.admin import admin_command
from bot.commands.alerts import alert_command
from bot.commands.briefs import briefs_command
from bot.commands.emergency import emergency_command
from bot.commands.help import HELP_WORDS, help_text
from bot.commands.knowledge import knowledge_command
from bot.commands.nurse import nurse_command
from bot.commands.reach import reach_command
from bot.commands.roster import roster_command
from domain.actor import Actor
from tools.base import CommandAccess


@dataclass(frozen=True, slots=True)
class CommandAnswer:
    """A command's answer: for the requester only (``outcome``: in a shared conversation it goes to their 1:1 chat),
    or ``open_text`` that names nobody and is posted where it was asked (help)."""

    outcome: CardOutcome = field(default_factory=CardOutcome)
    open_text: str | None = None


async def text_command(text: str, actor: Actor, services: CommandAccess) -> CommandAnswer | None:
    """The answer to a text command, or None when the text is for the agent."""
    answer = (await alert_command(text, actor, services) or await emergency_command(text, actor, services)
              or await briefs_command(text, actor, services))
    if answer is not None:
        return CommandAnswer(CardOutcome(text=answer))
    if text.lower() in HELP_WORDS:
        return CommandAnswer(open_text=help_text(actor))
    outcome = (await admin_command(text, actor, services)
               or await knowledge_command(text, actor, services.uploads, services.sharepoint)
               or await roster_command(text, actor, services) or await nurse_command(text, actor, services)
               or await reach_command(text, actor, services))
    return CommandAnswer(outcome) if outcome is not None else None
