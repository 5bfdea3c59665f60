"""Jemput Bola's messaging pipeline: configuration, data model, channels and the outbox."""
