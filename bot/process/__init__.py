"""The process around the app: local run-time (embedded servers, Playground), logging, the heap policy, the dry-run
planner. The command line itself is ``bot/__main__.py``; the standalone alert relay is ``bot/alert_runner.py``."""
