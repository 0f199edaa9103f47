"""Single sign-on protocols: CAS 2.0/3.0 ticket validation and OpenID Connect code flow.

No Flask here: the routes hand in the configuration and what the browser brought back. SSO
only says who someone is; screening.auth.services maps that name to an EXISTING account.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

CAS_NS = {"cas": "http://www.yale.edu/tp/cas"}
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class SsoError(RuntimeError):
    """The identity provider's answer was refused; the message is for the log, not the user."""


def _fetch(url: str, timeout: float, data: Mapping[str, str] | None = None) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise SsoError("identity provider URL must be http(s)")
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bytes(response.read(1024 * 1024))
    except OSError as exc:
        raise SsoError(f"identity provider unreachable: {type(exc).__name__}") from exc


# ---- CAS -------------------------------------------------------------------------------


def cas_login_url(server: str, service: str) -> str:
    """Where to send the browser: the CAS log-in page, which returns with a ticket."""
    return server.rstrip("/") + "/login?" + urllib.parse.urlencode({"service": service})


def cas_validate(server: str, service: str, ticket: str, timeout: float) -> str:
    """Validate a service ticket with /serviceValidate; return the CAS user name."""
    if not ticket.startswith("ST-") or len(ticket) > 256:
        raise SsoError("malformed CAS ticket")
    query = urllib.parse.urlencode({"service": service, "ticket": ticket})
    body = _fetch(f"{server.rstrip('/')}/serviceValidate?{query}", timeout)
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - no DTDs or entities are expanded
    except ElementTree.ParseError as exc:
        raise SsoError("CAS answer is not XML") from exc
    user = root.find("cas:authenticationSuccess/cas:user", CAS_NS)
    if user is None or not (user.text or "").strip():
        raise SsoError("CAS refused the ticket")
    return (user.text or "").strip()


# ---- OpenID Connect --------------------------------------------------------------------


@dataclass(frozen=True)
class OidcRequest:
    """What the browser's session keeps between the redirect and the callback."""

    state: str
    nonce: str
    verifier: str
    url: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def discover(issuer: str, timeout: float) -> dict[str, Any]:
    """Read the provider's metadata and check that it speaks for this issuer."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        meta = json.loads(_fetch(url, timeout))
    except ValueError as exc:
        raise SsoError("provider metadata is not JSON") from exc
    if not isinstance(meta, dict) or meta.get("issuer") != issuer:
        raise SsoError("provider metadata names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(key), str):
            raise SsoError(f"provider metadata lacks {key}")
    return meta


def oidc_begin(
    meta: Mapping[str, Any], client_id: str, redirect_uri: str, scopes: str
) -> OidcRequest:
    """The authorization request with state, nonce and a PKCE (S256) challenge."""
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    challenge = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return OidcRequest(state, nonce, verifier, f"{meta['authorization_endpoint']}?{query}")


def oidc_finish(
    meta: Mapping[str, Any],
    config: Mapping[str, Any],
    *,
    code: str,
    redirect_uri: str,
    nonce: str,
    verifier: str,
    now: float,
) -> dict[str, Any]:
    """Redeem the code, verify the ID token (signature, iss, aud, exp, nonce); return claims."""
    timeout = float(config["SSO_TIMEOUT"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": str(config["OIDC_CLIENT_ID"]),
        "client_secret": str(config.get("OIDC_CLIENT_SECRET") or ""),
        "code_verifier": verifier,
    }
    # joserfc is loaded on the first OpenID Connect log-in: it slows every start-up otherwise.
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        tokens = json.loads(_fetch(str(meta["token_endpoint"]), timeout, form))
        keys = KeySet.import_key_set(json.loads(_fetch(str(meta["jwks_uri"]), timeout)))
    except (ValueError, KeyError, TypeError) as exc:
        raise SsoError("token or key answer unreadable") from exc
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if not isinstance(id_token, str):
        raise SsoError("no ID token in the token answer")
    client_id = str(config["OIDC_CLIENT_ID"])
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            now=int(now),
            leeway=60,
            iss={"essential": True, "value": str(config["OIDC_ISSUER"])},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SsoError(f"ID token refused: {type(exc).__name__}") from exc
    claims = token.claims
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise SsoError("ID token for several audiences without our azp")
    return claims
