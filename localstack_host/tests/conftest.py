"""The plugin's tests. Those here need neither LocalStack nor Docker, so `make test` runs them: the
runtime client is standard library only, the stream fix needs only moto. The executor and the
providers run inside LocalStack and are tested by `make test-localstack`."""

from __future__ import annotations

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
