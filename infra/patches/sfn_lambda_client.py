"""One boto3 Lambda client per region for Step Functions' Lambda tasks.

moto's Step Functions interpreter builds a new boto3 client (``lambda_eval_utils.boto_client_for``)
for every Lambda task it runs; creating a client costs more CPU than the invoke itself. This
replaces the name in ``lambda_eval_utils`` with a cache of one client per (region, service), on
moto's own settings (the moto server's port; no SDK retries: the state machine's ``Retry``
decides) and with a connection pool as large as a burst of parallel branches.

Written against moto 5.2.5.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
_UTILS = "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils"
RELIES_ON = (
    Internal(_UTILS, "boto_client_for", params=("region", "service", "state_credentials")),
    # Both Lambda paths look the name up in the module at call time.
    Internal(_UTILS, "exec_lambda_function", source=("boto_client_for(",)),
    Internal(_UTILS, "_invoke_lambda_function", source=("boto_client_for(",)),
    Internal("moto.settings", "moto_server_port", params=()),
)


def cached_clients(original: Any) -> Any:
    import boto3
    from botocore.config import Config
    from moto.settings import moto_server_port

    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    @functools.wraps(original)
    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in clients:
                clients[(region, service)] = boto3.client(
                    service,
                    region_name=region,
                    endpoint_url=f"http://127.0.0.1:{moto_server_port()}",
                    aws_access_key_id="ak",
                    aws_secret_access_key="sk",
                    config=Config(
                        parameter_validation=False,
                        retries={"max_attempts": 0, "total_max_attempts": 1},
                        connect_timeout=60,
                        read_timeout=900,
                        max_pool_connections=256,
                    ),
                )
            return clients[(region, service)]

    return client_for


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    import importlib

    utils = importlib.import_module(_UTILS)
    set_attr(utils, "boto_client_for", cached_clients(utils.boto_client_for))
