"""Flask commands: thin wrappers that call services and commit once."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add every command group to the app's CLI."""
    from screening.cli import (
        backup,
        campaigns,
        core,
        keys,
        questionnaires,
        retention,
        stats,
        users,
        worker,
    )

    app.cli.add_command(core.init_command)
    app.cli.add_command(core.demo_command)
    app.cli.add_command(core.demo_code_command)
    app.cli.add_command(users.users_group)
    app.cli.add_command(questionnaires.questionnaires_group)
    app.cli.add_command(backup.backup_group)
    app.cli.add_command(campaigns.campaigns_group)
    app.cli.add_command(worker.notify_group)
    app.cli.add_command(worker.cases_group)
    app.cli.add_command(worker.worker_command)
    app.cli.add_command(keys.keys_group)
    app.cli.add_command(keys.audit_group)
    app.cli.add_command(stats.stats_group)
    app.cli.add_command(retention.retention_group)
