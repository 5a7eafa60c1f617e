"""The life of a memory: decay (Ebbinghaus), fading, restoring and erasing for real."""
