"""`python -m app.mcp`: the same as `membank-mcp`."""

import sys

from app.mcp.main import main

sys.exit(main())
