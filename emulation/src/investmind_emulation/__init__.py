"""What the two emulations of the stack share (the embedded runtime, ``infra/``, and LocalStack's plugins,
``localstack_host/``): code that runs in both, so that a fault means the same on each. It imports nothing of
the project's package (LocalStack's venv has no ``investmind``) and nothing of either emulator."""
