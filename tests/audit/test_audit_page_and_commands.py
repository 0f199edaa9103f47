"""The audit viewer and `audit verify`/`audit anchor`: tampering is named, never hidden."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from screening.audit.models import AuditEntry, AuditHead
from screening.audit.services import append


def _entries(db: Session, count: int) -> None:
    for i in range(count):
        append(db, actor_id=None, action="faculty.create", target_type="faculty", target_id=f"F{i}")
    db.commit()


def _tamper(db: Session) -> None:
    """Act as someone who got past the append-only trigger (PostgreSQL: replication mode)."""
    if db.get_bind().dialect.name == "postgresql":
        with db.no_autoflush:  # the change is flushed after the switch, at commit
            db.execute(text("SET LOCAL session_replication_role = replica"))


def _one_chain(db: Session) -> tuple[int, list[AuditEntry]]:
    """The chain with the most entries and its entries in order."""
    rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq)))
    chain = max({r.chain for r in rows}, key=lambda c: sum(r.chain == c for r in rows))
    return chain, [r for r in rows if r.chain == chain]


def test_verify_reports_every_chain_ok(runner: FlaskCliRunner, db: Session) -> None:
    _entries(db, 20)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    chains = [line for line in result.output.splitlines() if line.startswith("chain ")]
    counts = [int(line.split(": ")[1].split()[0]) for line in chains]
    assert sum(counts) == 20
    assert all(line.endswith("OK") for line in chains)


def test_verify_detects_an_edited_entry(runner: FlaskCliRunner, db: Session) -> None:
    _entries(db, 30)
    chain, rows = _one_chain(db)
    rows[1].target_id = "EDITED"
    _tamper(db)
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain {chain}: {len(rows)} entries, BROKEN at 2: entry 2 was altered" in result.output


def test_verify_detects_a_deleted_entry(runner: FlaskCliRunner, db: Session) -> None:
    _entries(db, 30)
    chain, rows = _one_chain(db)
    db.delete(rows[1])
    _tamper(db)
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain {chain}: {len(rows) - 1} entries, BROKEN at 2" in result.output


def test_verify_detects_a_reordered_entry(runner: FlaskCliRunner, db: Session) -> None:
    _entries(db, 30)
    chain, rows = _one_chain(db)
    first, second = rows[0], rows[1]
    first.seq, second.seq = -1, -2  # swap seq numbers past the unique constraint
    _tamper(db)
    db.flush()
    first.seq, second.seq = 2, 1
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain {chain}: {len(rows)} entries, BROKEN at 1" in result.output


def test_verify_detects_deleting_the_newest_entries(runner: FlaskCliRunner, db: Session) -> None:
    _entries(db, 30)
    _chain, rows = _one_chain(db)
    db.delete(rows[-1])
    _tamper(db)
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at {len(rows)}: entries after this sequence number were removed" in (
        result.output
    )


def test_anchor_catches_a_truncation_that_also_rewound_the_head(
    runner: FlaskCliRunner, db: Session, tmp_path: Path
) -> None:
    _entries(db, 30)
    anchor = runner.invoke(args=["audit", "anchor"])
    assert anchor.exit_code == 0
    line = anchor.output.strip()
    assert "\n" not in line and '"heads"' in line
    anchor_file = tmp_path / "anchors.txt"
    anchor_file.write_text("older line ignored\n" + line + "\n")
    assert runner.invoke(args=["audit", "verify", "--anchor", str(anchor_file)]).exit_code == 0
    chain, rows = _one_chain(db)
    head = db.get(AuditHead, chain)
    head.seq, head.mac = rows[-2].seq, rows[-2].mac
    db.delete(rows[-1])
    _tamper(db)
    db.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the head was rewound too
    result = runner.invoke(args=["audit", "verify", "--anchor", str(anchor_file)])
    assert result.exit_code == 1
    assert f"chain {chain}:" in result.output and "BROKEN" in result.output


def test_verify_refuses_a_file_that_is_not_an_anchor(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "anchor.txt"
    bad.write_text("hello\n")
    result = runner.invoke(args=["audit", "verify", "--anchor", str(bad)])
    assert result.exit_code == 1
    assert "audit anchor" in result.output


def test_admin_page_lists_filters_and_shows_verification(
    client: FlaskClient, logged_in, db: Session
) -> None:
    admin = logged_in("admin")
    append(db, actor_id=admin.id, action="faculty.create", target_type="faculty", target_id="LAW")
    append(db, actor_id=None, action="keys.rotate", target_type="kek", target_id="k2")
    db.commit()
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "Faculty LAW" in page and "kek k2" in page and admin.username in page
    assert "Faculty created" in page and "Key rotation" in page  # readable action labels
    verified = client.post("/admin/audit/verify").get_data(as_text=True)
    assert "chains verified" in verified
    filtered = client.get("/admin/audit/?action=keys.rotate").get_data(as_text=True)
    assert "kek k2" in filtered and "Faculty LAW" not in filtered
    _chain, rows = _one_chain(db)
    rows[0].reason = "changed"
    _tamper(db)
    db.commit()
    tampered = client.post("/admin/audit/verify").get_data(as_text=True)
    assert "The audit log has been tampered with." in tampered
    assert "was altered" in tampered


def test_audit_page_is_for_admins_only(client: FlaskClient, logged_in) -> None:
    logged_in("supervisor")
    assert client.get("/admin/audit/").status_code == 403
