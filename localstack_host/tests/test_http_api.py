"""The HTTP API bridge's routing and payload 2.0 shapes (its Lambda calls run in `make test-localstack`)."""

from __future__ import annotations

import base64
import io
import json
from email.message import Message

import pytest
from localstack_host.http_api import Route, http_api_event, http_response, routes_of

TEMPLATE = {
    "Resources": {
        "Api": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Events": {
                    "Root": {"Type": "HttpApi", "Properties": {"Path": "/", "Method": "GET"}},
                    "Proxy": {"Type": "HttpApi", "Properties": {"Path": "/{proxy+}", "Method": "ANY"}},
                    "Queue": {"Type": "SQS", "Properties": {"Queue": "arn"}},
                }
            },
        },
        "Items": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Events": {"One": {"Type": "HttpApi", "Properties": {"Path": "/items/{id}", "Method": "post"}}}
            },
        },
        "Table": {"Type": "AWS::DynamoDB::Table"},
    }
}
NAMES = {"Api": "stack-Api-1", "Items": "stack-Items-2"}


def route_for(method: str, path: str) -> tuple[str, dict] | None:
    for route in routes_of(TEMPLATE, NAMES):
        if (parameters := route.match(method, path)) is not None:
            return route.key, parameters
    return None


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/", ("GET /", {})),
        ("POST", "/", None),  # the root route is GET only and {proxy+} needs a segment
        ("GET", "/v1/analyses/abc/stream", ("ANY /{proxy+}", {"proxy": "v1/analyses/abc/stream"})),
        ("POST", "/items/42", ("POST /items/{id}", {"id": "42"})),  # a literal prefix wins over the greedy route
        ("GET", "/items/42", ("ANY /{proxy+}", {"proxy": "items/42"})),
    ],
)
def test_routes_come_from_the_templates_httpapi_events_most_specific_first(method, path, expected):
    assert route_for(method, path) == expected


class FakeRequest:
    """What the bridge reads from http.server's request handler."""

    def __init__(self, command: str, path: str, headers: list[tuple[str, str]]) -> None:
        self.command, self.path, self.request_version = command, path, "HTTP/1.1"
        self.client_address = ("127.0.0.1", 5555)
        self.headers = Message()
        for name, value in headers:
            self.headers[name] = value
        self.rfile = io.BytesIO()


def test_request_becomes_a_payload_2_0_event_with_joined_headers_cookies_and_query():
    route = Route("ANY", "/{proxy+}", "fn")
    request = FakeRequest(
        "POST",
        "/v1/analyses?limit=5&tag=a&tag=b",
        [("Content-Type", "application/json"), ("X-Many", "1"), ("X-Many", "2"), ("Cookie", "a=1; b=2")],
    )

    event = http_api_event(route, {"proxy": "v1/analyses"}, request, b'{"symbol": "600000"}')

    assert event["version"] == "2.0" and event["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/v1/analyses" and event["rawQueryString"] == "limit=5&tag=a&tag=b"
    assert event["queryStringParameters"] == {"limit": "5", "tag": "a,b"}
    assert event["headers"]["x-many"] == "1,2" and "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["requestContext"]["http"]["method"] == "POST" and event["pathParameters"] == {"proxy": "v1/analyses"}
    assert event["body"] == '{"symbol": "600000"}' and event["isBase64Encoded"] is False


def test_binary_body_is_base64_encoded():
    request = FakeRequest("PUT", "/blob", [("Content-Type", "application/octet-stream")])
    event = http_api_event(Route("ANY", "/{proxy+}", "fn"), {}, request, b"\x00\xff")
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\xff"


def test_function_answer_becomes_the_http_response():
    status, headers, body = http_response(
        {
            "statusCode": 202,
            "headers": {"content-type": "text/event-stream", "content-length": "999"},
            "cookies": ["s=1; Path=/"],
            "body": base64.b64encode(b"id: 1\n\n").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 202 and body == b"id: 1\n\n"
    assert headers == [("content-type", "text/event-stream"), ("set-cookie", "s=1; Path=/")]  # its own length
    # An answer without statusCode is taken as a JSON body, as HTTP API infers for payload 2.0.
    assert http_response({"ok": True}) == (
        200,
        [("content-type", "application/json")],
        json.dumps({"ok": True}).encode(),
    )
