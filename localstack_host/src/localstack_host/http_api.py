"""The template's HTTP API on loopback, for LocalStack's community edition (API Gateway v2 is Pro-only).

Reads the deployed stack's own template (CloudFormation ``GetTemplate``, stage ``Original``): every
``AWS::Serverless::Function`` event of type ``HttpApi`` is a route (``Method``, ``Path``) to that
function. Each request becomes an API Gateway HTTP API payload 2.0 event, the function is invoked
through LocalStack's Lambda API, and its answer is returned as HTTP API returns it: the function's
``statusCode``/``headers``/``cookies``/``body``, 500 when it fails, 503 past the 30 s integration limit.

Usage: ``python -m localstack_host.http_api --stack NAME [--endpoint URL] [--port N] [--url-file PATH]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

INTEGRATION_TIMEOUT_S = 30
"""HTTP API's maximum integration timeout."""
TEXT_TYPES = re.compile(r"^(text/|application/(json|x-www-form-urlencoded|xml|javascript))|\+json|\+xml")
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


@dataclass(frozen=True)
class Route:
    method: str  # a verb or ANY
    path: str  # /, /v1/{id}, /{proxy+}
    function_name: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters if this route serves the request, else None."""
        if self.method not in ("ANY", method):
            return None
        pattern = "^"
        for segment in self.path.strip("/").split("/") if self.path != "/" else []:
            if segment.startswith("{") and segment.endswith("+}"):
                pattern += rf"/(?P<{segment[1:-2]}>.+)"
            elif segment.startswith("{"):
                pattern += rf"/(?P<{segment[1:-1]}>[^/]+)"
            else:
                pattern += "/" + re.escape(segment)
        found = re.match(pattern + ("/?$" if self.path != "/" else "/$"), path)
        return found.groupdict() if found else None

    @property
    def specificity(self) -> tuple[int, int, int]:
        """HTTP API prefers literal paths, then fewer greedy variables, then an exact method over ANY."""
        return ("{" not in self.path, "+}" not in self.path, self.method != "ANY")


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) read as plain values."""


_TemplateLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


def routes_of(template: dict[str, Any], function_names: dict[str, str]) -> list[Route]:
    """The HttpApi events of the template's functions; ``function_names`` maps logical ids to names."""
    routes = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                properties = event.get("Properties") or {}
                method = str(properties.get("Method", "ANY")).upper()
                routes.append(Route(method, properties.get("Path", "/{proxy+}"), function_names[logical_id]))
    return sorted(routes, key=lambda r: r.specificity, reverse=True)


def load_routes(cloudformation: Any, stack: str) -> list[Route]:
    body = cloudformation.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    template = body if isinstance(body, dict) else yaml.load(body, Loader=_TemplateLoader)  # noqa: S506
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    names = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r.get("PhysicalResourceId")}
    routes = routes_of(template, names)
    if not routes:
        raise SystemExit(f"stack {stack}: its template routes no HttpApi event to a function")
    return routes


def http_api_event(route: Route, parameters: dict[str, str], request: BaseHTTPRequestHandler, body: bytes) -> dict:
    """The payload 2.0 event API Gateway sends for this request."""
    url = urlsplit(request.path)
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        name = name.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    query: dict[str, str] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    host = headers.get("host", "127.0.0.1")
    now = time.time()
    text = not body or TEXT_TYPES.search(headers.get("content-type", "text/plain")) is not None
    event = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host.split(":")[0],
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": request.command,
                "path": url.path,
                "protocol": request.request_version,
                "sourceIp": request.client_address[0],
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route.key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": not text,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if parameters:
        event["pathParameters"] = parameters
    if body:
        event["body"] = body.decode() if text else base64.b64encode(body).decode()
    return event


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """What HTTP API returns for a function's payload 2.0 answer."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return 200, [("content-type", "application/json")], json.dumps(result).encode()
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items() if k.lower() not in HOP_BY_HOP]
    headers += [("set-cookie", cookie) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return int(result["statusCode"]), headers, data


class Bridge:
    def __init__(self, routes: list[Route], lambda_client: Any) -> None:
        self.routes = routes
        self.lambda_client = lambda_client

    def handle(self, request: BaseHTTPRequestHandler) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(request.path).path
        for route in self.routes:
            parameters = route.match(request.command, path)
            if parameters is not None:
                break
        else:
            return 404, [("content-type", "application/json")], b'{"message":"Not Found"}'
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        event = http_api_event(route, parameters, request, body)
        try:
            reply = self.lambda_client.invoke(FunctionName=route.function_name, Payload=json.dumps(event).encode())
        except ReadTimeoutError:
            return 503, [("content-type", "application/json")], b'{"message":"Service Unavailable"}'
        payload = reply["Payload"].read()
        if reply.get("FunctionError"):
            sys.stderr.write(f"{route.function_name} failed: {payload[:2000]!r}\n")
            return 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
        return http_response(json.loads(payload or b"null"))


def serve(bridge: Bridge, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            status, headers, body = bridge.handle(self)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="LocalStack")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--url-file", help="written with the bridge's URL once it serves")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region, aws_access_key_id="test", aws_secret_access_key="test")
    config = Config(read_timeout=INTEGRATION_TIMEOUT_S, retries={"total_max_attempts": 1}, max_pool_connections=64)
    routes = load_routes(session.client("cloudformation", endpoint_url=args.endpoint), args.stack)
    server = serve(Bridge(routes, session.client("lambda", endpoint_url=args.endpoint, config=config)), args.port)
    url = f"http://127.0.0.1:{server.server_port}"
    for route in routes:
        sys.stderr.write(f"{route.key} -> {route.function_name}\n")
    if args.url_file:
        with open(args.url_file, "w") as file:
            file.write(url + "\n")
    sys.stderr.write(f"HTTP API of {args.stack} on {url}\n")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
