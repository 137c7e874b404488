"""The message-home cards: the draft beside each translation with *Send* / *Discard*, the count-and-confirm step
of a class notice, and what happened after Send (with the .eml and mailto: links when Graph isn't configured)."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, escape, facts, heading, text
from bot.cards.inputs import execute
from domain.messages_home import languages
from domain.messages_home.service import MessageDraft, SendOutcome
from domain.messages_home.texts import GUARDIAN, MessageText

SEND = "message_home.send"
CANCEL = "message_home.cancel"
KIND_LABELS = {"incident": "Incident note", "attendance": "Attendance concern", "fitness": "Fitness report",
               "class_notice": "Class notice"}
DELIVERY = {"graph_send": "Sent by e-mail from your Outlook mailbox",
            "graph_draft": "Saved as drafts in your Outlook (you send them)",
            "eml": "An e-mail file (.eml) and a mail link per guardian, to send from your mail app"}
HEALTH_LABELS = {"incident": "what happened and what was done", "fitness": "the fitness results"}
MAX_LINKS = 60


def message_draft_card(draft: MessageDraft) -> dict[str, Any]:
    spoken = ", ".join(f"{languages.name(code)} {n}" for code, n in draft.languages.items())
    withheld = []
    if draft.no_permission:
        withheld.append(f"{draft.no_permission} may not be contacted")
    if draft.no_email:
        withheld.append(f"{draft.no_email} without an e-mail address")
    rows = [("To", f"{_guardians(draft.recipients)}" + (f" of {draft.students} students" if draft.bulk else "")
             + f" ({spoken})"), ("How", DELIVERY[draft.delivery])]
    if withheld:
        rows.append(("Not included", "; ".join(withheld)))
    rows.append(("Drafted by", "the AI model" if draft.writer == "openai" else "the school's fixed template"))
    body: list[dict[str, Any]] = [heading(f"{KIND_LABELS.get(draft.kind, 'Message')} home: {draft.about}"),
                                  facts(rows)]
    school, *others = draft.texts
    pairs: list[list[MessageText]] = [[school, other] for other in others] or [[school]]
    for pair in pairs:
        body.append({"type": "ColumnSet", "separator": True, "columns": [_column(m) for m in pair]})
    for note in draft.notes:
        body.append(text(note, subtle=True))
    if draft.has_health:
        body.append({"type": "Input.Toggle", "id": "include_health", "value": "false",
                     "valueOn": "true", "valueOff": "false", "wrap": True,
                     "title": f"Include the health details ({HEALTH_LABELS.get(draft.kind, 'health')}): only "
                              f"{draft.about}'s own guardians receive this message"})
    if draft.bulk:
        body.append(text(f"This notice goes to {_guardians(draft.recipients)} of {draft.students} students; "
                         "you'll be asked to confirm the count.", subtle=True))
    title = f"Send to {_guardians(draft.recipients)}…" if draft.bulk else (
        "Save drafts in Outlook" if draft.delivery == "graph_draft" else "Send")
    return card(body, [execute(title, SEND, {"form_key": draft.key}, style="positive"),
                       execute("Discard", CANCEL, {"form_key": draft.key}, inputs="none")])


def confirm_card(key: str, outcome: SendOutcome) -> dict[str, Any]:
    return card([heading("Confirm the class notice"), text(outcome.sentence)],
                [execute(f"Yes, send to {_guardians(outcome.recipients)}", SEND,
                         {"form_key": key, "confirmed": outcome.recipients}, inputs="none", style="positive"),
                 execute("Discard", CANCEL, {"form_key": key}, inputs="none")])


def sent_card(outcome: SendOutcome) -> dict[str, Any]:
    body: list[dict[str, Any]] = [heading("Message home"), text(outcome.sentence)]
    for link in outcome.links[:MAX_LINKS]:
        body.append({"type": "ActionSet", "actions": [
            {"type": "Action.OpenUrl", "title": f"E-mail for {link.to} (.eml)", "url": link.eml_url},
            {"type": "Action.OpenUrl", "title": "Open in mail app", "url": link.mailto_url}]})
    if outcome.links:
        body.append(text("The links expire and work only for you.", subtle=True))
    return card(body)


def _column(message: MessageText) -> dict[str, Any]:
    name = languages.name(message.language)
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": escape(name if message.translated else f"{name}: needs the AI model"),
         "weight": "Bolder", "color": "Accent", "wrap": True}]
    if not message.translated:
        items.append(text("No translation without the AI model: these guardians would receive the text on the "
                          "left.", subtle=True))
    else:
        items.append({"type": "TextBlock", "text": escape(message.subject), "weight": "Bolder", "wrap": True})
        shown = message.compose(False).replace(GUARDIAN, _placeholder(message.language))
        items.append(text(shown))
        if message.health:
            items.append({"type": "Container", "style": "emphasis", "items": [
                text("Health details (sent only if ticked below):", subtle=True), text(message.health.strip())]})
    return {"type": "Column", "width": "stretch", "items": items}


def _placeholder(language: str) -> str:
    return "[nombre del tutor]" if languages.base(language) == "es" else "[guardian's name]"


def _guardians(count: int) -> str:
    return f"{count} guardian{'s' if count != 1 else ''}"
