"""What a document section is for, decided once at ingestion from its heading and text, so that an answer can lead
with what to do now for any document (bundled or added by an admin), not only for headings this code knows.

Roles:
- ``steps``: what to do (immediate actions, response orders, activity modification tables, stepwise plans), and what
  to do in a circumstance its heading states ("When Immersion Is Not Possible"); a section whose body is a numbered
  list is steps whatever its heading says;
- ``criteria``: when to escalate (when to call 911, danger signs that need emergency care);
- ``roles``: who does what and whom to notify (roles and responsibilities, notification);
- ``background``: purpose, overview, scope: never the answer to "what do I do", only "see also";
- ``other``: everything else (recognition, prevention, schedules, rules), quoted when it is what the search found.
"""

from __future__ import annotations

import re

ROLES = ("steps", "criteria", "roles", "background", "other")

_BACKGROUND = re.compile(r"^\s*(purpose|overview|introduction|background|scope|about|summary|definitions?)\b", re.I)
_CRITERIA = re.compile(r"\b(call(ing)? 911|when to (call|seek|get|activate)|emergency (criteria|signs)|red flags|"
                       r"danger signs|when is it an emergency)\b", re.I)
_ROLES = re.compile(r"\b(roles?|responsibilit\w*|notification|notify(ing)?|who (does|to call|to tell)|contacts?)\b",
                    re.I)
_STEPS = re.compile(r"\b(immediate|actions?|what to do|first aid|response|respond\w*|order|suspend\w*|evacuat\w*|"
                    r"removing|errors?|steps?|stages?|managing|modification|guidelines|timelines?|treatment|"
                    r"procedures?|if the (student|person|athlete)|severe|in water|stay, safe, side)\b", re.I)
# A heading that states its own circumstance ("If the Student Is Not Breathing", "When Immersion Is Not Possible"):
# what to do then. "When to …" headings are criteria or roles (decided first).
_CONDITIONAL = re.compile(r"^\s*(if|when|whenever|in case|during)\s+(?!to\b)\w", re.I)
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+\S", re.M)


def role_of(heading: str, text: str) -> str:
    """The role of one section (see the module docstring); headings decide first, a numbered list makes steps."""
    if _BACKGROUND.search(heading):
        return "background"
    if _CRITERIA.search(heading):
        return "criteria"
    if _ROLES.search(heading):
        return "roles"
    if _STEPS.search(heading) or _CONDITIONAL.search(heading) or len(_NUMBERED.findall(text)) >= 2:
        return "steps"
    return "other"
