"""The deployable services. Each imports ``contracts`` and ``shared``, never another service."""
