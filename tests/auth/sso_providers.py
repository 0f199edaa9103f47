"""Small CAS and OpenID Connect providers served on loopback for the SSO tests."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@dataclass
class CasProvider:
    """CAS 2.0/3.0: issues single-use service tickets for users and validates them."""

    service: str = ""
    tickets: dict[str, str] = field(default_factory=dict)

    def ticket_for(self, user: str) -> str:
        ticket = f"ST-{secrets.token_hex(8)}"
        self.tickets[ticket] = user
        return ticket

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path != "/serviceValidate":
            return Response("not found", 404)(environ, start_response)
        user = self.tickets.pop(request.args.get("ticket", ""), None)  # single use
        if user is None or request.args.get("service") != self.service:
            body = (
                '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
                '<cas:authenticationFailure code="INVALID_TICKET">no</cas:authenticationFailure>'
                "</cas:serviceResponse>"
            )
        else:
            body = (
                '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
                f"<cas:authenticationSuccess><cas:user>{escape(user)}</cas:user>"
                "</cas:authenticationSuccess></cas:serviceResponse>"
            )
        return Response(body, mimetype="application/xml")(environ, start_response)


@dataclass
class OidcProvider:
    """An OpenID provider: discovery, authorize (records nonce and PKCE), token, JWKS."""

    client_id: str = "screening"
    client_secret: str = "provider-secret"
    issuer: str = ""
    user: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, private=True))
    #: Claims to override in the next ID token (wrong iss, aud, exp, nonce...).
    tamper: dict[str, Any] = field(default_factory=dict)
    sign_with_other_key: bool = False
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self.discovery,
            "/authorize": self.authorize,
            "/token": self.token,
            "/jwks": self.jwks,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    def discovery(self, _request: Request) -> Response:
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
            }
        )

    def authorize(self, request: Request) -> Response:
        args = request.args
        assert args["response_type"] == "code" and args["client_id"] == self.client_id
        assert args["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": args["nonce"],
            "challenge": args["code_challenge"],
            "redirect_uri": args["redirect_uri"],
        }
        query = urlencode({"code": code, "state": args["state"]})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def token(self, request: Request) -> Response:
        form = request.form
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if (
            grant is None
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return _json({"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if digest.rstrip(b"=").decode() != grant["challenge"]:
            return _json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "subject-1",
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "preferred_username": self.user,
        }
        claims.update(self.tamper)
        key = RSAKey.generate_key(2048, private=True) if self.sign_with_other_key else self.key
        token = jwt.encode({"alg": "RS256", "kid": key.thumbprint()}, claims, key)
        return _json({"access_token": "x", "token_type": "Bearer", "id_token": token})

    def jwks(self, _request: Request) -> Response:
        public = self.key.as_dict(private=False)
        public["kid"] = self.key.thumbprint()
        return _json(KeySet([RSAKey.import_key(public)]).as_dict(private=False))


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")
