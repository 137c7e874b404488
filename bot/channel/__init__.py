"""Bot Framework plumbing and turn policy: inbound auth, activity parse/serialise fast paths, the connector transport,
reply retries, proactive sends, streaming, AI entities, sanitising, channel/tenant checks, de-duplication and
per-user rate limits."""
