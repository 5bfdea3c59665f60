"""Conversation flows as pure steps: (state, message, context) -> state, replies, events."""
