"""WSGI entry point: gunicorn and `flask --app wsgi` load `app` from here."""

from screening import create_app

app = create_app()
