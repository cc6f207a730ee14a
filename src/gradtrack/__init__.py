"""gradtrack: keep graduate-school applications on track."""

__version__ = "0.1.0"
