"""The tushare token never travels over plain HTTP: the real tushare client, sent to its https endpoint."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from investmind.market.base import PartUnavailable
from investmind.market.providers.tushare import TUSHARE_URL, TushareProvider, pro_api_over_https

TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef01234567"


class _Reply:
    """What requests.post returns, as far as tushare's client reads it (truthy, and its text)."""

    def __init__(self, body: dict) -> None:
        self.text = json.dumps(body)

    def __bool__(self) -> bool:
        return True


def test_the_real_tushare_client_posts_the_token_to_its_https_endpoint_only(monkeypatch):
    tushare = pytest.importorskip("tushare")  # a dev dependency; the Lambdas get it with the providers extra
    sent: list[tuple[str, dict]] = []

    # requests.post is the network boundary (no network here): record what the client would send.
    def post(url: str, json: dict, timeout: float) -> _Reply:
        sent.append((url, json))
        fields = ["ts_code", "name", "industry"]
        return _Reply({"code": 0, "msg": "", "data": {"fields": fields, "items": [["600036.SH", "招商银行", "银行"]]}})

    monkeypatch.setattr("requests.post", post)
    # GIVEN the provider with its default client (tushare.pro_api), as a deployment builds it
    provider = TushareProvider(lambda: TOKEN)
    # WHEN a part is asked for
    profile = provider.profile("600036.SH", None)
    # THEN the client answered, and every request that carried the token went to the https endpoint
    assert profile.name == "招商银行" and profile.industry == "银行"
    assert sent and all(body["token"] == TOKEN for _, body in sent)
    assert [url for url, _ in sent] == [f"{TUSHARE_URL}/stock_basic"]
    assert TUSHARE_URL.startswith("https://")
    # AND the library's own default is still plain http: without the override the token would go in clear
    assert tushare.pro_api(TOKEN)._DataApi__http_url.startswith("http://")


def test_a_tushare_client_whose_endpoint_cannot_be_set_is_refused_not_used():
    # A future client without the private URL attribute: refused (the part goes to the next provider).
    library = SimpleNamespace(pro_api=lambda token: object(), __version__="9.9")
    with pytest.raises(PartUnavailable, match="cannot set its endpoint to https"):
        pro_api_over_https(library, TOKEN)
