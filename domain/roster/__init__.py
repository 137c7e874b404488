"""Roster import and sync: a school's people from OneRoster CSV, Microsoft SDS CSV (v1, v2.1) or the Graph
education API, into Faraday's schema.

parsers per format (``oneroster``, ``sds``, ``graph``) → one normalised ``model.Roster`` → PE ``scope`` →
``sync`` (diff against the database, apply in one transaction) → a ``report``.
"""
