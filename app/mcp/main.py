"""`membank-mcp`: serve membank's memory to AI apps over MCP (stdio, or loopback HTTP)."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence

from app.config import resolve_paths
from app.logs import setup_logging
from app.mcp.http_auth import TOKEN_FILE, BearerToken, http_token
from app.mcp.router import McpRouter
from app.mcp.server import build_server, run_stdio
from app.options import add_common_options, now_override
from models.errors import MembankError

log = logging.getLogger(__name__)
# The only address the HTTP transport ever binds: there is deliberately no option to change it.
LOOPBACK = "127.0.0.1"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="membank-mcp",
        description=(
            "membank's memory for other AI apps (Claude Desktop, Cursor, Jan, LM Studio...) over "
            "the Model Context Protocol. Speaks stdio unless --http is given."
        ),
    )
    add_common_options(parser)
    parser.add_argument(
        "--client",
        default="",
        help="the app's name for permissions and the audit log (default: the name the app "
        "sends); set [mcp.clients.NAME] permission in config.toml or in membank's Connected apps",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help=f"serve streamable HTTP on {LOOPBACK} (loopback only) instead of stdio",
    )
    parser.add_argument("--port", type=int, help="the HTTP port (default: [mcp] http_port, 8765)")
    parser.add_argument(
        "--token",
        action="store_true",
        help="with --http: answer only requests with 'Authorization: Bearer TOKEN', the token in "
        f"the data folder's {TOKEN_FILE} (made on first use, owner-only)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        now = now_override(args.now)
        paths = resolve_paths(args.data_dir)
        router = McpRouter(args.data_dir, now)
        config = router.config()
    except (MembankError, ValueError) as exc:
        print(f"membank-mcp: {exc}", file=sys.stderr)  # stdout is the protocol channel
        return 1
    setup_logging(paths.log_dir)
    for name, broken in config.mcp.broken.items():
        log.warning(
            "[mcp.clients.%s] in %s is skipped, that app's calls are refused until it is fixed: %s",
            name,
            paths.config_file,
            broken.problem,
        )
    server = build_server(router.call, args.client.strip())
    threading.Thread(target=router.prewarm, name="membank-mcp-prewarm", daemon=True).start()
    if args.token and not args.http:
        print("membank-mcp: --token goes with --http.", file=sys.stderr)
        return 2
    if not args.http:
        log.info("membank-mcp serving stdio for %s", paths.data_dir)
        run_stdio(server)
        return 0
    port = args.port or config.mcp.http_port
    if not 1024 <= port <= 65535:
        print("membank-mcp: --port must be from 1024 to 65535.", file=sys.stderr)
        return 2
    log.info("membank-mcp serving http://%s:%d/mcp for %s", LOOPBACK, port, paths.data_dir)
    print(f"membank-mcp: http://{LOOPBACK}:{port}/mcp (this computer only)", file=sys.stderr)
    if not args.token:
        server.run("streamable-http", host=LOOPBACK, port=port)
        return 0
    import uvicorn  # the SDK's own HTTP transport runs on it, too

    app = BearerToken(server.streamable_http_app(host=LOOPBACK), http_token(paths.data_dir))
    log.info("membank-mcp requires the bearer token in %s", paths.data_dir / TOKEN_FILE)
    uvicorn.run(app, host=LOOPBACK, port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
