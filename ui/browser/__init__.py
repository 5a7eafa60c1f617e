"""The memory browser window: its table model and charts."""
