"""Example per-install settings: copy to instance/config.py and edit.

Order of precedence: built-in defaults, then this file, then SCREENING_* environment
variables (e.g. SCREENING_DATABASE_URL), then the test mapping.
"""

# PostgreSQL instead of the embedded SQLite database:
# DATABASE_URL = "postgresql://screening@db.example.edu/screening"

# The address used in e-mail links ("log in to see your alert").
# BASE_URL = "https://screening.example.edu"

# Outgoing mail for notifications (no personal or clinical content is ever sent).
# MAIL_SERVER = "smtp.example.edu"
# MAIL_PORT = 25
# MAIL_FROM = "screening@example.edu"
# MAIL_STARTTLS = True  # and MAIL_USERNAME / MAIL_PASSWORD when the relay requires a log-in

# Shared rate-limit counters when several hosts serve the app.
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"

# Smallest count shown in statistics (never below 5).
# SMALL_CELL_MINIMUM = 10

# Key ring from a file elsewhere, or from an environment variable (name given here).
# KEYRING_PATH = "/etc/screening/keyring.json"
# KEYRING_ENV = "SCREENING_KEYRING"
