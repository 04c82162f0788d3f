"""Digests, charts and exports built from storage queries; no messenger code here."""
