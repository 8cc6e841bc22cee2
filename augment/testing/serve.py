"""Start a loopback server from the command line, for dry runs of a job with ``base_url``.

```
python -m augment.testing.serve openai --port 8765      # OpenAI chat completions at /v1
python -m augment.testing.serve anthropic --port 8766   # Anthropic messages
```

Every request is answered with a plausible, schema-valid answer that passes the
built-in tasks' checks, deterministic by ``--seed`` (``--fault-rate`` adds random
429/500/503 answers). Point a job at it with ``base_url`` (``http://127.0.0.1:PORT/v1``
for openai, ``http://127.0.0.1:PORT`` for anthropic) and any API key, e.g.
``OPENAI_API_KEY=dry-run``. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from augment.testing.servers import AnthropicServer, OpenAIServer

__all__ = ["main", "SERVERS"]

SERVERS: dict[str, type[OpenAIServer] | type[AnthropicServer]] = {
    "openai": OpenAIServer, "anthropic": AnthropicServer}


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; returns the exit code (2 when the port cannot be used)."""
    parser = argparse.ArgumentParser(prog="python -m augment.testing.serve",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("api", choices=sorted(SERVERS), help="wire format to speak")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the answers (default 0)")
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="share of requests answered with a transient fault (default 0)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535 or not 0.0 <= args.fault_rate <= 1.0:
        print("serve: error: --port must be within 0..65535 and --fault-rate within 0..1",
              file=sys.stderr)
        return 2
    server = SERVERS[args.api](seed=args.seed, fault_rate=args.fault_rate, port=args.port)
    try:
        server.start()  # returns the base class: keep ``server`` typed as the subclass
    except OSError as exc:
        print(f"serve: error: cannot listen on port {args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    url = getattr(server, "base_url", server.url)
    print(f"serving the {args.api} API at {url} (base_url); Ctrl-C to stop",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
