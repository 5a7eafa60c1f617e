"""Light and dark: one palette and type scale, applied to every widget, chart and dialog."""
