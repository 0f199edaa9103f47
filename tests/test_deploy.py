"""The deployment guide's front end: deploy/nginx.conf in front of gunicorn, as installed.

A real nginx runs the committed server blocks (only ports, certificate and log paths are
changed for the test) in front of the app served by the web unit's command line, with
production settings and SCREENING_TRUSTED_PROXIES=1 as docs/deploy.md says. Skipped when nginx
is not installed; CI installs Debian's nginx-light.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench import harness
from bench.load import Client
from bench.seed import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
)
HOST = "screening.example.edu"

pytestmark = pytest.mark.skipif(
    NGINX is None and not os.environ.get("SCREENING_REQUIRE_NGINX"),
    reason="nginx is not installed",
)


@dataclass
class Site:
    """nginx's two ports in front of one gunicorn, and how to reach them."""

    http_port: int
    https_port: int
    tls: ssl.SSLContext

    def https(self, page: str = "/auth/login") -> Client:
        """A browser on the TLS port, on a page of the site (its Referer for form posts)."""
        return Client(
            "127.0.0.1",
            self.https_port,
            tls=self.tls,
            headers={"Host": HOST, "Referer": f"https://{HOST}{page}"},
        )


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the site's name."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _config(folder: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx.conf with this machine's ports and paths, inside a minimal main file."""
    cert, key = _certificate(folder)
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl": f"listen 127.0.0.1:{https_port} ssl",
        "/etc/ssl/screening/fullchain.pem": str(cert),
        "/etc/ssl/screening/privkey.pem": str(key),
        "/var/log/nginx/screening.access.log": str(folder / "access.log"),
        "/srv/screening/app/": f"{ROOT}/",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx.conf no longer has {old!r}"
        site = site.replace(old, new)
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    main = (
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        + "events {}\nhttp {\n"
        + temp
        + "\n    uwsgi_temp_path "
        + str(folder / "uwsgi")
        + ";\n    scgi_temp_path "
        + str(folder / "scgi")
        + ";\n"
        + site
        + "\n}\n"
    )
    path = folder / "nginx.conf"
    path.write_text(main, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """gunicorn (the web unit's command) behind nginx (the committed server blocks)."""
    assert NGINX is not None, "SCREENING_REQUIRE_NGINX is set but nginx is not installed"
    folder = tmp_path_factory.mktemp("nginx")
    with harness.instance("sqlite") as inst:
        harness.python(
            inst.env, "import sys; sys.argv=['seed']; from bench.seed import main; main(2)"
        )
        env = dict(
            inst.env,
            SCREENING_TRUSTED_PROXIES="1",
            SCREENING_BASE_URL=f"https://{HOST}",  # its host is the only one served
            SCREENING_LOGIN_ADDRESS_ATTEMPTS="3",
        )
        with harness.gunicorn(env, workers=1, threads=2) as server:
            http_port, https_port = harness.free_port(), harness.free_port()
            config = _config(folder, server.port, http_port, https_port)
            check = subprocess.run(
                [NGINX, "-t", "-p", str(folder), "-c", str(config)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert check.returncode == 0, check.stderr
            nginx = subprocess.Popen(
                [NGINX, "-p", str(folder), "-c", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                tls = ssl.create_default_context(cafile=str(folder / "fullchain.pem"))
                tls.check_hostname = False  # the certificate names the site, not 127.0.0.1
                ready = Site(http_port, https_port, tls)
                # Wait for nginx as long as it runs (a loaded machine is slow, not broken);
                # the cap only ends a hung run.
                deadline = time.monotonic() + 300
                while True:
                    probe = ready.https()
                    try:
                        probe.request("GET", "/healthz")
                        break
                    except OSError:
                        running = nginx.poll() is None and time.monotonic() < deadline
                        assert running, (folder / "error.log").read_text()
                        time.sleep(0.1)
                    finally:
                        probe.close()
                yield ready
            finally:
                nginx.terminate()
                nginx.wait(timeout=20)


def test_plain_http_is_sent_to_https(site: Site) -> None:
    client = Client("127.0.0.1", site.http_port)
    status, _, headers = client.request("GET", "/auth/login", headers={"Host": HOST})
    client.close()
    assert status == 301
    assert headers["Location"] == f"https://{HOST}/auth/login"


def test_the_health_check_answers_through_the_proxy(site: Site) -> None:
    client = site.https()
    status, body, _ = client.request("GET", "/healthz")
    client.close()
    assert status == 200 and '"ok"' in body


def test_a_student_logs_in_over_tls_with_the_secure_host_cookie(site: Site) -> None:
    client = site.https()
    token, _ = client.csrf("/auth/login")
    status, _, headers = client.request(
        "POST", "/auth/login", {"csrf_token": token, "login": "B0000000", "password": PASSWORD}
    )
    assert status == 302
    assert re.search(r"__Host-session=[^;]+;.*Secure", headers["Set-Cookie"])
    status, page, _ = client.request("GET", "/screening/")
    client.close()
    assert status == 200 and "/screening/" in page


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(site: Site) -> None:
    """nginx overwrites X-Forwarded-For, so each forged address still counts as the client's."""
    statuses = []
    for n in range(4):
        client = site.https()
        token, _ = client.csrf("/auth/login")
        status, _, _ = client.request(
            "POST",
            "/auth/login",
            {"csrf_token": token, "login": f"nobody{n}", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        statuses.append(status)
        client.close()
    assert statuses == [401, 401, 401, 429]


def test_a_body_over_two_mib_is_refused_before_the_app(site: Site) -> None:
    client = site.https()
    status, body, headers = client.request(
        "POST", "/auth/login", {"login": "x" * (3 * 1024 * 1024)}
    )
    client.close()
    assert status == 413
    _nginx_page_is_hardened(body, headers)


def test_static_files_are_served_by_nginx_with_nosniff(site: Site) -> None:
    css = next((ROOT / "screening" / "static" / "css").glob("*.css"))
    client = site.https()
    status, body, headers = client.request("GET", f"/static/css/{css.name}")
    client.close()
    assert status == 200 and body == css.read_text(encoding="utf-8")
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")
    assert headers.get("Strict-Transport-Security", "").startswith("max-age=")
    assert headers.get("Referrer-Policy") == "same-origin"
    assert headers.get("Server") == "nginx"  # no version


def _nginx_page_is_hardened(body: str, headers: dict[str, str]) -> None:
    """An answer nginx made itself: the app's security headers, no nginx page or version."""
    assert headers.get("Server") == "nginx"
    assert "nginx" not in body and "12356" in body
    assert "default-src 'self'" in headers.get("Content-Security-Policy", "")
    assert headers.get("Strict-Transport-Security", "").startswith("max-age=")
    assert headers.get("Referrer-Policy") == "same-origin"
    assert headers.get("X-Content-Type-Options") == "nosniff"


def test_nginx_own_404_carries_the_security_headers(site: Site) -> None:
    client = site.https()
    status, body, headers = client.request("GET", "/static/no-such-file.css")
    client.close()
    assert status == 404
    _nginx_page_is_hardened(body, headers)


def test_the_app_answers_only_its_own_host_name(site: Site) -> None:
    client = Client("127.0.0.1", site.https_port, tls=site.tls, headers={"Host": "evil.example"})
    status, _, _ = client.request("GET", "/auth/login")
    client.close()
    assert status == 400
    client = site.https()
    status, _, headers = client.request("GET", "/cases/99999999999")
    client.close()
    assert status in (302, 404)  # beyond any id: never a server error
    assert "Server" in headers and headers["Server"] == "nginx"
