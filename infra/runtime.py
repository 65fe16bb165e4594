"""The embedded runtime: the whole system on loopback, built from ``template.yaml`` (docs/architecture.md §7).

A moto server (DynamoDB, SQS, Step Functions executing the real ASL), every function of the
template run in-process, the template's event sources emulated by pollers, and uvicorn serving
the ApiFunction's ASGI app with true streaming SSE. Adding a table, queue or function to the
template needs no edit here.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import boto3

from investmind_emulation.faults import FaultPlan

from .emulator import MotoEmulator, free_port
from .faults import CrashingQueue
from .lambdas import LocalFunction, LocalLambda
from .local_identity import LocalIssuer, check_exposure, configured_key, create_admin_key
from .pollers import ExecutionEndedRule, Poller, ScheduleRule, SqsPoller, StreamPoller, rate_seconds
from .template import ROOT, Template, create_table_request

logger = logging.getLogger(__name__)
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Per-function variables that differ between functions cannot be process-wide; they reach each
# in-process invocation through investmind.settings.function_environment instead.
_SERVED_API_ENV = {
    "INVESTMIND_SSE_MODE": "stream",  # uvicorn streams; Mangum on Lambda is bounded
    # The functions append in this process, so SSE feeds are woken at once (investmind.store.notify);
    # polling is only the fallback here, and 100 followed analyses would otherwise cost 1,000 queries/s.
    "INVESTMIND_SSE_POLL_MS": "1000",
}
# Resources with nothing to emulate here, declared (a !Ref to them resolves to a name) but not created:
# operations (the functions' JSON logs and EMF metric lines go to stdout or the runtime's log file, not to
# CloudWatch, and nothing is alarmed on), IAM-like policies nothing here enforces, and Cognito (the runtime
# runs its own issuer, infra/local_identity.py, and names it as JwtIssuer, so the user pool's Condition is false).
NOT_EMULATED = frozenset(
    {
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolDomain",
        "AWS::Logs::LogGroup",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::SQS::QueuePolicy",
    }
)


class EmbeddedRuntime:
    def __init__(
        self,
        api_port: int | None = None,
        stack_name: str = "investmind-local",
        extra_env: dict[str, str] | None = None,
        log_path: Path | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.api_port = api_port or int(os.environ.get("INVESTMIND_PORT", "8000"))
        self.host = host
        check_exposure(host, configured_key())
        issuer_key = os.environ.get("INVESTMIND_LOCAL_ISSUER_KEY")  # tests: a PEM they mint tokens with
        self.issuer = LocalIssuer(self.api_url, Path(issuer_key) if issuer_key else None)
        self.admin_key = ""
        """The local deployment's admin API key (``INVESTMIND_API_KEY``, or made at start)."""
        # The API trusts the local issuer (or the one the shell names), never the template's user pool.
        identity = self.issuer.environment()
        issuer = os.environ.get("INVESTMIND_JWT_ISSUER") or identity["INVESTMIND_JWT_ISSUER"]
        audience = os.environ.get("INVESTMIND_JWT_AUDIENCE") or identity["INVESTMIND_JWT_AUDIENCE"]
        self.template = Template.load(
            stack_name=stack_name,
            region=REGION,
            account_id=ACCOUNT,
            parameters={"Stage": "local", "JwtIssuer": issuer, "JwtAudience": audience},
        )
        self.extra_env = extra_env or {}
        # Tests and benchmarks only: the faults the in-process invoker injects (investmind_emulation.faults).
        plan = self.extra_env.get("INVESTMIND_FAULTS", os.environ.get("INVESTMIND_FAULTS"))
        self.lambdas = LocalLambda(faults=FaultPlan.from_json(plan))
        self.emulator = MotoEmulator(self.lambdas.invoke_http)
        self.pollers: list[Poller] = []
        self.outputs: dict[str, str] = {}
        self.log_path = log_path
        self._shell_env = dict(os.environ)
        self._uvicorn: Any = None
        self._api_thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, serve_api: bool = True, event_sources: bool = True) -> EmbeddedRuntime:
        """Start everything; without ``event_sources`` nothing consumes the queues or the stream
        (the benchmark of the API's own submit latency uses that)."""
        self._set_process_env()
        self.emulator.start()
        self._provision()
        self._configure_identity()
        self._load_functions()
        if event_sources:
            self._start_event_sources()
        if serve_api:
            self._start_api()
        return self

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            if self._api_thread:
                self._api_thread.join(timeout=10)
        for poller in self.pollers:
            poller.join(timeout=5)
        self.lambdas.shutdown()
        self.emulator.stop()
        if getattr(self, "_log_stream", None) is not None:
            self._log_stream.close()

    def __enter__(self) -> EmbeddedRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set_process_env(self) -> None:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.emulator.endpoint,
                "MOTO_PORT": str(self.emulator.port),
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }
        )
        os.environ.update(self.extra_env)
        from investmind.settings import get_settings

        get_settings.cache_clear()

    def _configure_identity(self) -> None:
        """Trust the local issuer (unless the shell names another) and register the admin key."""
        if not self._shell_env.get("INVESTMIND_JWT_ISSUER"):
            os.environ.update(self.issuer.environment())
        from investmind.settings import get_settings

        get_settings.cache_clear()
        self.admin_key = create_admin_key(self.template.refs["KeysTable"], configured_key())

    # -- resources -------------------------------------------------------------------------------
    def _provision(self) -> None:
        t = self.template
        pending = dict(t.active_resources)  # a resource whose Condition is false is not created
        creators = {
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::SQS::Queue": self._create_queue,
            "AWS::Serverless::Function": self._declare_function,
            "AWS::Serverless::StateMachine": self._create_state_machine,
            "AWS::Serverless::HttpApi": self._declare_http_api,
        }
        for logical_id in [lid for lid, r in pending.items() if r["Type"] in NOT_EMULATED]:
            self.template.refs[logical_id] = self._physical_name(logical_id)
            del pending[logical_id]
        # Create in dependency order: a resource whose intrinsics cannot resolve yet waits a round.
        while pending:
            progressed = False
            for logical_id, resource in list(pending.items()):
                create = creators.get(resource["Type"])
                if create is None:
                    raise NotImplementedError(f"the embedded runtime cannot create {resource['Type']} ({logical_id})")
                try:
                    create(logical_id, resource.get("Properties", {}))
                except KeyError:
                    continue
                del pending[logical_id]
                progressed = True
            if not progressed:
                raise RuntimeError(f"unresolvable references among {sorted(pending)}")
        self._configure_functions()
        self.outputs = {
            key: self._output(spec["Value"])
            for key, spec in t.doc.get("Outputs", {}).items()
            if "Condition" not in spec or t.condition(spec["Condition"])
        }
        self.outputs.update({"MotoEndpoint": self.emulator.endpoint, "Region": REGION})

    def _physical_name(self, logical_id: str) -> str:
        return f"{self.template.stack_name}-{logical_id}"

    def _create_table(self, logical_id: str, props: dict) -> None:
        props = self.template.resolve(props)
        name = self._physical_name(logical_id)
        ddb = boto3.client("dynamodb", region_name=REGION)
        description = ddb.create_table(**create_table_request(name, props))["TableDescription"]
        if props.get("TimeToLiveSpecification"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
        self.template.refs[logical_id] = name
        self.template.attrs[(logical_id, "Arn")] = description["TableArn"]
        if "LatestStreamArn" in description:
            self.template.attrs[(logical_id, "StreamArn")] = description["LatestStreamArn"]

    def _create_queue(self, logical_id: str, props: dict) -> None:
        props = self.template.resolve(props)
        name = self._physical_name(logical_id)
        attributes = {
            k: (json.dumps(v) if isinstance(v, dict) else str(v))
            for k, v in props.items()
            if k in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy", "DelaySeconds")
        }
        # Tests only: how long a batch whose function crashed stays invisible before it is delivered
        # again (the template's, 180 s, would make a crashed-starter test wait three minutes). Keep it
        # above the consuming function's timeout, as AWS requires.
        visibility = self.extra_env.get("INVESTMIND_LOCAL_VISIBILITY_TIMEOUT_S") or os.environ.get(
            "INVESTMIND_LOCAL_VISIBILITY_TIMEOUT_S"
        )
        if visibility and "VisibilityTimeout" in attributes:
            attributes["VisibilityTimeout"] = visibility
        url = boto3.client("sqs", region_name=REGION).create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.template.refs[logical_id] = url
        self.template.attrs[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.template.attrs[(logical_id, "QueueName")] = name

    def _declare_function(self, logical_id: str, props: dict) -> None:
        name = self._physical_name(logical_id)
        self.template.refs[logical_id] = name
        self.template.attrs[(logical_id, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"

    def _create_state_machine(self, logical_id: str, props: dict) -> None:
        substitutions = self.template.resolve(props.get("DefinitionSubstitutions", {}))
        definition = (ROOT / props["DefinitionUri"]).read_text()
        for key, value in substitutions.items():
            definition = definition.replace("${" + key + "}", value)
        name = self._physical_name(logical_id)
        arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name=name,
            definition=definition,
            type=props.get("Type", "STANDARD"),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        )["stateMachineArn"]
        self.template.refs[logical_id] = arn
        self.template.attrs[(logical_id, "Arn")] = arn
        self.template.attrs[(logical_id, "Name")] = name

    def _declare_http_api(self, logical_id: str, props: dict) -> None:
        self.template.refs[logical_id] = "local"

    def _output(self, value: Any) -> str:
        # An output built on an HttpApi is the API's URL: here, the local uvicorn.
        if "HttpApi" in json.dumps(value):
            return self.api_url
        return str(self.template.resolve(value))

    # -- functions and their event sources -------------------------------------------------------
    def _configure_functions(self) -> None:
        t = self.template
        envs: dict[str, dict[str, str]] = {}
        for logical_id in t.of_type("AWS::Serverless::Function"):
            props = t.function_properties(logical_id)
            env = {k: str(v) for k, v in t.resolve(props["Environment"]["Variables"]).items()}
            # Locally, configuration set in the shell wins over the template's defaults (as parameter
            # overrides do on AWS), e.g. INVESTMIND_DATA_PROVIDERS=akshare,bundled make run.
            env.update({k: v for k, v in self._shell_env.items() if k in env and k.startswith("INVESTMIND_")})
            env.update(self.extra_env)
            envs[logical_id] = env
            self.lambdas.add(
                LocalFunction(
                    logical_id=logical_id,
                    name=t.refs[logical_id],
                    arn=t.attrs[(logical_id, "Arn")],
                    handler_path=props["Handler"],
                    timeout_s=float(props.get("Timeout", 3)),
                    memory_mb=int(props.get("MemorySize", 128)),
                    environment=env,
                )
            )
        self.lambdas.check_fault_targets()
        # Variables every function agrees on become process-wide (the API served by uvicorn and
        # the pollers' own clients read them); the rest stay per invocation.
        shared = {
            k: v
            for env in envs.values()
            for k, v in env.items()
            if all(other.get(k, v) == v for other in envs.values())
        }
        shared.update(_SERVED_API_ENV)
        os.environ.update(shared)
        from investmind.settings import get_settings

        get_settings.cache_clear()

    def _load_functions(self) -> None:
        """Import every handler now, as Lambda's init phase would, so no analysis pays for it."""
        for function in self.lambdas.functions.values():
            function.handler()
        if self.log_path is not None:
            # The functions' JSON logs (Powertools writes them to stdout) go to a file instead.
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            stream = open(self.log_path, "a", buffering=1)  # noqa: SIM115 - open for the runtime's life
            for name in ("investmind", "investmind.metrics", "moto", ""):
                for handler in logging.getLogger(name).handlers:
                    if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                        handler.setStream(stream)
            self._log_stream = stream

    def _start_event_sources(self) -> None:
        t = self.template
        for logical_id in t.of_type("AWS::Serverless::Function"):
            name = t.refs[logical_id]
            for event in t.resources[logical_id]["Properties"].get("Events", {}).values():
                props = t.resolve(event.get("Properties", {}))
                reports = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
                if event["Type"] == "SQS":
                    queue_arn = props["Queue"]
                    url = self._queue_url(queue_arn)
                    self.pollers.append(
                        SqsPoller(self.lambdas, name, url, queue_arn, int(props.get("BatchSize", 10)), reports, REGION)
                    )
                elif event["Type"] == "DynamoDB":
                    on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                    self.pollers.append(
                        StreamPoller(
                            self.lambdas,
                            name,
                            props["Stream"],
                            int(props.get("BatchSize", 100)),
                            int(props.get("MaximumRetryAttempts", 10)),
                            REGION,
                            [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])],
                            on_failure_url=self._queue_url(on_failure) if on_failure else None,
                        )
                    )
                elif event["Type"] == "Schedule":
                    # Tests shorten every schedule to seconds (INVESTMIND_SCHEDULE_PERIOD_S); else the template's rate.
                    period = os.environ.get("INVESTMIND_SCHEDULE_PERIOD_S") or rate_seconds(props["Schedule"])
                    self.pollers.append(ScheduleRule(self.lambdas, name, float(period), REGION))
                elif event["Type"] == "EventBridgeRule":
                    pattern = props["Pattern"]
                    if pattern.get("source") == ["aws.states"]:
                        for arn in pattern["detail"].get("stateMachineArn", []):
                            self.pollers.append(
                                ExecutionEndedRule(self.lambdas, name, arn, pattern["detail"]["status"], REGION)
                            )
        for poller in self.pollers:
            poller.start()

    def _queue_url(self, queue_arn: str) -> str:
        name = queue_arn.rsplit(":", 1)[-1]
        return next(u for u in self.template.refs.values() if isinstance(u, str) and u.endswith("/" + name))

    def _start_api(self, fresh: bool = False) -> None:
        import uvicorn

        if fresh:  # a new process's app: its own backend clients, nothing kept from the last one
            from investmind.composition.api import create_aws_app

            app = create_aws_app()
        else:
            app = self.lambdas.by_logical_id("ApiFunction").handler().app  # Mangum wraps it; uvicorn serves it
        if self.lambdas.faults.crashes_api:
            from investmind.api.deps import BackendHolder

            app.state.backend = BackendHolder(opener=self._crashing_backend)
        self.issuer.serve_jwks(app)
        config = uvicorn.Config(app, host=self.host, port=self.api_port, log_level="warning", lifespan="on")
        self._uvicorn = uvicorn.Server(config)
        self._api_thread = threading.Thread(target=self._uvicorn.run, name="uvicorn", daemon=True)
        self._api_thread.start()
        deadline = time.monotonic() + 30
        while not self._uvicorn.started and self._api_thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._uvicorn.started:
            raise RuntimeError(f"the API could not start on port {self.api_port}")

    async def _crashing_backend(self) -> Any:
        """The API's backend with the plan's ``api.send`` faults on its start queue (infra/faults.py)."""
        from investmind.composition.api import open_aws_backend
        from investmind.settings import get_settings

        backend = await open_aws_backend(get_settings())
        return dataclasses.replace(backend, queue=CrashingQueue(backend.queue, self.lambdas.faults))

    def restart_api(self) -> None:
        """The API process dying and coming back (tests: SIGHUP to ``serve``): every open connection is
        cut at once, SSE streams mid-event included, as a crash would, and a fresh app serves the same
        port. Clients reconnect (an EventSource with ``Last-Event-ID``); the functions run on."""
        server = self._uvicorn
        loop = server.servers[0].get_loop()

        def crash() -> None:
            for connection in list(server.server_state.connections):
                connection.transport.abort()
            server.force_exit = server.should_exit = True

        loop.call_soon_threadsafe(crash)
        if self._api_thread:
            self._api_thread.join(timeout=30)
        self._start_api(fresh=True)
        logger.warning("the API restarted on %s", self.api_url)

    def write_outputs(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.outputs, indent=2))


def serve(port: int | None = None, outputs_path: Path | None = None, host: str | None = None) -> None:
    """Run the embedded runtime until interrupted (``make run``, ``investmind local``)."""
    runtime = EmbeddedRuntime(api_port=port, host=host or os.environ.get("INVESTMIND_HOST", "127.0.0.1")).start()
    if outputs_path:
        runtime.write_outputs(outputs_path)
    # A line of its own, the contract of docs/architecture.md §9: the CLI and the checks read it.
    print(f"INVESTMIND_API_KEY={runtime.admin_key}", flush=True)
    print(f"InvestMind is serving on {runtime.api_url}  (console: {runtime.api_url}/, Ctrl-C to stop)", flush=True)
    stop = threading.Event()
    # SIGHUP restarts the API (the tests of clients streaming through an API restart send it).
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=runtime.restart_api, name="api-restart").start())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()


__all__ = ["EmbeddedRuntime", "serve", "free_port"]
