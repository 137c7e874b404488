"""In the real Teams emulator: a teacher reports that Eli hurt his wrist, saves the incident, then asks Faraday to
e-mail Eli's parents about it. The draft card shows the English text beside the Spanish translation (his family
reads Spanish); while it is on screen nothing has been sent or packaged. The teacher ticks the health details and
presses Send: without Graph each guardian's e-mail is packaged as an .eml behind a signed link, the link opens the
e-mail (Spanish, to that guardian, with the wrist in it) and its mail link, and the send is audited as his, per
guardian and for the student, with no address in the audit."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from devtools.playground import Playground
from domain.db import make_engine, make_sessionmaker
from domain.models import AuditLog, Guardian, HomeMessage, HomeMessageRecipient, Staff, Student
from tests.support.playground_driver import drive


async def _state(url: str) -> dict[str, Any]:
    """What the database holds about Eli's messages home, his reachable guardians and the send audit rows."""
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as s:
            eli = await s.scalar(select(Student.id).where(Student.first_name == "Eli", Student.last_name == "Navarro"))
            guardians = (await s.execute(select(Guardian.id, Guardian.email, Guardian.preferred_language).where(
                Guardian.student_id == eli, Guardian.contact_allowed.is_(True), Guardian.email.is_not(None))
                .order_by(Guardian.priority, Guardian.id))).all()
            messages = (await s.execute(select(HomeMessage.id, HomeMessage.status, HomeMessage.kind,
                                               HomeMessage.include_health)
                                        .where(HomeMessage.student_id == eli))).all()
            recipients = (await s.execute(select(HomeMessageRecipient.guardian_id, HomeMessageRecipient.status,
                                                 HomeMessageRecipient.language)
                                          .order_by(HomeMessageRecipient.id))).all()
            sends = (await s.execute(select(Staff.display_name, AuditLog.subject_type, AuditLog.subject_id,
                                            AuditLog.allowed, AuditLog.reason)
                                     .join(Staff, Staff.id == AuditLog.actor_staff_id)
                                     .where(AuditLog.action == "message_home.send").order_by(AuditLog.id))).all()
            drafts = await s.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "message_home.draft", AuditLog.allowed.is_(True)))
            return {"eli": eli, "guardians": guardians, "messages": messages, "recipients": recipients,
                    "sends": sends, "drafts": drafts}
    finally:
        await engine.dispose()


def _wait_for_file(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.1)
    return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_a_teacher_reviews_the_draft_home_in_spanish_and_it_is_sent_only_when_he_presses_send(
        playground: Playground, e2e_db_url: str, bot_log: Path, tmp_path: Path) -> None:
    on_screen, go_on, saved = tmp_path / "draft.png", tmp_path / "go-on", tmp_path / "guardian.eml"
    script = {
        "screenshotOnFailure": str(tmp_path / "failure.png"),
        "steps": [
            {"send": "Eli Navarro fell on his left wrist in basketball, looks minor, we put ice on it"},
            {"waitForCard": {"contains": "Check and save this incident report", "new": True, "timeoutMs": 30000}},
            {"click": "Save"},
            {"waitForCard": {"contains": "Reported by", "timeoutMs": 30000}},
            {"send": "email Eli Navarro's parents about his wrist, they speak Spanish"},
            {"waitForText": {"contains": "nothing is sent until you press Send", "new": True, "timeoutMs": 30000}},
            {"waitForCard": {"contains": "Incident note home: Eli", "new": True}},
            {"waitForCard": {"contains": "Dear [guardian's name],"}},  # English beside Spanish, on the same card
            {"waitForCard": {"contains": "Estimado/a [nombre del tutor]:"}},
            {"waitForCard": {"contains": "Include the health details"}},
            {"screenshot": str(on_screen)},  # tells the test the draft is on screen
            {"waitForFile": {"path": str(go_on), "timeoutMs": 60000}},  # the test has checked nothing was sent
            {"fill": {"label": "Include the health details", "value": "true"}},
            {"click": {"name": "Send", "exact": True}},
            {"waitForCard": {"contains": "Ready for", "timeoutMs": 30000}},
            {"download": {"name": "(.eml)", "urlContains": "/messages/", "saveAs": str(saved)}},
        ],
    }
    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(drive, playground, script)
        reached = _wait_for_file(on_screen, 150)
        before = asyncio.run(_state(e2e_db_url)) if reached else None
        go_on.touch()
        result = run.result()
    assert result["ok"], (result["error"], result["steps"][-1], result["cards"][-3:],
                          bot_log.read_text()[-3000:])
    assert before is not None

    # While the draft was on screen: one draft row, not a single recipient packaged, no send audited.
    [(_, status, kind, _)] = before["messages"]
    assert (status, kind) == ("draft", "incident") and before["drafts"] >= 1
    assert before["recipients"] == [] and before["sends"] == []

    # (the draft card's texts were waited for above: the Send press replaces it in place with the outcome)
    after = asyncio.run(_state(e2e_db_url))
    guardians = after["guardians"]
    assert guardians, "Eli has a guardian the school may write to"
    [(_, status, _, include_health)] = after["messages"]
    assert status == "packaged" and include_health is True
    assert [(g, s, lang) for g, s, lang in after["recipients"]] == [(g.id, "packaged", "es") for g in guardians]
    ready = next(c for c in result["cards"] if "Ready for" in c)
    assert f"Ready for {len(guardians)} guardian" in ready

    [download] = result["downloads"]
    assert download["status"] == 200 and download["contentType"].startswith("message/rfc822"), download
    mail = message_from_bytes(saved.read_bytes(), policy=default)
    body = mail.get_body(("plain",)).get_content()
    assert mail["Content-Language"] == "es" and str(mail["Subject"]) == "Nota de Educación Física sobre Eli"
    assert mail["To"].addresses[0].addr_spec == guardians[0].email and mail["From"].addresses[0].addr_spec \
        == "alexw@example.com"
    assert "Eli tuvo un incidente" in body and "wrist" in body  # the health details, as ticked (in English)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(download["url"].replace(".eml", "/mailto"))
        raise AssertionError("the mail link should redirect to mailto:")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302 and redirect.headers["Location"].startswith("mailto:")

    # one row per guardian and one for the student, all Alex's and allowed; no address in any reason
    assert {(who, allowed) for who, _, _, allowed, _ in after["sends"]} == {("Alex Wilber", True)}
    assert [i for _, kind, i, _, _ in after["sends"] if kind == "guardian"] == [g.id for g in guardians]
    [student_row] = [row for row in after["sends"] if row[1] == "student"]
    assert student_row[2] == after["eli"] and "health details" in (student_row[4] or "")
    assert not any("@" in (reason or "") for *_, reason in after["sends"])
