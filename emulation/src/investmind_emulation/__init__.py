"""What the two emulations of the stack share (the embedded runtime, ``infra/``, and LocalStack's plugins,
``localstack_host/``): code that runs in both, so that a fault, a Query or a failed Invoke means the same on
each.

- :mod:`.faults`: the fault plan the tests inject (``INVESTMIND_FAULTS``).
- :mod:`.moto_fixes`: moto's DynamoDB Query over a partition, and its transactions rolled back in place.
- :mod:`.sfn_fixes`: Step Functions naming a failed Lambda Invoke ``Lambda.<code>``, as AWS does.

It imports nothing of the project's package (LocalStack's venv has no ``investmind``) and imports each
emulator's modules only inside the functions that wrap them: each side hands in its own.
"""
