"""``python -m stripe_simulator``: serve the simulator on loopback (``billing serve
--with-stripe-simulator`` runs it this way for ``make run``)."""

from __future__ import annotations

import argparse
import os

import uvicorn

from stripe_simulator.app import build_simulator_app
from stripe_simulator.config import SimulatorConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_simulator",
        description="A Stripe-compatible test server with in-memory state. Never for production.",
    )
    parser.add_argument("--port", type=int, default=12111)
    # The defaults are the app's development Stripe key and webhook secret (api/settings.py),
    # which production refuses: a simulator key never works against a production app.
    parser.add_argument(
        "--api-key", default=os.environ.get("STRIPE_API_KEY", "sk_test_local_simulator")
    )
    parser.add_argument("--webhook-url", default=os.environ.get("STRIPE_SIMULATOR_WEBHOOK_URL"))
    parser.add_argument(
        "--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_local_simulator")
    )
    args = parser.parse_args(argv)
    try:
        config = SimulatorConfig(
            api_key=args.api_key, webhook_url=args.webhook_url, webhook_secret=args.webhook_secret
        )
    except ValueError as exc:
        parser.error(str(exc))
    # Loopback only: the control API is unauthenticated and the state is a toy.
    uvicorn.run(build_simulator_app(config), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
