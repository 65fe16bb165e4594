"""ApiFunction: the FastAPI app behind API Gateway (HTTP API, payload 2.0), through Mangum."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from mangum import Mangum

from ..composition.api import create_aws_app

# The service's JSON logger: the app's own loggers (investmind.*, e.g. each request's caller) write through it.
logger = Logger()

# lifespan="off": Mangum would run the app's start-up and shutdown around every invocation, closing
# the AWS clients each time; without it the app opens them on the first request and keeps them for
# the life of the execution environment (Lambda freezes it rather than shutting it down).
lambda_handler = Mangum(create_aws_app(), lifespan="off")
