"""HS256 JSON Web Tokens, signed with the standard library: the one token minter of the scripts."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

DAY_SECONDS = 86400


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def mint_hs256(secret: str, claims: dict[str, Any]) -> str:
    """A compact HS256 token of CLAIMS signed with SECRET (its UTF-8 bytes, as the responder reads JWT_SECRET)."""
    head = _base64url(_compact_json({"alg": "HS256", "typ": "JWT"}))
    body = _base64url(_compact_json(claims))
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_base64url(mac)}"


def tenant_token(secret: str, tenant: str, subject: str, lifetime_s: int = DAY_SECONDS) -> str:
    """A token for TENANT (claim tenantId) of user SUBJECT, issued now, valid LIFETIME_S seconds (24 h)."""
    now = int(time.time())
    return mint_hs256(secret, {"sub": subject, "tenantId": tenant, "iat": now, "exp": now + lifetime_s})
