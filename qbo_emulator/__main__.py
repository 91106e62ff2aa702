"""Command line: python -m qbo_emulator --host 127.0.0.1 --port 5100 [--seed ...] [...]."""

from __future__ import annotations

import argparse
import sys

from werkzeug.serving import run_simple

from .app import create_app
from .config import EmulatorConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m qbo_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100)
    parser.add_argument(
        "--seed",
        choices=("sample", "empty", "none"),
        default="sample",
        help="content of the first company (none: no company)",
    )
    parser.add_argument("--state", metavar="FILE", help="SQLite file that keeps companies")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="make every time window N times shorter"
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="redirect URI of the ledgerhub-dev client (repeatable)",
    )
    parser.add_argument("--no-throttle", action="store_true", help="switch rate limits off")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS",
        help="seconds every answer takes (scaled by --time-scale)",
    )
    parser.add_argument(
        "--batch-item-latency", type=float, default=0.0, metavar="SECONDS",
        help="seconds each batch item adds to a batch answer (scaled by --time-scale)",
    )
    parser.add_argument(
        "--no-rotate", action="store_true", help="keep the same refresh token on refresh"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until interrupted."""
    args = parse_args(argv)
    config = EmulatorConfig.from_env(
        seed=args.seed,
        state_file=args.state,
        time_scale=args.time_scale,
        throttle=not args.no_throttle,
        rotate_refresh_tokens=not args.no_rotate,
        latency=args.latency,
        batch_item_latency=args.batch_item_latency,
        redirect_uris=tuple(args.redirect_uris) if args.redirect_uris else None,
    )
    app = create_app(config)
    realms = ", ".join(
        c["realm_id"] for c in app.extensions["qbo_emulator"].describe()["companies"]
    )
    print(
        f"QBO emulator on http://{args.host}:{args.port} (companies: {realms or 'none'})",
        file=sys.stderr,
    )
    run_simple(args.host, args.port, app, threaded=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
