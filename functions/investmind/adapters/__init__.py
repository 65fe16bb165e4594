"""Every piece of AWS code: the clients and one adapter per service behind a port.

``aws`` (clients), ``dynamodb`` (tasks and the event log), ``sqs`` (the start queue),
``stepfunctions`` (start and stop executions), ``bedrock`` (the LLM), ``secrets`` (SSM / Secrets
Manager), ``market_cache`` (the shared market-part cache). Nothing is imported here: a caller loads
only the adapter it uses, so a domain import never pulls in boto3.
"""
