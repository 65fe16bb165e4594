"""Reading a secret (a data provider's token, the LLM endpoint's key) from SSM Parameter Store or Secrets Manager
(an adapter: clients passed in)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

_SECRETS_PREFIXES = ("arn:aws:secretsmanager:", "arn:aws-cn:secretsmanager:", "secretsmanager:")


def read_secret(name: str, client: Callable[[str], Any]) -> str:
    """The secret string stored under ``name``.

    ``name`` is an SSM parameter name (a SecureString is decrypted), or a Secrets Manager secret
    given as its ARN or as ``secretsmanager:<secret id>``. ``client(service)`` returns a boto3
    client. Raises ``LookupError`` when there is no such parameter or secret; other errors
    (throttling, permissions) propagate. The value is never logged.
    """
    if name.startswith(_SECRETS_PREFIXES):
        secret_id = name.removeprefix("secretsmanager:")
        manager = client("secretsmanager")
        try:
            value = manager.get_secret_value(SecretId=secret_id)["SecretString"]
        except manager.exceptions.ResourceNotFoundException as exc:
            raise LookupError(f"no secret {secret_id!r}") from exc
    else:
        ssm = client("ssm")
        try:
            value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound as exc:
            raise LookupError(f"no SSM parameter {name!r}") from exc
    logger.info("secret read", extra={"secret_name": name})
    return value.strip()
