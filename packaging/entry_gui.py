"""PyInstaller entry point of `membank` (the desktop app); same as the `membank` gui-script."""

import sys

from ui.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
