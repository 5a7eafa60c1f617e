"""The application shell: main window, tray, single instance, start-up and shutdown."""
