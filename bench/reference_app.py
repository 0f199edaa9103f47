"""The reference: a minimal Flask app that parses the same form and inserts one row.

It shows what the web stack alone costs on this machine, so Screening's submit path can be
reported as a share of it (target: at least 60%).
"""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

FORM = (
    "<form method=post>"
    + "".join(
        f"<input type=radio name=q{i} value=0><input type=radio name=q{i} value=1>"
        for i in range(1, 10)
    )
    + "<button>Submit</button></form>"
)

metadata = MetaData()
answers = Table(
    "reference_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("answers", String(200)),
)


def create_app() -> Flask:
    """The reference app on the benchmark's database."""
    app = Flask(__name__)
    url = os.environ.get("SCREENING_DATABASE_URL") or (
        "sqlite:///" + os.path.join(os.environ["SCREENING_INSTANCE_PATH"], "reference.sqlite")
    )
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = (
        create_engine(url, pool_size=10)
        if "postgresql" in url
        else create_engine(url, connect_args={"timeout": 30})
    )
    metadata.create_all(engine)
    engine.dispose()  # no pooled connection may be shared by forked workers

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.route("/form", methods=["GET", "POST"])
    def form() -> tuple[str, int] | str:
        if request.method == "GET":
            return FORM
        values = ",".join(request.form.get(f"q{i}", "") for i in range(1, 10))
        with engine.begin() as conn:
            conn.execute(insert(answers).values(answers=values))
        return "", 302

    return app


app = create_app()
