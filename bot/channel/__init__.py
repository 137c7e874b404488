"""Bot Framework plumbing and turn policy: inbound auth, activity parse/serialise fast paths, the connector transport,
reply retries, proactive sends, streaming, AI entities, sanitising, channel/tenant checks, de-duplication,
per-user rate limits, and what may be posted in a shared conversation (the rest goes to the requester's 1:1 chat)."""
