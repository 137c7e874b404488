"""Calendars: the local ``calendar_events`` table, Microsoft Graph (Outlook), .ics files and their links."""
