"""Package data: icons, styles, desktop integration files."""
