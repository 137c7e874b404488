"""``help``: what Faraday can do, with the commands of the caller's role."""

from __future__ import annotations

from agent.offline.answers import HELP_TEXT
from domain.actor import Actor
from domain.models import Role

HELP_WORDS = ("help", "/help", "commands")

ROLE_HELP = {
    Role.admin: (
        "\n\nAs an administrator you can also use:\n"
        "- **alerts today**, **alerts status**, **alerts on** / **alerts off** — safety alerts\n"
        "- **emergency evacuation** / **lockdown** / **severe weather**, **evacuation drill for period 3**, "
        "**emergency status**, **all clear** — account for every student\n"
        "- **access history Jamie Ortiz** — who opened a student's records\n"
        "- **delete student S109001** — remove a student's records (asks to confirm)\n"
        "- send a **PDF, Word or markdown file** — add a protocol, policy or curriculum document; "
        "**uploaded documents**, **remove document** and its id; **knowledge sync sharepoint** site folder — "
        "keep a SharePoint folder's documents in the knowledge base\n"
        "- **set role Jordan Okafor nurse** — a role the roster files don't carry (nurse, coach, admin); "
        "**roster status** — the last roster import; send the roster **.zip** — preview, then apply"
    ),
    Role.teacher: ("\n\nBefore each scheduled class you get a short safety brief here: **briefs off** / **briefs on**, "
                   "**briefs** (status), **temperature 94** (today's temperature, for the heat rule)."),
    Role.coach: ("\n\nBefore each scheduled class you get a short safety brief here: **briefs off** / **briefs on**, "
                 "**briefs** (status), **temperature 94** (today's temperature, for the heat rule)."),
    Role.nurse: ("\n\nAs the school nurse you can also use **alerts today**, **alerts status**, **alerts on** / "
                 "**alerts off**."),
}


def help_text(actor: Actor) -> str:
    """What Faraday can do, with the commands of the caller's role."""
    return HELP_TEXT + ROLE_HELP.get(actor.role, "")
