"""PyInstaller entry point of `membank-cli`; same as the `membank-cli` console script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
