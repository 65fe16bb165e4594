"""The auth package on its own: API keys (hashed, revocable, owner-bound), JWT checks against a JWKS, stream tokens."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from investmind.adapters.memory_keys import AsyncMemoryKeyStore
from investmind.auth import ApiKeys, Caller, Identity, JwtVerifier, StreamTokens
from investmind.errors import Forbidden, NotFound, Unauthorized

ADMIN = Caller(owner="root", admin=True, via="api_key")
ISSUER, AUDIENCE = "https://issuer.test", "investmind"


def run(coroutine):
    return asyncio.run(coroutine)


def test_api_key_is_stored_as_a_digest_and_authenticates_its_owner():
    store = AsyncMemoryKeyStore()
    keys = ApiKeys(store)

    issued = run(keys.create(ADMIN, "alice", "laptop"))

    record = store.keys[issued.record.key_id]
    assert issued.key not in json.dumps(record.model_dump()) and issued.key.split("_", 2)[2] not in record.digest
    assert "digest" not in issued.record.public()
    caller = run(keys.authenticate(issued.key))
    assert (caller.owner, caller.admin, caller.via) == ("alice", False, "api_key")
    assert store.keys[record.key_id].last_used_at is not None


def test_api_key_with_a_wrong_secret_or_revoked_is_refused():
    keys = ApiKeys(AsyncMemoryKeyStore())
    issued = run(keys.create(ADMIN, "alice", "laptop"))
    key_id = issued.record.key_id
    wrong = issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")

    with pytest.raises(Unauthorized):
        run(keys.authenticate(wrong))
    run(keys.revoke(Caller(owner="alice", via="api_key"), key_id))
    with pytest.raises(Unauthorized, match="revoked"):
        run(keys.authenticate(issued.key))


def test_non_admin_manages_only_its_own_keys():
    keys = ApiKeys(AsyncMemoryKeyStore())
    alice, bob = Caller(owner="alice", via="jwt"), Caller(owner="bob", via="jwt")
    bobs = run(keys.create(bob, "bob", "ci"))

    with pytest.raises(Forbidden):
        run(keys.create(alice, "bob", "sneaky"))
    with pytest.raises(Forbidden):
        run(keys.create(alice, "alice", "promote me", role="admin"))
    with pytest.raises(NotFound):
        run(keys.revoke(alice, bobs.record.key_id))
    assert run(keys.list(alice)) == []
    assert [r.owner for r in run(keys.list(ADMIN))] == ["bob"]


def test_configured_admin_owner_is_admin():
    keys = ApiKeys(AsyncMemoryKeyStore(), admin_owners=frozenset({"ops"}))
    issued = run(keys.create(ADMIN, "ops", "pager"))

    assert run(keys.authenticate(issued.key)).admin


@pytest.fixture(scope="module")
def issuer():
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    verifier = JwtVerifier(
        ISSUER, AUDIENCE, jwt.PyJWKSet.from_dict({"keys": [{**public, "kid": "k1", "alg": "ES256"}]})
    )
    return key, verifier


def _token(key, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now + 600, "nbf": now, **overrides}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="ES256", headers={"kid": "k1"})


def test_jwt_verifier_accepts_a_good_token_and_cognito_access_tokens(issuer):
    key, verifier = issuer

    assert run(verifier.authenticate(_token(key))).owner == "alice"
    assert run(verifier.authenticate(_token(key, aud=None, client_id=AUDIENCE))).via == "jwt"


@pytest.mark.parametrize(
    "overrides",
    [{"exp": int(time.time()) - 3600}, {"nbf": int(time.time()) + 3600}, {"aud": "other"}, {"iss": "https://evil"},
     {"sub": None}, {"exp": None}],
    ids=["expired", "not yet valid", "wrong audience", "wrong issuer", "no sub", "no exp"],
)  # fmt: skip
def test_jwt_verifier_refuses(issuer, overrides):
    key, verifier = issuer
    with pytest.raises(Unauthorized):
        run(verifier.authenticate(_token(key, **overrides)))


def test_jwt_verifier_refuses_alg_none_and_foreign_keys(issuer):
    _, verifier = issuer
    unsigned = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": time.time() + 60}, None, algorithm="none")
    for token in (unsigned, _token(ec.generate_private_key(ec.SECP256R1()))):
        with pytest.raises(Unauthorized):
            run(verifier.authenticate(token))


def test_jwt_verifier_refuses_symmetric_allow_lists(issuer):
    for algorithms in (["HS256"], ["ES256", "none"]):
        with pytest.raises(ValueError):
            JwtVerifier(ISSUER, AUDIENCE, issuer[1].jwks, algorithms=algorithms)


def test_stream_token_is_scoped_to_its_task_and_expires():
    tokens = StreamTokens("s" * 48, dt.timedelta(minutes=5))
    token, expires = tokens.issue("alice", "a" * 32)

    assert tokens.verify(token, "a" * 32).owner == "alice" and expires - time.time() <= 300
    with pytest.raises(Unauthorized, match="another analysis"):
        tokens.verify(token, "b" * 32)
    old, _ = tokens.issue("alice", "a" * 32, now=time.time() - 3600)
    with pytest.raises(Unauthorized):
        tokens.verify(old, "a" * 32)
    with pytest.raises(Unauthorized):
        StreamTokens("t" * 48).verify(token, "a" * 32)  # another deployment's secret


def test_identity_fails_closed_and_tells_missing_from_bad():
    identity = Identity(None, None)

    with pytest.raises(Unauthorized) as missing:
        run(identity.authenticate(None))
    with pytest.raises(Unauthorized) as bad:
        run(identity.authenticate("Bearer imk_0123456789abcdef_" + "A" * 43))
    assert missing.value.headers == {"WWW-Authenticate": 'Bearer realm="investmind"'}
    assert bad.value.headers["WWW-Authenticate"].endswith('error="invalid_token"')
