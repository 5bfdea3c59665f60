"""Lifecycle reminder scheduling: national schedules as data and a pure planner."""
