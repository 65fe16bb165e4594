"""Real-shaped Lambda events shared by the test tiers (small factories, not pasted literals)."""

from __future__ import annotations

from urllib.parse import urlencode

DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com"


def http_api_event(method: str, path: str, *, headers=None, query=None, body: str | None = None) -> dict:
    """An API Gateway HTTP API event (payload format 2.0) as Lambda receives it."""
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {
            "accept": "*/*",
            "host": DOMAIN,
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": "Root=1-6747f6a4-0123456789abcdef01234567",
            "x-forwarded-for": "203.0.113.9",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": DOMAIN,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "CkdzAg0ZliAEMZw=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "28/Nov/2026:06:00:00 +0000",
            "timeEpoch": 1795759200000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
        event["headers"]["content-type"] = "application/json"
    return event
