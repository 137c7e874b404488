"""Pre-class brief commands: ``briefs off`` / ``briefs on`` / ``briefs`` (status), for teachers and coaches, and
``temperature 94`` (today's temperature at the caller's school, °F, any staff), which the brief's heat rule reads.
None means the text is not one of these."""

from __future__ import annotations

import re

from domain.actor import Actor
from domain.errors import DomainError
from tools.base import BriefsAccess

VIA = "command:briefs"
_BRIEFS = re.compile(r"^/?(?:pre-?class\s+)?(?:safety\s+)?briefs?(?:\s+(on|off|status))?[.!?]*$")
_TEMPERATURE = re.compile(r"^/?(?:temperature|temp)(?:\s+(?:is|today|today is))?\s+(-?\d{1,3}(?:\.\d)?)\s*"
                          r"(?:°\s*)?(f|fahrenheit|c|celsius)?[.!]*$")
NOT_SET_UP = "Pre-class safety briefs aren't set up on this Faraday yet."
HELP = ("Brief commands: **briefs off**, **briefs on**, **briefs** (status), **temperature 94** (today's "
        "temperature at your school, °F; add C for Celsius).")


async def briefs_command(text: str, actor: Actor, services: BriefsAccess) -> str | None:
    said = " ".join(text.lower().split())
    toggle, temperature = _BRIEFS.match(said), _TEMPERATURE.match(said)
    if toggle is None and temperature is None:
        return None
    briefs = services.briefs
    if briefs is None:
        return NOT_SET_UP
    try:
        if temperature is not None:
            value = float(temperature.group(1))
            if (temperature.group(2) or "f").startswith("c"):
                value = value * 9 / 5 + 32
            saved = await briefs.enter_temperature(actor, value, via=VIA)
            return (f"Today's temperature at {actor.school_name} is now **{saved:.0f}°F**: the next pre-class "
                    "briefs use it for the heat rule.")
        verb = toggle.group(1) if toggle is not None else None
        if verb in ("on", "off"):
            changed = await briefs.set_enabled(actor, verb == "on", via=VIA)
            if verb == "off":
                return ("Pre-class safety briefs are **off** for you" + ("" if changed else " (they already were")
                        + (")." if not changed else ".") + " Type **briefs on** to get them again.")
            return (f"Pre-class safety briefs are **on**: {briefs.minutes_before:.0f} minutes before each of your "
                    "scheduled classes, in this chat." + ("" if changed else " (They already were.)"))
        status = await briefs.status(actor)
        state = "**on**" if status.enabled else "**off** — type **briefs on** to get them"
        heat = (f"Today's temperature: {status.temperature_f:.0f}°F ({'entered' if status.entered else 'configured'})."
                if status.temperature_f is not None else "No temperature entered today.")
        return (f"Pre-class safety briefs are {state} ({status.minutes_before:.0f} minutes before each scheduled "
                f"class). {heat}\n\n{HELP}")
    except DomainError as exc:
        return str(exc)
