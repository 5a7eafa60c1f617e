"""PyInstaller entry point of the bundle: one program, two names.

`membank` starts the desktop app (ui.__main__:main); the same executable started as `membank-cli`
(a symlink next to it, or a copy on Windows) is the terminal client
(app.cli.main:main), and started as `membank-mcp` the MCP server (app.mcp.main:main). One executable
keeps the bundle from carrying the ~80 MB Python archive twice.
"""

import sys
from pathlib import Path


def run() -> int:
    if Path(sys.argv[0]).stem.startswith("membank-mcp"):  # the MCP server (a symlink too)
        from app.mcp.main import main as mcp_main

        return mcp_main()
    if Path(sys.argv[0]).stem.startswith("membank-cli"):
        from app.cli.main import main as cli_main

        return cli_main()
    from ui.__main__ import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(run())
