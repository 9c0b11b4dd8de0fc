"""Moderation for Tribune: provenance checker (pure), queues, reports, decisions, audit log."""
