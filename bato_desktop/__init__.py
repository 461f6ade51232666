"""Bato Desktop: watch a Bato.to library and get native notifications for new chapters."""

__version__ = "0.1.0"
APP_NAME = "bato-desktop"
