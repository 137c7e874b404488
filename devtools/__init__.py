"""Developer tools, never imported by production code at module level and never copied into the image: embedded
PostgreSQL/Valkey (``embedded_servers``), the Agents Playground launcher (``playground``), and fakes of the external
services (``fakes``: Bot Connector, OpenAI, Microsoft Graph) shared by tests and bench."""
