"""The import rules of the architecture, checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "screening"


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import statement of a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _modules(folder: str = "") -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_only_the_crypto_package_imports_cryptography() -> None:
    offenders = [
        _rel(p)
        for p in _modules()
        if "crypto" not in p.relative_to(PACKAGE).parts[:1]
        and any(m.split(".")[0] == "cryptography" for m, _ in _imports(p))
    ]
    assert not offenders


def test_pure_domain_modules_do_not_import_flask() -> None:
    pure = [p for p in _modules("instruments") if p.name != "forms.py"]
    pure += _modules("crypto")
    pure += [PACKAGE / "audit" / "chain.py"]
    pure += [PACKAGE / "stats" / n for n in ("suppression.py", "charts.py")]
    pure += [PACKAGE / "csvexport.py"]
    pure += [p for p in (PACKAGE / "cases").glob("routing.py")]
    offenders = [
        _rel(p)
        for p in pure
        if any(
            m.split(".")[0] in {"flask", "flask_wtf", "flask_login", "wtforms"}
            for m, _ in _imports(p)
        )
    ]
    assert not offenders


#: Request glue of the auth feature: the access decorators, the session cookie, throttling.
REQUEST_GLUE = {
    "screening/auth/access.py",
    "screening/auth/sessions.py",
    "screening/auth/throttle.py",
    # Security events name the refused request (path, address) and note it once per request.
    "screening/audit/security.py",
}


def test_services_never_touch_the_request() -> None:
    """Every service-like module (not a route, form, command or the composition root) takes
    its arguments: no request, g, session, template or redirect from Flask."""
    forbidden = {"request", "g", "session", "render_template", "flash", "redirect"}
    offenders = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if _is_top(path) or len(rel.parts) == 1 or _rel(path) in REQUEST_GLUE:
            continue
        for module, names in _imports(path):
            if module == "flask" and forbidden & set(names):
                offenders.append(
                    f"{_rel(path)} imports {sorted(forbidden & set(names))} from flask"
                )
    assert not offenders


def test_feature_dependency_direction() -> None:
    rules = {
        "cases": {"stats", "responses", "admin"},
        "stats": {"cases", "responses", "admin"},
        "campaigns": {"responses", "cases", "admin"},
        "crypto": {"auth", "cases", "stats", "responses", "campaigns", "admin"},
        "instruments": {"auth", "cases", "stats", "responses", "campaigns", "admin"},
        "audit": {"cases", "stats", "responses", "campaigns", "admin"},
    }
    offenders = []
    for feature, banned in rules.items():
        # Routes are the top layer: they may call any feature's services.
        for path in (p for p in _modules(feature) if p.name != "routes.py"):
            for module, _ in _imports(path):
                parts = module.split(".")
                if parts[0] == "screening" and len(parts) > 1 and parts[1] in banned:
                    offenders.append(f"{_rel(path)} imports {module}")
    assert not offenders


#: The one place that ends transactions; the SQLite driver's connection and Alembic's own.
TRANSACTION_OWNERS = {
    "screening/db.py",
    "screening/sqlite_writer.py",
    "screening/migrations/env.py",
}


def _transaction_calls(source: str) -> list[str]:
    """Every `x.commit()` / `x.rollback()` call of a module's source, as 'line .name()'."""
    return [
        f"{node.lineno} .{node.func.attr}()"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"commit", "rollback"}
    ]


def test_only_the_unit_of_work_commits() -> None:
    """Routes, services, CLI and worker end their work through `screening.db` alone."""
    offenders = [
        f"{_rel(path)}:{call}"
        for path in _modules()
        if _rel(path) not in TRANSACTION_OWNERS
        for call in _transaction_calls(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


def test_the_commit_check_finds_a_commit_in_a_view() -> None:
    view = "def view(s):\n    s.add(1)\n    s.commit()\n    db.session().rollback()\n"
    assert _transaction_calls(view) == ["3 .commit()", "4 .rollback()"]


def test_routes_leave_the_audit_log_to_the_services() -> None:
    """Web, CLI and worker record the same events: the services append them, never a route."""
    offenders = [
        _rel(path)
        for path in _modules()
        if _is_view(path)
        for module, names in _imports(path)
        if module == "screening.audit.services" and "append" in names
    ]
    assert not offenders


TESTS = Path(__file__).resolve().parent
CLOCKS = {"perf_counter", "monotonic", "time", "process_time"}


def _load_dependent(source: str) -> list[str]:
    """Asserts that read a clock and Hypothesis deadlines other than None, as 'line what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            for inner in ast.walk(node.test):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr in CLOCKS
                ):
                    found.append(f"{node.lineno} asserts on the clock")
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "deadline"
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        ):
            found.append(f"{node.value.lineno} sets a Hypothesis deadline")
    return found


def test_no_test_depends_on_the_machine_s_load() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{problem}"
        for path in sorted(TESTS.rglob("*.py"))
        for problem in _load_dependent(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


def test_the_load_check_finds_clock_asserts_and_deadlines() -> None:
    source = (
        "t = time.monotonic()\n"
        "assert time.monotonic() - t < 5\n"
        "@settings(deadline="
        "200)\n"  # split so repository scans do not take it for a real one
        "def f(): pass\n"
        "@settings(deadline=None)\n"
        "def g(): pass\n"
    )
    assert _load_dependent(source) == ["2 asserts on the clock", "3 sets a Hypothesis deadline"]


#: The features, lowest first: a feature's non-top modules import only features below it.
#: admin -> responses -> {cases, stats} -> campaigns -> auth (cases and stats never meet).
LEVELS = {
    "auth": 1,
    "campaigns": 2,
    "cases": 3,
    "stats": 3,
    "responses": 4,
    "referrals": 4,
    "retention": 5,
    "admin": 5,
}
#: Foundation packages and modules: they import no feature (exceptions listed below).
FOUNDATION = {
    "audit", "backup", "config", "crypto", "csvexport", "csvimport", "db", "errors", "forms",
    "health", "i18n", "instruments", "keys", "logs", "notify", "sqlite_writer", "startup",
    "templating",
}  # fmt: skip
#: Top modules may call any feature: the composition root, blueprints, forms, commands.
TOP = {"__init__.py", "main.py", "demo.py", "devserver.py", "setup.py", "models.py", "forms.py"}
#: Known edges against the table, each with its reason; a new one fails the test.
ALLOWED = {
    # The outbox addresses its e-mails: it opens the recipient's sealed address.
    ("screening/notify/services.py", "auth"),
    # The error pages answer a busy password hasher with 503 and Retry-After.
    ("screening/errors.py", "auth"),
    # Every page's language switch is the auth feature's small form.
    ("screening/templating.py", "auth"),
    # A crisis case tells the student's class counselor (辅导员), whatever opened it; the
    # notice and its record belong to the four-level network (called lazily, after intake).
    ("screening/cases/intake.py", "referrals"),
}


def _is_view(path: Path) -> bool:
    """A module of views (blueprint routes): `routes.py`, `*_routes.py` or `*_views.py`."""
    return path.name.endswith("routes.py") or path.name.endswith("_views.py")


def _is_top(path: Path) -> bool:
    rel = path.relative_to(PACKAGE)
    return (
        rel.parts[0] in {"cli", "migrations"}
        or _is_view(path)
        or (len(rel.parts) == 1 and rel.name in TOP)
        or (len(rel.parts) == 2 and rel.name == "forms.py")
    )


def _owner(path: Path) -> str:
    """The package (or top-level module) a file belongs to: 'cases', 'db', ..."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_every_module_follows_the_dependency_table() -> None:
    offenders = []
    for path in _modules():
        if _is_top(path):
            continue
        owner = _owner(path)
        for module, _names in _imports(path):
            parts = module.split(".")
            if parts[0] != "screening" or len(parts) < 2 or parts[1] == owner:
                continue
            target = parts[1]
            if target not in LEVELS or (_rel(path), target) in ALLOWED:
                continue
            if owner in FOUNDATION or owner not in LEVELS:
                offenders.append(f"{_rel(path)} (foundation) imports {module}")
            elif LEVELS[target] >= LEVELS[owner]:
                offenders.append(f"{_rel(path)} imports {module} (not below {owner})")
    assert not offenders


def test_every_feature_and_module_is_placed_in_the_table() -> None:
    """A new package or module must be given its place before it can hide from the check."""
    placed = set(LEVELS) | FOUNDATION | {"cli", "migrations", "static", "translations"}
    unplaced = {_owner(p) for p in _modules() if not _is_top(p) and _owner(p) not in placed}
    assert not unplaced
