"""Helpers shared by test modules. Fixtures stay in conftest.py, except the running-app fixtures several directories
share (``app_client``: each conftest.py that uses them imports them). Fakes of external services are in
``devtools.fakes`` (bench uses them too)."""
