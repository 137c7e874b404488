"""What teachers record about the PE day: attendance, fitness tests, skill assessments, equipment checks.

Each kind is a service with the same rules: only the caller's classes (nurses and admins: their school), checked
here; every write audited; a card's key makes a second press or a Teams re-send write nothing more; invalid values
raise ``InvalidInput`` with one message per field and nothing is saved."""
